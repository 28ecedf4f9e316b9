import { describe, expect, test } from 'bun:test';
import { parseWrapperArgs, refusedEnvironment } from './args.ts';

describe('parseWrapperArgs()', () => {
  test.each([
    [['-p', 'hi'], { claudeArgs: ['-p', 'hi'], userSettings: [], policyFile: null }],
    [
      ['--policy', 'p.json', '-p', 'hi'],
      { claudeArgs: ['-p', 'hi'], userSettings: [], policyFile: 'p.json' },
    ],
    [
      ['--settings=a.json', '--settings', '{"x":1}', '-c'],
      { claudeArgs: ['-c'], userSettings: ['a.json', '{"x":1}'], policyFile: null },
    ],
    [['-p', '--', '--bare'], { claudeArgs: ['-p', '--', '--bare'], userSettings: [], policyFile: null }],
    [['--no-policy-dev', '-p', 'hi'], { claudeArgs: ['-p', 'hi'], policyFile: null, noPolicyDev: true }],
  ])('%j passes through what is Claude Code’s', (argv, expected) => {
    expect(parseWrapperArgs(argv)).toMatchObject({ ok: true, value: expected });
  });

  test.each([['--bare'], ['--safe-mode'], ['--bare=true']])('refuses %s with the reason', (flag) => {
    const result = parseWrapperArgs(['-p', 'x', flag]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('Refusing');
  });

  test('takes the baseline unless --no-policy-dev is given, and refuses it beside --policy', () => {
    expect(parseWrapperArgs(['-p', 'hi'])).toMatchObject({ ok: true, value: { noPolicyDev: false } });
    expect(parseWrapperArgs(['--no-policy-dev', '--policy', 'p.yaml'])).toEqual({
      ok: false,
      error: '--no-policy-dev and --policy cannot be used together: choose one',
    });
  });

  test('refuses a --settings without a value', () => {
    expect(parseWrapperArgs(['--settings'])).toEqual({ ok: false, error: '--settings needs a value' });
  });
});

describe('refusedEnvironment()', () => {
  test.each([
    [{ CLAUDE_CODE_SIMPLE: '1' }, 'CLAUDE_CODE_SIMPLE=1'],
    [{ CLAUDE_CODE_SAFE_MODE: 'true' }, 'CLAUDE_CODE_SAFE_MODE=true'],
    [{ CLAUDE_CODE_SIMPLE: '0' }, null],
    [{}, null],
  ])('%j', (env, contains) => {
    const result = refusedEnvironment(env);
    if (contains === null) expect(result).toBeNull();
    else expect(result).toContain(contains);
  });
});
