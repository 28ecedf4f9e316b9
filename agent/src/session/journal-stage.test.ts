import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, parsePolicy } from '@ceros/policy';
import { devicePublicKeyFromSpki, verifyJournal } from '@ceros/protocol';
import { JOURNAL_FILE, readJournalFile } from '../journal/journal.ts';
import { createFileKeystore } from '../keystore/file.ts';
import { createFakeSnapshot } from '../posture/fake-snapshot.ts';
import { loadOrCreateDevice } from './identity.ts';
import { type JournalStageInput, runJournalStage } from './journal-stage.ts';
import { starterSessionPolicy } from './session-policy.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function input(overrides: Partial<JournalStageInput> = {}): Promise<JournalStageInput> {
  const home = mkdtempSync(join(tmpdir(), 'ceros-journal-stage-'));
  dirs.push(home);
  const device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
  return {
    sessionId: '6c1f0b7e-2a4d-4c8e-9b1a-3f5e7d9c0a12',
    home,
    device,
    keystoreReason: 'software keystore (test)',
    enrolled: null,
    policy: starterSessionPolicy('no policy is configured'),
    posture: createFakeSnapshot(),
    agentPid: 4242,
    agent: {
      claudeBinary: '/usr/bin/claude',
      claudePid: 4242,
      claudeArgs: ['-p', 'hi'],
      userSettings: false,
    },
    cwd: '/home/dev/project',
    projectDir: '/home/dev/project',
    socketPath: '/run/s.sock',
    proxyUrl: 'http://127.0.0.1:1',
    upstream: 'https://api.anthropic.com',
    mcpServers: [
      { name: 'alpha', source: 'mcp-config', identity: null, status: 'allowed', rule: null, reason: 'ok' },
    ],
    configInventory: { approval: 'required', items: [], approvedNow: [] },
    nesting: { nested: false, markers: {}, agents: [] },
    credentialsReplaced: [],
    runDir: join(home, 'run'),
    ...overrides,
  };
}

const ancestry = async () => ({ ancestry: { chain: [] }, digest: 'd'.repeat(64) });

function entries(home: string) {
  return readJournalFile(join(home, 'journal', JOURNAL_FILE)).entries as {
    type: string;
    payload: Record<string, unknown>;
  }[];
}

describe('runJournalStage()', () => {
  test('certifies the session key and journals session.start with the policy in force, then every MCP server', async () => {
    const given = await input();
    const opened = await runJournalStage(given, { ancestry, progress: () => {} });
    opened.writer.close();
    const journal = entries(given.home);
    expect(journal.map((e) => e.type)).toEqual([
      'session.key',
      'session.start',
      'config.inventory',
      'mcp.server',
    ]);
    expect(journal[1]?.payload).toMatchObject({
      claudeBinary: '/usr/bin/claude',
      claudePid: 4242,
      mode: 'local',
      policy: { kind: 'starter', starter: 'baseline', signed: false },
      ancestryDigest: 'd'.repeat(64),
    });
    expect(opened.keys.certificate).toMatchObject({
      session: given.sessionId,
      policyHash: given.policy?.source.hash,
      ancestryDigest: 'd'.repeat(64),
    });
    const key = devicePublicKeyFromSpki(given.device.record.publicKeySpki);
    expect(verifyJournal(journal, { deviceKey: () => key })).toMatchObject({ ok: true, count: 4 });
  });

  test('records a development flag: no policy, or an unsigned policy file', async () => {
    const none = await input({ policy: null, mcpServers: [] });
    (await runJournalStage(none, { ancestry, progress: () => {} })).writer.close();
    const noneJournal = entries(none.home);
    expect(noneJournal.map((e) => e.type)).toEqual([
      'session.key',
      'session.start',
      'config.inventory',
      'policy.none',
    ]);
    expect(noneJournal[1]?.payload.policy).toEqual({ kind: 'none', reason: 'Started with --no-policy-dev' });

    const parsed = parsePolicy('version: 1\ndefault: allow\n');
    if (!parsed.ok) throw new Error('fixture policy is invalid');
    const compiled = compilePolicy(parsed.value);
    const unsigned = await input({
      policy: {
        compiled,
        source: { kind: 'unsigned-file', file: '/p.yaml', hash: compiled.hash, version: null },
      },
      mcpServers: [],
    });
    (await runJournalStage(unsigned, { ancestry, progress: () => {} })).writer.close();
    expect(entries(unsigned.home).at(-1)).toMatchObject({
      type: 'policy.unsigned',
      payload: { file: '/p.yaml', hash: compiled.hash, reason: 'Started with --allow-unsigned-policy' },
    });
  });
});
