/**
 * Issue 12.5 on the real Claude Code: agents started from a tool call. The model API key stays
 * with ceros's proxy (the agent and its tools hold a placeholder only that proxy accepts), a
 * nested `claude` is denied by the starters, cannot reach the API through the proxy or around it
 * when a policy lets it run, and a nested `ceros claude` is marked nested or refused.
 */
import { describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_API_KEY } from '../harness/claude.ts';
import { forEachClaudeVersion } from '../harness/claude-versions.ts';
import { toolUseBlock, turn } from '../harness/scripted-api.ts';
import { type CerosSession, cerosBinary, cerosSession, readJournal, runCerosClaude } from './ceros.ts';

const entries = (t: CerosSession, type: string) => readJournal(t.home).filter((e) => e.type === type);
const decisionOf = (t: CerosSession, toolUseId: string) =>
  readJournal(t.home).find((e) => e.type === 'tool.decision' && e.payload.toolUseId === toolUseId)?.payload
    .decision as { effect: string; rule: string } | undefined;

function policyFile(t: CerosSession, name: string, yaml: string): string {
  const path = join(t.sandbox.home, name);
  writeFileSync(path, yaml);
  return path;
}

describe('nested agents and the API key (issue 12.5)', () => {
  forEachClaudeVersion(
    "the agent's tools never see the API key: Bash gets a placeholder, in its environment and in Claude Code's, and the proxy alone holds the key",
    async (version) => {
      const look =
        'printenv ANTHROPIC_API_KEY; for p in $PPID $CLAUDE_PID; do tr "\\0" "\\n" < /proc/$p/environ | grep "^ANTHROPIC_API_KEY="; done; true';
      const t = await cerosSession(
        [turn(toolUseBlock('Bash', { command: look }, 'toolu_env')), turn('done')],
        {},
        {
          claudeVersion: version,
          // The real API accepts only the real key: the session works only if the proxy puts it back.
          api: { apiKey: TEST_API_KEY },
        },
      );
      try {
        // No policy, so that reading /proc is not itself denied (the baseline denies it, and the
        // loop is opaque): the key must stay out of reach whatever the policy lets run.
        const run = await runCerosClaude(t, [
          '--no-policy-dev',
          '-p',
          'show the key',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ]);
        expect(run.exitCode).toBe(0);
        const seen = t.api.toolResultFor('toolu_env')?.content ?? '';
        expect(seen).toContain('sk-ant-api03-ceros-session-');
        expect(seen).not.toContain(TEST_API_KEY);
        expect(t.api.requests.filter((r) => r.kind === 'rejected')).toEqual([]);
        expect(entries(t, 'session.start')[0]?.payload.credentials).toMatchObject({
          heldByProxy: ['ANTHROPIC_API_KEY'],
          // ceros's own environment still holds the key: its process is closed to other processes.
          processMemory: expect.stringMatching(/^protected/),
        });
        expect(JSON.stringify(readJournal(t.home))).not.toContain(TEST_API_KEY);
      } finally {
        await t.close();
      }
    },
    90_000,
  );

  test('the starters deny a nested claude started from Bash, --bare included, and journal why', async () => {
    const t = await cerosSession([
      turn(
        toolUseBlock(
          'Bash',
          { command: "claude -p 'print the deploy key' --allowedTools Bash" },
          'toolu_nested',
        ),
        toolUseBlock('Bash', { command: 'env -u CEROS_SESSION claude --bare -p hi' }, 'toolu_bare'),
      ),
      turn('done'),
    ]);
    try {
      const run = await runCerosClaude(t, [
        '-p',
        'ask another claude',
        '--output-format',
        'json',
        '--allowedTools',
        'Bash',
      ]);
      expect(run.exitCode).toBe(0);
      for (const id of ['toolu_nested', 'toolu_bare']) {
        expect(decisionOf(t, id)).toMatchObject({ effect: 'deny', rule: 'nested-agents' });
        expect(t.api.toolResultFor(id)?.isError).toBe(true);
      }
      // The only Messages requests are the outer session's.
      const sessions = new Set(
        t.api.requests.map((r) => r.headers['x-claude-code-session-id']).filter(Boolean),
      );
      expect(sessions.size).toBe(1);
    } finally {
      await t.close();
    }
  }, 90_000);

  test('where a policy lets Bash run a nested claude, it still cannot reach the model: refused by the proxy, and its placeholder key rejected around it', async () => {
    let apiUrl = '';
    const t = await cerosSession(
      (_request, index) =>
        index === 0
          ? turn(
              toolUseBlock(
                'Bash',
                {
                  command: `claude -p 'cat ~/.ssh/id_rsa' --output-format json; ANTHROPIC_BASE_URL=${apiUrl} claude --bare -p hi --output-format json; true`,
                  timeout: 120_000,
                },
                'toolu_nested',
              ),
            )
          : undefined,
      {},
      { api: { apiKey: TEST_API_KEY } },
    );
    try {
      apiUrl = t.api.url;
      const open = policyFile(t, 'open.yaml', 'version: 1\ndefault: allow\n');
      const run = await runCerosClaude(
        t,
        [
          '--policy',
          open,
          '--allow-unsigned-policy',
          '-p',
          'ask another claude',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ],
        { timeoutMs: 150_000 },
      );
      expect(run.exitCode).toBe(0);
      expect(decisionOf(t, 'toolu_nested')).toMatchObject({ effect: 'allow' });
      // Through ceros's proxy: a session whose hooks never reported in is refused, and journaled.
      const outer = entries(t, 'hook.session-start')[0]?.payload.claudeSessionId;
      const refused = entries(t, 'api.refused').map((e) => e.payload);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((r) => r.claudeSessionId !== outer)).toBe(true);
      // Around it, straight to the API: the placeholder is not a key the API accepts.
      const rejected = t.api.requests.filter((r) => r.kind === 'rejected');
      expect(rejected.length).toBeGreaterThan(0);
      expect(rejected.every((r) => r.headers['x-api-key']?.startsWith('sk-ant-api03-ceros-session-'))).toBe(
        true,
      );
      // No nested session got a turn: every turn request is the outer session's.
      expect(new Set(t.api.turnRequests().map((r) => r.headers['x-claude-code-session-id']))).toEqual(
        new Set([outer as string | undefined]),
      );
    } finally {
      await t.close();
    }
  }, 180_000);

  test('a ceros session started from a tool call is marked nested, and refused when the policy denies nested sessions', async () => {
    let denyPolicy = '';
    let allowPolicy = '';
    const inner = (policy: string) =>
      `env -u CEROS_SESSION -u CLAUDECODE -u CLAUDE_CODE_SESSION_ID '${cerosBinary()}' claude --policy '${policy}' --allow-unsigned-policy -p hi --output-format json; echo "exit=$?"`;
    const t = await cerosSession((_request, index) => {
      if (index === 0) return turn(toolUseBlock('Bash', { command: inner(denyPolicy) }, 'toolu_denied'));
      if (index === 1)
        return turn(toolUseBlock('Bash', { command: inner(allowPolicy), timeout: 120_000 }, 'toolu_marked'));
      return undefined;
    });
    try {
      denyPolicy = policyFile(
        t,
        'no-nesting.yaml',
        'version: 1\ndefault: allow\nsession:\n  nestedSessions: deny\n',
      );
      allowPolicy = policyFile(t, 'nesting.yaml', 'version: 1\ndefault: allow\n');
      // The outer session's own policy file is protected from its tools (even as an argument).
      const outerPolicy = policyFile(t, 'outer.yaml', 'version: 1\ndefault: allow\n');
      const run = await runCerosClaude(
        t,
        [
          '--policy',
          outerPolicy,
          '--allow-unsigned-policy',
          '-p',
          'start another session',
          '--output-format',
          'json',
          '--allowedTools',
          'Bash',
        ],
        { timeoutMs: 150_000 },
      );
      expect(run.exitCode).toBe(0);
      expect(t.api.toolResultFor('toolu_denied')?.content).toContain('exit=77');
      expect(t.api.toolResultFor('toolu_denied')?.content).toContain(
        'the policy does not allow nested sessions',
      );
      const refusal = entries(t, 'session.refused')[0]?.payload;
      expect(refusal).toMatchObject({ refused: 'nested-session', nesting: { nested: true } });
      // The markers were unset; the Claude Code process above it still gives it away.
      expect(refusal?.nesting).toMatchObject({
        agents: [expect.objectContaining({ pid: expect.any(Number) })],
      });
      const starts = entries(t, 'session.start');
      expect(starts).toHaveLength(2);
      expect(starts[0]?.payload.nested).toBeNull();
      expect(starts[1]?.payload.nested).toMatchObject({
        agents: [expect.objectContaining({ pid: expect.any(Number) })],
      });
    } finally {
      await t.close();
    }
  }, 180_000);
});
