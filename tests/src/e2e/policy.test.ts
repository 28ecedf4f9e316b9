import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy, signBundle, starterPolicy } from '@ceros/policy';
import { mcpConfig, readMcpLog } from '../harness/mcp-server.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { cerosSession, readJournal, runCeros, runCerosClaude } from './ceros.ts';

const SECRET = 'CEROS-TEST-SECRET-4f1c9a';

describe('policy on the real Claude Code', () => {
  test('under strict, reading ~/.ssh/id_rsa through Read, Bash and Grep is denied, the secret reaches neither the journal nor the API, and a denied MCP server never starts', async () => {
    const t = await cerosSession([
      turn(
        toolUseBlock('Read', { file_path: '~/.ssh/id_rsa' }, 'toolu_read'),
        toolUseBlock('Bash', { command: 'cat ~/.ssh/id_rsa' }, 'toolu_bash'),
        toolUseBlock('Grep', { pattern: 'SECRET', path: '~/.ssh' }, 'toolu_grep'),
      ),
      turn('I could not read it.'),
    ]);
    try {
      const ssh = join(t.sandbox.home, '.ssh');
      mkdirSync(ssh, { mode: 0o700 });
      writeFileSync(join(ssh, 'id_rsa'), `${SECRET}\n`, { mode: 0o600 });
      const policy = join(t.sandbox.home, 'strict.yaml');
      const starter = runCeros(['policy', 'starter', 'strict'], t.env);
      expect(starter.exitCode).toBe(0);
      writeFileSync(policy, starter.stdout);
      const log = join(t.sandbox.home, 'alpha.log');
      const run = await runCerosClaude(t, [
        '--policy',
        policy,
        '--allow-unsigned-policy',
        '-p',
        'read my key',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash,Read,Grep,mcp__alpha__echo',
        '--mcp-config',
        JSON.stringify(mcpConfig('alpha', log)),
      ]);
      expect(run.exitCode).toBe(0);
      for (const id of ['toolu_read', 'toolu_bash', 'toolu_grep']) {
        expect({ id, denied: t.api.toolResultFor(id)?.isError }).toEqual({ id, denied: true });
      }
      // Two layers: Claude Code's own permissions.deny (compiled from the policy) stops the Read
      // before any hook runs (journaled from PostToolBatch as Claude Code's decision); the hook
      // denies Bash and Grep after analysing their arguments.
      const decisions = readJournal(t.home).filter((e) => e.type === 'tool.decision');
      // Claude Code runs the turn's hooks concurrently: the journal order of the two is not fixed.
      expect(
        decisions.map((d) => [d.payload.toolName, (d.payload.decision as { effect: string }).effect]).sort(),
      ).toEqual([
        ['Bash', 'deny'],
        ['Grep', 'deny'],
        ['Read', 'deny'],
      ]);
      expect(decisions.find((d) => d.payload.toolName === 'Read')?.payload.decidedBy).toBe('claude-code');
      expect(t.api.toolResultFor('toolu_read')?.content).toContain('denied by your permission settings');
      const recorded = JSON.stringify(
        readJournal(t.home)
          .filter((e) => e.type === 'api.request')
          .map((e) => e.payload.newMessages),
      );
      expect(recorded).toContain('toolu_read');
      expect(JSON.stringify(readJournal(t.home))).not.toContain(SECRET);
      expect(JSON.stringify(t.api.requests.map((r) => r.body))).not.toContain(SECRET);
      // strict has an empty MCP allowlist: Claude Code never spawns the server, and the journal
      // says which server was blocked and why.
      expect(await readMcpLog(log)).toEqual([]);
      const blocked = readJournal(t.home).find((e) => e.type === 'mcp.server');
      expect(blocked?.payload).toMatchObject({
        name: 'alpha',
        source: 'mcp-config',
        status: 'blocked',
        rule: 'mcp-allowlist',
      });
      expect((blocked?.payload.identity as { command: string[] } | undefined)?.command).toContain('alpha');
    } finally {
      await t.close();
    }
  }, 90_000);

  test('with no policy configured, the baseline starter applies: reading ~/.ssh/id_rsa is denied, the secret never reaches the model, and the banner and session.start say which policy is in force', async () => {
    const t = await cerosSession([
      turn(
        toolUseBlock('Bash', { command: 'cat ~/.ssh/id_rsa' }, 'toolu_bash'),
        toolUseBlock('Read', { file_path: join('~', '.ssh', 'id_rsa') }, 'toolu_read'),
      ),
      turn('I could not read it.'),
    ]);
    try {
      const ssh = join(t.sandbox.home, '.ssh');
      mkdirSync(ssh, { mode: 0o700 });
      writeFileSync(join(ssh, 'id_rsa'), `${SECRET}\n`, { mode: 0o600 });
      const run = await runCerosClaude(t, [
        '-p',
        'read my key',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash,Read',
      ]);
      expect(run.exitCode).toBe(0);
      for (const id of ['toolu_bash', 'toolu_read'])
        expect({ id, denied: t.api.toolResultFor(id)?.isError }).toEqual({ id, denied: true });
      expect(JSON.stringify(t.api.requests.map((r) => r.body))).not.toContain(SECRET);
      const banner = run.stderr.split('\n').filter((line) => line.includes('policy'));
      expect(banner).toEqual([expect.stringContaining('ceros: Enforcing the baseline starter policy')]);
      expect(banner[0]).toContain('no policy is configured');
      const journal = readJournal(t.home);
      expect(journal.find((e) => e.type === 'session.start')?.payload.policy).toMatchObject({
        kind: 'starter',
        starter: 'baseline',
        signed: false,
      });
      const bash = journal.find((e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_bash');
      expect(bash?.payload.decision).toMatchObject({ effect: 'deny', rule: 'ssh-keys' });
    } finally {
      await t.close();
    }
  }, 90_000);

  test('--no-policy-dev runs with no policy at all, and says so on stderr and in the journal', async () => {
    const t = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'cat .env' }, 'toolu_env')),
      turn('done'),
    ]);
    try {
      writeFileSync(join(t.sandbox.project, '.env'), 'TOKEN=dev-only\n');
      const run = await runCerosClaude(t, [
        '--no-policy-dev',
        '-p',
        'show the env file',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash',
      ]);
      expect(run.exitCode).toBe(0);
      // baseline would deny a .env file; with no policy the call runs, and is recorded.
      expect(t.api.toolResultFor('toolu_env')?.content).toContain('TOKEN=dev-only');
      expect(run.stderr).toContain('ceros: Running with no policy (--no-policy-dev)');
      const journal = readJournal(t.home);
      expect(journal.find((e) => e.type === 'session.start')?.payload.policy).toEqual({
        kind: 'none',
        reason: 'Started with --no-policy-dev',
      });
      expect(journal.some((e) => e.type === 'policy.none')).toBe(true);
      expect(journal.find((e) => e.type === 'tool.decision')?.payload.decision).toMatchObject({
        effect: 'allow',
        rule: 'no-policy',
        policyHash: null,
      });
    } finally {
      await t.close();
    }
  }, 90_000);

  test('a rule for sessionModes [bypassPermissions] denies Bash in a session started with --permission-mode bypassPermissions, and the journal holds the decision', async () => {
    // As root, Claude Code refuses bypassPermissions unless IS_SANDBOX=1 says it runs in a sandbox.
    const t = await cerosSession(
      [
        turn(toolUseBlock('Bash', { command: 'cat secret.txt' }, 'toolu_bypass')),
        turn('I could not read it.'),
      ],
      { IS_SANDBOX: '1' },
    );
    try {
      writeFileSync(join(t.sandbox.project, 'secret.txt'), `${SECRET}\n`);
      const policy = join(t.sandbox.home, 'modes.yaml');
      writeFileSync(
        policy,
        'version: 1\ndefault: allow\nrules:\n  - id: no-bash-when-bypassing\n    tools: [Bash]\n    sessionModes: [bypassPermissions]\n    effect: deny\n    reason: Bash is not allowed with permissions bypassed\n',
      );
      const run = await runCerosClaude(t, [
        '--policy',
        policy,
        '--allow-unsigned-policy',
        '--permission-mode',
        'bypassPermissions',
        '-p',
        'read the secret',
        '--output-format',
        'json',
      ]);
      expect(run.exitCode).toBe(0);
      const result = t.api.toolResultFor('toolu_bypass');
      expect(result?.isError).toBe(true);
      expect(result?.content).toContain('Bash is not allowed with permissions bypassed');
      const decision = readJournal(t.home).find((e) => e.type === 'tool.decision');
      expect(decision?.payload).toMatchObject({
        toolName: 'Bash',
        toolUseId: 'toolu_bypass',
        permissionMode: 'bypassPermissions',
        decision: { effect: 'deny', rule: 'no-bash-when-bypassing' },
      });
      expect(JSON.stringify(t.api.requests.map((r) => r.body))).not.toContain(SECRET);
      expect(runCeros(['log', 'verify'], t.env).exitCode).toBe(0);
    } finally {
      await t.close();
    }
  }, 90_000);

  test('monitor mode allows and journals the would-be denial, and replay reports the same call as a change', async () => {
    const t = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'echo watched' }, 'toolu_mon')),
      turn('ok'),
    ]);
    try {
      const monitor = join(t.sandbox.home, 'monitor.yaml');
      writeFileSync(
        monitor,
        'version: 1\ndefault: allow\nrules:\n  - id: no-bash\n    tools: [Bash]\n    effect: deny\n    mode: monitor\n    reason: Bash will be disabled\n',
      );
      const run = await runCerosClaude(t, [
        '--policy',
        monitor,
        '--allow-unsigned-policy',
        '-p',
        'go',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash',
      ]);
      expect(run.exitCode).toBe(0);
      expect(t.api.toolResultFor('toolu_mon')?.content).toContain('watched');
      const decision = readJournal(t.home).find((e) => e.type === 'tool.decision')?.payload.decision as {
        effect: string;
        monitor?: { effect: string; rule: string };
      };
      expect(decision.effect).toBe('allow');
      expect(decision.monitor).toMatchObject({ effect: 'deny', rule: 'no-bash' });
      const enforce = join(t.sandbox.home, 'enforce.yaml');
      writeFileSync(
        enforce,
        'version: 1\ndefault: allow\nrules:\n  - id: no-bash\n    tools: [Bash]\n    effect: deny\n    reason: Bash is disabled\n',
      );
      const replay = runCeros(['policy', 'replay', '--policy', enforce, '--json'], t.env);
      expect(replay.exitCode).toBe(0);
      const report = JSON.parse(replay.stdout) as {
        summary: { changed: number };
        decisions: { changed: boolean; input: { toolInput: { command?: string } } }[];
      };
      expect(report.summary.changed).toBe(1);
      expect(report.decisions.find((d) => d.changed)?.input.toolInput.command).toBe('echo watched');
    } finally {
      await t.close();
    }
  }, 90_000);

  test('bad policies are refused with every problem; unsigned ones need the development flag; a signed bundle survives as the last good one', async () => {
    const t = await cerosSession([
      turn(toolUseBlock('Bash', { command: 'touch marker' }, 'toolu_lg')),
      turn('ok'),
    ]);
    try {
      const broken = join(t.sandbox.home, 'broken.yaml');
      writeFileSync(broken, 'version: 1\ndefault: maybe\nrules:\n  - id: a\n    tools: 7\n    colour: red\n');
      const refused = runCeros(
        ['claude', '--policy', broken, '--allow-unsigned-policy', '-p', 'go'],
        t.env,
        t.sandbox.project,
      );
      expect(refused.exitCode).toBe(77);
      for (const problem of ['default', 'tools', 'colour']) expect(refused.stderr).toContain(problem);
      const unsigned = join(t.sandbox.home, 'ok.yaml');
      writeFileSync(unsigned, 'version: 1\ndefault: allow\n');
      const noFlag = runCeros(['claude', '--policy', unsigned, '-p', 'go'], t.env, t.sandbox.project);
      expect(noFlag.exitCode).toBe(77);
      expect(noFlag.stderr).toContain('--allow-unsigned-policy');

      // A signed bundle from the organization's key, trusted on this device.
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const keyId = 'org-test';
      mkdirSync(join(t.home, 'policy'), { recursive: true, mode: 0o700 });
      writeFileSync(
        join(t.home, 'policy', 'trusted-keys.json'),
        JSON.stringify([{ keyId, publicKey: publicKey.export({ format: 'jwk' }).x }]),
      );
      const doc = parsePolicy(
        'version: 1\ndefault: allow\nrules:\n  - id: no-bash\n    tools: [Bash]\n    effect: deny\n    reason: Bash is disabled by the signed bundle\n',
      );
      if (!doc.ok) throw new Error('fixture policy is invalid');
      const bundle = join(t.sandbox.home, 'bundle.json');
      writeFileSync(
        bundle,
        JSON.stringify(
          signBundle(
            { version: 5, issuedAt: new Date().toISOString(), policy: doc.value },
            { keyId, privateKey },
          ),
        ),
      );
      const good = await runCerosClaude(t, [
        '--policy',
        bundle,
        '-p',
        'go',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash',
      ]);
      expect(good.exitCode).toBe(0);
      expect(existsSync(join(t.sandbox.project, 'marker'))).toBe(false);

      // A tampered bundle is refused, and the session runs under the last good one, saying so.
      const tampered = JSON.parse(
        JSON.stringify(
          signBundle(
            { version: 6, issuedAt: new Date().toISOString(), policy: starterPolicyDoc() },
            { keyId, privateKey },
          ),
        ),
      );
      tampered.signatures[0].sig = tampered.signatures[0].sig.replace(/^./, (c: string) =>
        c === 'A' ? 'B' : 'A',
      );
      writeFileSync(bundle, JSON.stringify(tampered));
      const fallback = runCeros(['claude', '--policy', bundle, '--ceros-help'], t.env, t.sandbox.project);
      expect(fallback.exitCode).toBe(0);
      const t2 = await runCerosClaude(t, [
        '--policy',
        bundle,
        '-p',
        'go',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash',
      ]);
      expect(t2.stderr).toContain('Using the last good policy bundle');
      const start = readJournal(t.home)
        .filter((e) => e.type === 'session.start')
        .at(-1)?.payload.policy as { kind: string; version: number };
      expect(start).toMatchObject({ kind: 'last-good-bundle', version: 5 });
    } finally {
      await t.close();
    }
  }, 120_000);
});

function starterPolicyDoc() {
  const parsed = parsePolicy(starterPolicy('baseline'));
  if (!parsed.ok) throw new Error('baseline starter does not parse');
  return parsed.value;
}
