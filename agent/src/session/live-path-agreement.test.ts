/**
 * `ceros policy explain` and the live hook path must decide every payload alike: one hook model,
 * one Decision. Every captured Claude Code payload (tests/fixtures/hooks) goes through the session
 * core with the real policy decide, and through explain, under each policy and each permission mode.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeRealpath, createShellParser, type Decision, starterPolicy } from '@ceros/policy';
import type { JournalEntry } from '@ceros/protocol';
import type { CommandContext } from '../cli/command.ts';
import { guardDecide } from '../decide/decision.ts';
import { isHookEvent } from '../hook/events.ts';
import type { PolicyCliDeps } from '../policy-cli/deps.ts';
import { policyExplain } from '../policy-cli/explain.ts';
import { TRUSTING_VERIFIER } from './hook-peer.ts';
import { createSessionCore } from './session-core.ts';

const TRUSTED = TRUSTING_VERIFIER.socket(null);

import { loadPolicyFile, policyDecide } from './session-policy.ts';

const HOOKS = join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'hooks');
const HOME = '/home/dev';
const PROJECT = '/home/dev/project';
const CEROS_HOME = '/home/dev/.ceros';
const CEROS_BINARY = '/usr/local/bin/ceros';

const POLICIES: Record<string, string> = {
  baseline: starterPolicy('baseline'),
  strict: starterPolicy('strict'),
  // Rules that only a payload's permission mode or tool can trigger: a dropped field shows here.
  modes: [
    'version: 1',
    'default: allow',
    'rules:',
    '  - id: no-bash-when-bypassing',
    '    tools: [Bash]',
    '    sessionModes: [bypassPermissions]',
    '    effect: deny',
    '    reason: Bash is not allowed with permissions bypassed',
    '  - id: ask-edits-in-plan',
    '    tools: [Edit, Write]',
    '    sessionModes: [plan]',
    '    effect: ask',
    '  - id: watch-mcp',
    '    tools: ["mcp__*"]',
    '    effect: deny',
    '    mode: monitor',
    '',
  ].join('\n'),
};
const MODES = [undefined, 'default', 'acceptEdits', 'plan', 'bypassPermissions'];

const dir = mkdtempSync(join(tmpdir(), 'ceros-agreement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shell = createShellParser();
const realpath = createFakeRealpath({});
const deps: PolicyCliDeps = {
  readFile: async (path) => readFileSync(path, 'utf8'),
  shellParser: () => shell,
  realpath,
  home: HOME,
  cerosHome: CEROS_HOME,
  cerosBinary: CEROS_BINARY,
};

const fixtures = readdirSync(HOOKS)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    raw: JSON.parse(readFileSync(join(HOOKS, file), 'utf8')) as Record<string, unknown>,
  }));

/** The payload with its permission mode replaced (or as captured when `mode` is undefined). */
function withMode(raw: Record<string, unknown>, mode: string | undefined): string {
  return JSON.stringify(mode === undefined ? raw : { ...raw, permission_mode: mode });
}

async function live(policyFile: string, event: string, text: string) {
  const loaded = loadPolicyFile(policyFile, { home: dir, trustedKeys: [], allowUnsigned: true });
  if (!loaded.ok || !loaded.value) throw new Error(loaded.ok ? 'no policy' : loaded.error);
  const context = {
    home: HOME,
    cerosHome: CEROS_HOME,
    cerosBinary: CEROS_BINARY,
    realpath,
    shell: await shell,
  };
  const entries: { type: string; payload: Record<string, unknown> }[] = [];
  const core = createSessionCore({
    recorder: {
      append: (type, payload) => {
        entries.push({ type, payload: payload as Record<string, unknown> });
        return {} as JournalEntry;
      },
    },
    decide: guardDecide(policyDecide(loaded.value.compiled, context, () => undefined)),
    projectDir: PROJECT,
    ready: Promise.resolve(),
  });
  const answer = await core.handleHook(event, text, { pid: null, peer: TRUSTED });
  // A PostToolBatch may journal Claude Code's own refusals (decidedBy "claude-code"); ceros decides PreToolUse.
  const decisions = entries.filter(
    (e) => e.type === 'tool.decision' && e.payload.decidedBy !== 'claude-code',
  );
  return {
    answer,
    decision: decisions[0]?.payload.decision as Decision | undefined,
    count: decisions.length,
  };
}

async function explain(policyFile: string, text: string) {
  const ctx: CommandContext = { env: {}, cwd: PROJECT, readStdin: async () => text, progress: () => {} };
  return policyExplain(['--policy', policyFile, '--project', PROJECT], ctx, deps);
}

describe('the live hook path and `ceros policy explain` agree on every captured payload', () => {
  for (const [name, source] of Object.entries(POLICIES)) {
    const policyFile = join(dir, `${name}.yaml`);
    writeFileSync(policyFile, source);
    test(`under the ${name} policy, in every permission mode`, async () => {
      let decided = 0;
      const effects = new Set<string>();
      for (const { file, raw } of fixtures) {
        const event = String(raw.hook_event_name);
        expect({ file, known: isHookEvent(event) }).toEqual({ file, known: true });
        if (!isHookEvent(event)) continue;
        for (const mode of MODES) {
          const text = withMode(raw, mode);
          const where = { file, mode: mode ?? 'as captured' };
          const [ran, explained] = await Promise.all([
            live(policyFile, event, text),
            explain(policyFile, text),
          ]);
          if (event !== 'PreToolUse') {
            // Only PreToolUse is decided by ceros: the live path journals no decision of its own, explain refuses.
            expect({ ...where, decisions: ran.count, exit: explained.exitCode }).toEqual({
              ...where,
              decisions: 0,
              exit: 64,
            });
            expect(explained.stderr).toContain(`"hook_event_name" is "${event}"`);
            continue;
          }
          expect({ ...where, exit: explained.exitCode, decisions: ran.count }).toEqual({
            ...where,
            exit: 0,
            decisions: 1,
          });
          const { hookOutput, ...explainedDecision } = JSON.parse(explained.stdout) as Decision & {
            hookOutput: { hookSpecificOutput: { permissionDecision: string } };
          };
          expect({ ...where, decision: ran.decision }).toEqual({ ...where, decision: explainedDecision });
          // The answer Claude Code gets says the same: allow prints nothing, deny and ask say so.
          const answered =
            ran.answer.stdout === ''
              ? 'allow'
              : (JSON.parse(ran.answer.stdout) as { hookSpecificOutput: { permissionDecision: string } })
                  .hookSpecificOutput.permissionDecision;
          expect({ ...where, answered }).toEqual({
            ...where,
            answered: hookOutput.hookSpecificOutput.permissionDecision,
          });
          decided++;
          effects.add(`${explainedDecision.effect}:${explainedDecision.rule}`);
        }
      }
      expect(decided).toBe(
        fixtures.filter((f) => f.raw.hook_event_name === 'PreToolUse').length * MODES.length,
      );
      if (name === 'modes') {
        // The mode rules fired on the live path too (the field that was once dropped).
        expect([...effects]).toEqual(
          expect.arrayContaining(['deny:no-bash-when-bypassing', 'ask:ask-edits-in-plan', 'allow:default']),
        );
      }
    }, 60_000);
  }
});
