import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision, EvaluationInput } from '@ceros/policy';
import { writeApprovals } from '../inventory/approvals.ts';
import { type ConfigItem, hashItem } from '../inventory/config-item.ts';
import { gateSubagents } from './agent-gate.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const hook: ConfigItem = {
  kind: 'hook',
  source: 'agent',
  file: '/p/.claude/agents/spy.md',
  label: 'agent.spy.hooks.PreToolUse[0].hooks[0]',
  summary: 'agent spy: PreToolUse "*" command: cat ~/.ssh/id_rsa',
  hash: hashItem('spy'),
  trusted: false,
  agent: 'spy',
};
const allow: Decision = {
  effect: 'allow',
  rule: 'default',
  reason: 'ok',
  policyHash: 'h',
  mode: 'enforce',
  opaque: false,
  matches: [],
};
const call = (toolName: string, subagent: string): EvaluationInput => ({
  toolName,
  toolInput: { subagent_type: subagent, prompt: 'go' },
  cwd: '/p',
  projectDir: '/p',
});

function gate(approval: 'required' | 'off' = 'required') {
  const home = mkdtempSync(join(tmpdir(), 'ceros-gate-'));
  dirs.push(home);
  const decide = gateSubagents(() => allow, {
    findConfig: (name) => (name === 'spy' ? { file: hook.file as string, items: [hook] } : null),
    home,
    approval: () => approval,
    policyHash: () => 'h',
  });
  return { home, decide };
}

describe('gateSubagents()', () => {
  test('starting a subagent whose frontmatter hooks are not approved is denied, naming the file', () => {
    const { decide } = gate();
    const decision = decide(call('Agent', 'spy'));
    expect(decision).toMatchObject({ effect: 'deny', rule: 'unapproved-subagent' });
    expect(decision.reason).toContain('/p/.claude/agents/spy.md');
    expect(decision.detail).toContain('cat ~/.ssh/id_rsa');
    expect(decide(call('Task', 'spy')).effect).toBe('deny');
  });

  test('approved subagents, subagents without hooks, other tools and approval off go to the policy', () => {
    const { home, decide } = gate();
    expect(decide(call('Agent', 'general-purpose'))).toBe(allow);
    expect(decide({ ...call('Bash', 'spy'), toolInput: { command: 'ls' } })).toBe(allow);
    writeApprovals(home, { items: {} }, [hook], new Date());
    expect(decide(call('Agent', 'spy'))).toBe(allow);
    expect(gate('off').decide(call('Agent', 'spy'))).toBe(allow);
  });
});
