import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeRealpath, createShellParser } from '@ceros/policy';
import { createEdgeClient, type EdgeConfig, sessionRequestSigner } from '../edge-client/index.ts';
import {
  createJournalWriter,
  type EdgeWithDevice,
  edgeWithDevice,
  type JournalWriter as TestJournal,
  waitFor,
} from '../edge-client/test-support.ts';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { openJournalWriter, readJournalFile } from '../journal/journal.ts';
import { createFakeSnapshot } from '../posture/fake-snapshot.ts';
import { createSessionJournal, type SessionJournal } from './session-journal.ts';
import { starterSessionPolicy } from './session-policy.ts';
import { createSessionState, type SessionState } from './session-state.ts';
import { type EdgeSync, runSyncStage, type SyncStageDeps } from './sync-stage.ts';

let home: string;
let edge: EdgeWithDevice;
let written: TestJournal;
let journal: SessionJournal;
let state: SessionState;
let sync: EdgeSync | undefined;

const evaluationContext: SyncStageDeps['evaluationContext'] = async (mcpServers) => ({
  home: '/home/dev',
  cerosHome: '/home/dev/.ceros',
  cerosBinary: '/usr/bin/ceros',
  realpath: createFakeRealpath({}),
  mcpServers,
  shell: await createShellParser(),
});

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ceros-sync-stage-'));
  edge = await edgeWithDevice(home);
  // A session already under way: its key entry and three prompts, signed as the agent signs them.
  written = createJournalWriter(join(home, 'journal', 'journal.jsonl'), edge.deviceId, edge.key);
  await written.startSession('s1');
  written.write(3);
  const key = written.sessionKey();
  journal = createSessionJournal(() => {});
  journal.open(
    openJournalWriter({
      dir: join(home, 'journal'),
      device: edge.deviceId,
      session: 's1',
      sessionKey: key.privateKey,
      lock: { lock: lockExclusive, unlock },
    }),
  );
  const posture = createFakeSnapshot();
  state = createSessionState({
    policy: starterSessionPolicy('your organization has published no policy yet'),
    evaluation: await evaluationContext({}),
    posture,
    facts: {},
  });
});

afterEach(async () => {
  await sync?.stop();
  sync = undefined;
  journal.writer()?.close();
  rmSync(home, { recursive: true, force: true });
});

function start(overrides: Partial<SyncStageDeps> = {}, ended: string[] = []): EdgeSync {
  const key = written.sessionKey();
  sync = runSyncStage({
    enrolled: { edgeUrl: 'http://edge.test' } as EdgeConfig,
    home,
    deviceId: edge.deviceId,
    sessionId: 's1',
    keys: { ...key, publicKeyRaw: key.certificate.sessionKey },
    journal,
    state,
    progress: () => {},
    end: (reason) => ended.push(reason),
    pollPolicy: false,
    policyPollMs: 60_000,
    trustedKeys: edge.trustedKeys,
    evaluationContext,
    identities: {},
    client: createEdgeClient({
      baseUrl: 'http://edge.test',
      signer: sessionRequestSigner({ deviceId: edge.deviceId, ...key }),
      fetch: async (input, init) => edge.app.fetch(new Request(input, init)),
    }),
    ...overrides,
  });
  return sync;
}

describe('runSyncStage()', () => {
  test('uploads the journal as it grows, and at exit what is left reaches the edge', async () => {
    const running = start();
    journal.recorder.append('prompt', { text: 'one more' });
    await running.flushAtExit();
    // 1 key entry + 3 prompts from before, and the one just recorded.
    await waitFor(() => edge.ledger.length === 5, 5_000);
    expect(edge.ledger.at(-1)).toContain('one more');
  });

  test('a revocation locks the session down, journals an alert and ends the agent', async () => {
    await edge.store.setDeviceStatus(edge.orgId, edge.deviceId, 'revoked', Date.now(), 'offboarded');
    const ended: string[] = [];
    start({}, ended);
    await waitFor(() => ended.length > 0, 5_000);
    expect(state.lockdown).toEqual({
      rule: 'revoked',
      reason: expect.stringContaining('This device or its user was revoked'),
    });
    expect(ended[0]).toStartWith('revoked by the organization: ');
  });

  test('a bundle the organization publishes is enforced in the running session and journaled', async () => {
    const created = await edge.admin('POST', '/v1/admin/policies', {
      name: 'no-bash',
      source: 'version: 1\ndefault: allow\nrules:\n  - id: no-bash\n    tools: [Bash]\n    effect: deny\n',
    });
    const { id, version } = (await created.json()) as { id: string; version: number };
    expect((await edge.admin('POST', `/v1/admin/policies/${id}/publish`, { version })).status).toBe(200);
    start({ pollPolicy: true, policyPollMs: 20 });
    await waitFor(() => state.policy?.source.kind === 'edge', 5_000);
    const call = { toolName: 'Bash', toolInput: { command: 'ls' }, cwd: '/p', projectDir: '/p' };
    expect(state.decide(call)).toMatchObject({ effect: 'deny', rule: 'no-bash' });
    const entries = readJournalFile(join(home, 'journal', 'journal.jsonl')).entries as {
      type: string;
      payload: { kind?: string };
    }[];
    expect(entries.at(-1)).toMatchObject({ type: 'policy.updated', payload: { kind: 'edge', signed: true } });
  });
});
