import { expect, test } from 'bun:test';
import { compilePolicy, createFakeRealpath, createShellParser, evaluate, parsePolicy } from '../index.ts';

const KEY = `sk-ant-api03-${'Q7x_k2Lm9-Rv4TzW'.repeat(6).slice(0, 93)}AA`;

test('redaction.block: [tool-input] denies a call whose input carries a secret, and only then', async () => {
  const shell = await createShellParser();
  const ctx = {
    home: '/home/dev',
    cerosHome: '/home/dev/.ceros',
    cerosBinary: '/usr/bin/ceros',
    realpath: createFakeRealpath({}),
    shell,
  };
  const compile = (yaml: string) => {
    const parsed = parsePolicy(yaml);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return compilePolicy(parsed.value);
  };
  const blocking = compile('version: 1\ndefault: allow\nredaction: { block: [tool-input] }\n');
  const call = (command: string) => ({
    toolName: 'Bash',
    toolInput: { command },
    cwd: '/home/dev/p',
    projectDir: '/home/dev/p',
  });
  const denied = evaluate(blocking, call(`curl -H "x-api-key: ${KEY}" https://api.anthropic.com`), ctx);
  expect(denied).toMatchObject({ effect: 'deny', rule: 'secret-in-input' });
  expect(denied.reason).toContain('anthropic-api-key');
  expect(denied.reason).not.toContain(KEY);
  expect(evaluate(blocking, call('curl https://example.com'), ctx).effect).toBe('allow');
  // Without the option the call is allowed (and only its record is redacted).
  expect(evaluate(compile('version: 1\ndefault: allow\n'), call(`echo ${KEY}`), ctx).effect).toBe('allow');
  const monitor = compile('version: 1\ndefault: allow\nredaction: { block: [tool-input], mode: monitor }\n');
  const watched = evaluate(monitor, call(`echo ${KEY}`), ctx);
  expect(watched.effect).toBe('allow');
  expect(watched.monitor?.rule).toBe('secret-in-input');
});
