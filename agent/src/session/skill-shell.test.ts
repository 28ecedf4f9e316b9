import { beforeAll, describe, expect, test } from 'bun:test';
import {
  compilePolicy,
  createFakeRealpath,
  createShellParser,
  type EvaluationContext,
  parsePolicy,
  starterPolicy,
} from '@ceros/policy';
import type { JournalEntry } from '@ceros/protocol';
import { guardDecide } from '../decide/decision.ts';
import { TRUSTING_VERIFIER } from './hook-peer.ts';
import { createSessionCore } from './session-core.ts';

const TRUSTED = TRUSTING_VERIFIER.socket(null);

import { policyDecide } from './session-policy.ts';

/** A PreSkillShellCommand payload as Claude Code 2.1.337 sent it (a project skill the model invoked). */
const payload = (command: string) =>
  JSON.stringify({
    session_id: '256aa279-490b-4b24-8c67-85b76ae3448c',
    transcript_path:
      '/home/dev/.claude/projects/-home-dev-project/256aa279-490b-4b24-8c67-85b76ae3448c.jsonl',
    cwd: '/home/dev/project',
    prompt_id: '1df268a4-df1b-4578-8858-2f0b311668c6',
    permission_mode: 'default',
    effort: { level: 'medium' },
    hook_event_name: 'PreSkillShellCommand',
    tool_name: 'Bash',
    tool_input: { command },
    tool_use_id: 'toolu_s:preamble-0',
    command_name: 'peek',
    command_source: 'projectSettings',
    invoked_by: 'claude',
  });

let ctx: EvaluationContext;
beforeAll(async () => {
  ctx = {
    home: '/home/dev',
    cerosHome: '/home/dev/.ceros',
    cerosBinary: '/usr/local/bin/ceros',
    realpath: createFakeRealpath({}),
    shell: await createShellParser(),
  };
});

function session(yaml: string) {
  const parsed = parsePolicy(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const policy = compilePolicy(parsed.value);
  const entries: { type: string; payload: Record<string, unknown> }[] = [];
  const core = createSessionCore({
    recorder: {
      append: (type, value) => {
        entries.push({ type, payload: value as Record<string, unknown> });
        return {} as JournalEntry;
      },
    },
    decide: guardDecide(policyDecide(policy, ctx, () => undefined)),
    projectDir: '/home/dev/project',
    ready: Promise.resolve(),
    skillShell: () => policy.session.skillShell,
    policyHash: () => policy.hash,
  });
  return { core, entries };
}

const allowing = starterPolicy('baseline').replace('skillShell: deny', 'skillShell: allow');

describe('PreSkillShellCommand', () => {
  test('a skill shell command is decided as a Bash call: reading ~/.ssh is blocked and journaled with the skill', async () => {
    const { core, entries } = session(allowing);
    const answer = await core.handleHook('PreSkillShellCommand', payload('cat ~/.ssh/id_rsa'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(answer.exitCode).toBe(0);
    expect(JSON.parse(answer.stdout)).toEqual({
      decision: 'block',
      reason: expect.stringContaining('ceros policy (ssh-keys)'),
    });
    expect(entries).toEqual([
      {
        type: 'tool.decision',
        payload: expect.objectContaining({
          origin: 'skill-shell',
          commandName: 'peek',
          commandSource: 'projectSettings',
          invokedBy: 'claude',
          toolName: 'Bash',
          toolUseId: 'toolu_s:preamble-0',
          toolInput: { command: 'cat ~/.ssh/id_rsa' },
          decision: expect.objectContaining({ effect: 'deny', rule: 'ssh-keys' }),
        }),
      },
    ]);
  });

  test('an ordinary command runs when the policy allows skill shell', async () => {
    const { core } = session(allowing);
    expect(
      await core.handleHook('PreSkillShellCommand', payload('git status'), { pid: null, peer: TRUSTED }),
    ).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
  });

  test('a policy that does not allow skill shell blocks every command, even one Bash rules would allow', async () => {
    const { core, entries } = session(starterPolicy('baseline'));
    const answer = await core.handleHook('PreSkillShellCommand', payload('git status'), {
      pid: null,
      peer: TRUSTED,
    });
    expect(JSON.parse(answer.stdout).decision).toBe('block');
    expect(entries[0]?.payload.decision).toMatchObject({ rule: 'skill-shell' });
  });

  test('a malformed payload is blocked (exit 2) and journaled as rejected', async () => {
    const { core, entries } = session(allowing);
    const answer = await core.handleHook('PreSkillShellCommand', '{"session_id":"s","cwd":"/p"}', {
      pid: null,
      peer: TRUSTED,
    });
    expect(answer.exitCode).toBe(2);
    expect(entries.map((e) => e.type)).toEqual(['hook.rejected']);
  });
});
