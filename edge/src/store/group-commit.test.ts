import { describe, expect, test } from 'bun:test';
import { createGroupCommit } from './group-commit.ts';

function recorder(failOn: (writes: readonly string[]) => boolean = () => false) {
  const calls: string[][] = [];
  const commit = createGroupCommit<string>({
    key: (w) => w.split(':')[0] ?? '',
    storeGroup: async (writes) => {
      calls.push([...writes]);
      if (failOn(writes)) throw new Error('conflict');
    },
    storeOne: async (write) => {
      calls.push([write]);
      if (failOn([write])) throw new Error(`conflict on ${write}`);
    },
    weight: (w) => Number(w.split(':')[2] ?? 1),
    maxWeight: 10,
  });
  return { calls, commit };
}

describe('group commit', () => {
  test('writes of one key made in the same turn share one commit; other keys get their own', async () => {
    const { calls, commit } = recorder();
    await Promise.all([commit('a:1'), commit('a:2'), commit('b:1'), commit('a:3')]);
    expect(calls).toEqual([['a:1', 'a:2', 'a:3'], ['b:1']]);
  });

  test('a failed group is stored write by write: only the conflicting write fails, with its own error', async () => {
    const { calls, commit } = recorder((writes) => writes.includes('a:2'));
    const results = await Promise.allSettled([commit('a:1'), commit('a:2'), commit('a:3')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('conflict on a:2');
    expect(calls).toEqual([['a:1', 'a:2', 'a:3'], ['a:1'], ['a:2'], ['a:3']]);
  });

  test('a group stops at the weight limit; the rest commit next, in order', async () => {
    const { calls, commit } = recorder();
    await Promise.all([commit('a:1:6'), commit('a:2:4'), commit('a:3:1'), commit('a:4:20')]);
    expect(calls).toEqual([['a:1:6', 'a:2:4'], ['a:3:1'], ['a:4:20']]);
  });
});
