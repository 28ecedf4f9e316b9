/**
 * Seeds a console edge the way production fills it:
 * - a REAL session (tests/src/e2e/real-session.ts, the one the golden journal fixture records):
 *   `dist/ceros claude` around the real Claude Code and the scripted API, with a policy that denies
 *   Write, a real stdio MCP server and an Agent subagent; then that device enrolls through the
 *   edge's HTTP enrollment (agent edge-client: signed start, the /enroll pages, the emailed code,
 *   poll) and its journal goes up through the agent's uploader, signed by the device key. The
 *   conversation, tool, posture and activity views are read from it;
 * - a second device written by the edge's FakeDevice (the agent's entry shapes, real signatures)
 *   for what the agent does not journal yet (MCP server sightings) and for a device to revoke.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEdgeClient } from '../../../agent/src/edge-client/client.ts';
import { journalPath, uploadCursorPath } from '../../../agent/src/edge-client/config.ts';
import { pollEnrollment, startEnrollment } from '../../../agent/src/edge-client/enrollment.ts';
import { createJsonlEntryReader } from '../../../agent/src/edge-client/jsonl-reader.ts';
import { deviceIdFromSpki, deviceRequestSigner } from '../../../agent/src/edge-client/signed-request.ts';
import { createUploader } from '../../../agent/src/edge-client/uploader.ts';
import { createFileKeystore } from '../../../agent/src/keystore/file.ts';
import { createFakeDevice, writeSampleSession } from '../../../edge/src/testing/index.ts';
import { runRealSession } from '../e2e/real-session.ts';
import { type ConsoleEdge, codeFor } from './console-edge.ts';

/** Completes the browser half of enrollment (code page, email, emailed code) with plain HTTP. */
async function enrollInBrowserForms(edge: ConsoleEdge, userCode: string, email: string): Promise<void> {
  const page = await fetch(`${edge.url}/enroll?code=${encodeURIComponent(userCode)}`);
  const csrfCookie = page.headers.getSetCookie().find((line) => line.startsWith('ceros_enroll_csrf='));
  const csrf = csrfCookie?.split(';')[0]?.slice('ceros_enroll_csrf='.length) ?? '';
  const form = (fields: Record<string, string>) =>
    fetch(`${edge.url}/enroll/${fields.otp ? 'verify' : 'email'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ceros_enroll_csrf=${csrf}` },
      body: new URLSearchParams({ csrf, code: userCode, ...fields }).toString(),
    });
  const emailed = await form({ email });
  if (emailed.status !== 200) throw new Error(`enroll/email: ${emailed.status} ${await emailed.text()}`);
  const verified = await form({ otp: codeFor(edge.outbox, email) });
  if (verified.status !== 200) throw new Error(`enroll/verify: ${verified.status} ${await verified.text()}`);
}

export interface RealSession {
  deviceId: string;
  sessionId: string;
  email: string;
  entries: number;
  /** The Write call's decision as the agent journaled it (the console must show exactly this). */
  writeDecision: { effect: string; rule: string; reason: string };
  /** How the device got registered: the HTTP enrollment, or directly in the store (see below). */
  registeredBy: 'enrollment' | 'store';
}

export async function seedRealSession(edge: ConsoleEdge, email = 'dev@acme.test'): Promise<RealSession> {
  const { session: s, journal } = await runRealSession();
  try {
    const sessionId = journal[0]?.session;
    if (!sessionId) throw new Error('The session journaled nothing');
    const decision = journal.find(
      (e) => e.type === 'tool.decision' && e.payload.toolUseId === 'toolu_01write',
    )?.payload.decision as { effect: string; rule: string; reason: string } | undefined;
    if (!decision) throw new Error('The Write call has no journaled decision');

    const record = JSON.parse(readFileSync(join(s.home, 'device.json'), 'utf8')) as { deviceId: string };
    const key = await createFileKeystore(join(s.home, 'keys')).load('device');
    if (!key) throw new Error('The session left no device key');
    let registeredBy: RealSession['registeredBy'] = 'enrollment';
    if (deviceIdFromSpki(key.publicKeySpki) === record.deviceId) {
      const start = await startEnrollment({
        edgeUrl: edge.url,
        key,
        org: edge.org.slug,
        device: { hostname: 'dev-laptop', os: 'linux', arch: 'x64', cerosVersion: '0.1.0' },
      });
      await enrollInBrowserForms(edge, start.userCode, email);
      const poll = await pollEnrollment({
        edgeUrl: edge.url,
        enrollmentId: start.enrollmentId,
        pollToken: start.pollToken,
      });
      if (poll.status !== 'complete') throw new Error(`Enrollment ended "${poll.status}"`);
    } else {
      // The agent still names its device `dev_<uuid>` (agent/src/session/identity.ts) while the edge
      // derives the id from the key (deviceIdFromSpki), so this journal's entries could not be
      // ingested under an HTTP-enrolled id. Until the two agree, register the key under the id
      // the journal carries; ingest below still goes over HTTP, signed, like the agent's.
      registeredBy = 'store';
      const user = await edge.store.ensureUser(edge.org.id, email, 'active', Date.now());
      await edge.store.registerDevice({
        orgId: edge.org.id,
        id: record.deviceId,
        userId: user.id,
        publicKey: key.publicKeySpki,
        keyProtection: key.protection,
        status: 'active',
        info: { hostname: 'dev-laptop', os: 'linux', arch: 'x64', cerosVersion: '0.1.0' },
        nowMs: Date.now(),
      });
    }
    const uploader = createUploader({
      client: createEdgeClient({ baseUrl: edge.url, signer: deviceRequestSigner(record.deviceId, key) }),
      readEntriesAfter: createJsonlEntryReader(journalPath(s.home)),
      cursorPath: uploadCursorPath(s.home),
      deviceId: record.deviceId,
    });
    if (!(await uploader.flush(20_000))) throw new Error('The uploader did not catch up');
    return {
      deviceId: record.deviceId,
      sessionId,
      email,
      entries: journal.length,
      writeDecision: { effect: decision.effect, rule: decision.rule, reason: decision.reason },
      registeredBy,
    };
  } finally {
    await s.close();
  }
}

/** A second device: enrolled over HTTP, one sample session uploaded, signed by the fake agent. */
export async function seedSampleDevice(
  edge: ConsoleEdge,
  email = 'ops@acme.test',
  options: { at?: number; postureOk?: boolean } = {},
): Promise<{ deviceId: string; sessionId: string }> {
  const at = options.at ?? Date.now() - 3 * 3600_000;
  const device = createFakeDevice({ now: () => at });
  const post = (path: string, body: unknown) =>
    fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const start = await post('/v1/enroll/start', device.enrollStartBody(edge.org.slug, Date.now()));
  if (start.status !== 201) throw new Error(`enroll/start: ${start.status} ${await start.text()}`);
  const started = (await start.json()) as { enrollmentId: string; userCode: string; pollToken: string };
  await enrollInBrowserForms(edge, started.userCode, email);
  const poll = await post('/v1/enroll/poll', {
    enrollmentId: started.enrollmentId,
    pollToken: started.pollToken,
  });
  if (((await poll.json()) as { status: string }).status !== 'complete')
    throw new Error('Sample enrollment incomplete');
  const sessionId = randomUUID();
  const entries = await writeSampleSession(device, sessionId, {
    at,
    prompt: 'Open an issue about the flaky build',
    command: 'git log --oneline -5',
    postureOk: options.postureOk ?? false,
  });
  const body = JSON.stringify({ entries });
  const ingest = await fetch(`${edge.url}/v1/agent/ingest`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...device.headers('POST', '/v1/agent/ingest', body, { now: Date.now() }),
    },
    body,
  });
  if (ingest.status !== 200) throw new Error(`ingest: ${ingest.status} ${await ingest.text()}`);
  // The agent reports Claude Code runs it finds without ceros (an adoption gap).
  const gap = JSON.stringify({
    claudeSessionId: randomUUID(),
    cwd: '/home/ops/infra',
    details: { reason: 'claude run directly' },
  });
  const reported = await fetch(`${edge.url}/v1/agent/adoption-gaps`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...device.headers('POST', '/v1/agent/adoption-gaps', gap, { now: Date.now() }),
    },
    body: gap,
  });
  if (reported.status !== 201) throw new Error(`adoption-gaps: ${reported.status} ${await reported.text()}`);
  return { deviceId: device.id, sessionId };
}
