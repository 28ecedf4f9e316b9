import { describe, expect, test } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFakeRealpath, createShellParser, starterPolicy } from '@ceros/policy';
import type { CommandContext } from '../cli/command.ts';
import { runPolicyCommand } from '../commands/policy.ts';
import type { PolicyCliDeps } from './deps.ts';

const FIXTURES = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'policy');
const files = new Map<string, string>([
  ['strict.yaml', starterPolicy('strict')],
  ['baseline.yaml', starterPolicy('baseline')],
  ['broken.yaml', 'version: 1\ndefault: allow\nrules:\n  - id: x\n    tool: [Bash]\n    effect: deny\n'],
  [
    'minimal.json',
    '{ "version": 1, "default": "allow", "rules": [ { "id": "no-bash", "tools": ["Bash"], "effect": "deny", "reason": "Bash is disabled for this team" } ] }',
  ],
]);

const parser = createShellParser();
const deps: PolicyCliDeps = {
  readFile: async (path) => files.get(path) ?? readFile(path, 'utf8'),
  shellParser: () => parser,
  realpath: createFakeRealpath({}),
  home: '/home/dev',
  cerosHome: '/home/dev/.ceros',
  cerosBinary: '/usr/local/bin/ceros',
};

function context(stdin = '', env: Record<string, string> = {}): CommandContext {
  return { env, cwd: '/home/dev/project', readStdin: async () => stdin, progress: () => {} };
}

const run = (args: string[], stdin = '') => runPolicyCommand(args, context(stdin), deps);

const payload = (tool_name: string, tool_input: Record<string, unknown>) =>
  JSON.stringify({
    session_id: 's',
    transcript_path: '/t',
    cwd: '/home/dev/project',
    hook_event_name: 'PreToolUse',
    permission_mode: 'default',
    tool_name,
    tool_input,
    tool_use_id: 'toolu_1',
  });

describe('ceros policy check', () => {
  test('exits 0 for a valid policy and names it', async () => {
    const result = await run(['check', 'strict.yaml']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('valid policy "strict"');
  });

  test('exits 1 and lists every problem with file, line and column', async () => {
    const result = await run(['check', 'broken.yaml']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'broken.yaml:5:5: rules.0.tool: Unknown field "tool"; did you mean "tools"? [UNKNOWN_FIELD]',
    );
    expect(result.stderr).toContain('2 problems in broken.yaml');
  });

  test('--json prints the issues for machines', async () => {
    const result = await run(['check', 'broken.yaml', '--json']);
    const parsed = JSON.parse(result.stdout) as {
      ok: boolean;
      issues: Array<{ code: string; line: number }>;
    };
    expect(parsed.ok).toBe(false);
    expect(parsed.issues.map((issue) => issue.code).sort()).toEqual(['INVALID_RULE', 'UNKNOWN_FIELD']);
  });

  test('reports an unreadable file', async () => {
    const result = await run(['check', '/nonexistent/policy.yaml']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Cannot read policy file "/nonexistent/policy.yaml"');
  });
});

describe('ceros policy test', () => {
  test("without --cases runs the policy's own tests:, naming a failing case and what was decided", async () => {
    files.set(
      'with-tests.yaml',
      'version: 1\ndefault: allow\nrules:\n  - id: no-curl\n    effect: deny\n    programs: [curl]\n    reason: No downloads\ntests:\n  - name: curl is denied\n    tool: Bash\n    input: { command: "curl -s https://x.example" }\n    expect: deny\n  - name: reading keys is denied\n    tool: Read\n    input: { file_path: /home/dev/.ssh/id_rsa }\n    expect: deny\n',
    );
    const result = await run(['test', 'with-tests.yaml']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      'FAIL with-tests.yaml tests.1 reading keys is denied: expected deny, got allow (default: Allowed by the policy default)',
    );
    expect(result.stdout).toContain('1 passed, 1 failed');
    const none = await run(['test', 'minimal.json']);
    expect(none.exitCode).toBe(64);
    expect(none.stderr).toContain('minimal.json has no tests:');
  });

  test('passes the bypass corpus under strict with the shared fixture context', async () => {
    const result = await run([
      'test',
      'strict.yaml',
      '--cases',
      join(FIXTURES, 'bypass', 'shell-quoting.jsonl'),
      '--context',
      join(FIXTURES, 'context.json'),
    ]);
    expect(result.stdout).toMatch(/^\d+ passed, 0 failed/m);
    expect(result.exitCode).toBe(0);
  });

  test('passes the benign corpus under baseline', async () => {
    const result = await run([
      'test',
      'baseline.yaml',
      '--cases',
      join(FIXTURES, 'benign', 'git.jsonl'),
      '--context',
      join(FIXTURES, 'context.json'),
    ]);
    expect(result.exitCode).toBe(0);
  });

  test('fails with the case, the expectation and what happened', async () => {
    files.set(
      'cases.jsonl',
      `${JSON.stringify({ name: 'ls is denied', payload: JSON.parse(payload('Bash', { command: 'ls' })), expect: 'deny' })}\n`,
    );
    const result = await run(['test', 'baseline.yaml', '--cases', 'cases.jsonl', '--json']);
    expect(result.exitCode).toBe(1);
    const parsed = JSON.parse(result.stdout) as {
      failed: number;
      results: Array<{ name: string; actual: { effect: string } }>;
    };
    expect(parsed.failed).toBe(1);
    expect(parsed.results[0]).toMatchObject({ name: 'ls is denied', actual: { effect: 'allow' } });
  });
});

describe('ceros policy explain', () => {
  test('prints effect, rule and reason for a hook payload on stdin', async () => {
    const result = await run(['explain', '--policy', 'minimal.json'], payload('Bash', { command: 'ls' }));
    expect(result.exitCode).toBe(0);
    const decision = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(decision).toMatchObject({
      effect: 'deny',
      rule: 'no-bash',
      reason: 'Bash is disabled for this team',
    });
    expect(decision.hookOutput).toEqual({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: 'deny',
        permissionDecisionReason: 'Bash is disabled for this team',
      },
    });
  });

  test('explains a denial with the matched path', async () => {
    const result = await run(
      ['explain', '--policy', 'baseline.yaml'],
      payload('Bash', { command: "c'a't ~/.ssh/id_rsa" }),
    );
    expect(JSON.parse(result.stdout)).toMatchObject({
      effect: 'deny',
      rule: 'ssh-keys',
      detail: 'cat argument: reads /home/dev/.ssh/id_rsa',
    });
  });

  test('rejects a payload that is not a PreToolUse payload', async () => {
    const result = await run(['explain', '--policy', 'baseline.yaml'], '{"hello": 1}');
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('tool_name');
  });
});

describe('ceros policy starter', () => {
  test('prints the shipped baseline and strict policies', async () => {
    expect((await run(['starter', 'baseline'])).stdout).toBe(starterPolicy('baseline'));
    expect((await run(['starter', 'strict'])).stdout).toContain('name: strict');
  });

  test('refuses an unknown name', async () => {
    const result = await run(['starter', 'lenient']);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('Cannot find starter policy "lenient"');
  });
});

describe('ceros policy settings', () => {
  test('prints the Claude Code settings the policy compiles to', async () => {
    const result = await runPolicyCommand(
      ['settings', 'minimal.json', '--project', '/home/dev/project'],
      context(),
      deps,
    );
    const settings = JSON.parse(result.stdout) as { permissions: { deny: string[] } };
    expect(settings.permissions.deny).toContain('Bash');
  });
});

describe('ceros policy --help', () => {
  test.each(['--help', 'check --help', 'test --help', 'explain --help', 'starter --help', 'settings --help'])(
    '%s prints usage and exits 0',
    async (args) => {
      const result = await run(args.split(' '));
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('Usage: ceros policy');
    },
  );

  test('an unknown subcommand is a usage error', async () => {
    expect((await run(['frobnicate'])).exitCode).toBe(64);
  });
});
