import { describe, expect, test } from 'bun:test';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addSignatureLines,
  createNoteSigner,
  formatAddCheckpointRequest,
  MemoryMerkleTree,
  NOTE_ED25519,
  openCheckpoint,
  signCheckpoint,
} from '@ceros/protocol';
import type { CommandContext } from '../cli/command.ts';
import { runWitness } from './witness.ts';

function context(lines: string[] = []): CommandContext {
  return { env: {}, cwd: '/', readStdin: async () => '', progress: (l) => lines.push(l) };
}

describe('ceros witness', () => {
  test('ceros witness keygen writes a 0600 key and prints its verifier key, and will not overwrite it', async () => {
    const state = mkdtempSync(join(tmpdir(), 'ceros-witness-'));
    const r = await runWitness(['keygen', '--name', 'witness.example/w1', '--state', state], context());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^witness\.example\/w1\+[0-9a-f]{8}\+B[A-Za-z0-9+/]{43}\n$/);
    expect(statSync(join(state, 'witness.key')).mode & 0o777).toBe(0o600);
    const again = await runWitness(['keygen', '--name', 'witness.example/w1', '--state', state], context());
    expect(again.exitCode).toBe(77);
    const replaced = await runWitness(['keygen', '--state', state, '--force'], context());
    expect(replaced.stdout).toMatch(/\/ceros-witness\+/);
    expect((await runWitness(['keygen', '--name', 'bad name', '--state', state], context())).exitCode).toBe(
      64,
    );
  });

  test('ceros witness serve cosigns over HTTP and refuses a fork', async () => {
    const state = mkdtempSync(join(tmpdir(), 'ceros-witness-'));
    const vkey = (
      await runWitness(['keygen', '--name', 'witness.example/w1', '--state', state], context())
    ).stdout.trim();
    const log = createNoteSigner('ceros.test/log', NOTE_ED25519, new Uint8Array(32).fill(5));
    const lines: string[] = [];
    const stop = new AbortController();
    const served = runWitness(
      ['serve', '--port', '0', '--state', state, '--log-key', log.verifierKey],
      context(lines),
      {
        signal: stop.signal,
      },
    );
    while (!lines.some((l) => l.includes('listening on'))) await Bun.sleep(5);
    const url = /listening on (\S+)/.exec(lines.find((l) => l.includes('listening on')) ?? '')?.[1] ?? '';
    const tree = new MemoryMerkleTree();
    for (let i = 0; i < 20; i++) tree.append(new Uint8Array([i]));
    const note = (size: number, root = tree.root(size)) =>
      signCheckpoint({ origin: 'ceros.test/log', size, rootHash: root, extensions: [] }, log);
    const post = (body: string) => fetch(`${url}/add-checkpoint`, { method: 'POST', body });

    const first = await post(formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: note(10) }));
    expect(first.status).toBe(200);
    const cosigned = addSignatureLines(note(10), await first.text());
    expect(
      cosigned.ok &&
        openCheckpoint(cosigned.value, {
          logKey: log.verifierKey,
          witnessKeys: [vkey],
          requireCosignatures: 1,
        }).ok,
    ).toBe(true);
    const grow = await post(
      formatAddCheckpointRequest({ oldSize: 10, proof: tree.consistencyProof(10, 20), checkpoint: note(20) }),
    );
    expect(grow.status).toBe(200);
    const fork = await post(
      formatAddCheckpointRequest({ oldSize: 20, proof: [], checkpoint: note(20, new Uint8Array(32)) }),
    );
    expect(fork.status).toBe(409);
    stop.abort();
    expect((await served).exitCode).toBe(0);
    expect(lines.some((l) => l.startsWith('refused FORK'))).toBe(true);
  });

  test('ceros witness serve needs a log key and a witness key', async () => {
    const state = mkdtempSync(join(tmpdir(), 'ceros-witness-'));
    expect((await runWitness(['serve', '--state', state], context())).exitCode).toBe(64);
    const log = createNoteSigner('l', NOTE_ED25519, new Uint8Array(32));
    const r = await runWitness(['serve', '--state', state, '--log-key', log.verifierKey], context());
    expect([r.exitCode, r.stderr]).toEqual([1, expect.stringContaining('No witness key')]);
    expect((await runWitness(['--help'], context())).stdout).toContain('ceros witness keygen');
    expect((await runWitness(['nope'], context())).exitCode).toBe(64);
  });
});
