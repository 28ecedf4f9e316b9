import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESSION_KEY_ENTRY } from '@ceros/protocol';
import { lockExclusive, unlock } from '../journal/flock.ts';
import { JOURNAL_FILE, type JournalWriter, openJournalWriter } from '../journal/journal.ts';
import { createFileKeystore } from '../keystore/file.ts';
import { createSessionKeys, type DeviceIdentity, loadOrCreateDevice } from '../session/identity.ts';
import type { CommandContext } from './command.ts';
import { runCli } from './run.ts';

let home: string;
let ctx: CommandContext;
let device: DeviceIdentity;
const deps = { cerosBinary: '/bin/ceros', uid: 1000 };

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ceros-log-repair-'));
  ctx = {
    env: { CEROS_HOME: home, CEROS_KEYSTORE: 'software' },
    cwd: home,
    readStdin: async () => '',
    progress: () => {},
  };
  device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

async function session(): Promise<JournalWriter> {
  const keys = await createSessionKeys(device, crypto.randomUUID(), {
    user: null,
    postureDigest: null,
    ancestryDigest: null,
    policyHash: null,
  });
  const writer = openJournalWriter({
    dir: join(home, 'journal'),
    device: device.record.deviceId,
    session: keys.sessionId,
    sessionKey: keys.privateKey,
    lock: { lock: lockExclusive, unlock },
  });
  writer.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
  return writer;
}

const journalPath = () => join(home, 'journal', JOURNAL_FILE);

describe('ceros log repair', () => {
  test('a garbage line that stopped every append is set aside, journaled, and sessions append again', async () => {
    const writer = await session();
    writer.append('note', { n: 1 });
    appendFileSync(journalPath(), 'not a journal entry\n');
    expect(() => writer.append('note', { n: 2 })).toThrow('Run `ceros log repair`');

    const before = await runCli(['log', 'verify'], ctx, deps);
    expect(before.exitCode).toBe(3);
    expect(before.stderr).toContain('Line 3 is not a journal entry (not JSON)');

    const r = await runCli(['log', 'repair', '--json'], ctx, deps);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.removed).toEqual([expect.objectContaining({ kind: 'damaged', line: 3, length: 20 })]);
    expect(readFileSync(report.setAside, 'utf8')).toBe('not a journal entry\n');
    expect(statSync(report.setAside).mode & 0o777).toBe(0o600);
    expect(report.journaled).toMatchObject({ seq: 4 });

    writer.append('note', { n: 3 });
    const after = await runCli(['log', 'verify', '--json'], ctx, deps);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, count: 6 });
    const listed = await runCli(['log', '--type', 'alert', '--json'], ctx, deps);
    expect(JSON.parse(listed.stdout).payload).toMatchObject({
      kind: 'journal-repaired',
      setAside: report.setAside,
    });
  });

  test('entries after a garbage line in the middle are kept byte for byte, in order', async () => {
    const writer = await session();
    for (let n = 0; n < 4; n++) writer.append('note', { n });
    const original = readFileSync(journalPath(), 'utf8');
    const lines = original.split('\n');
    lines.splice(2, 0, '{"half":');
    writeFileSync(journalPath(), lines.join('\n'));
    const r = JSON.parse((await runCli(['log', 'repair', '--json'], ctx, deps)).stdout);
    expect(r.removed).toEqual([expect.objectContaining({ kind: 'damaged', line: 3 })]);
    expect(r.entriesKept).toBe(3);
    // The original entries, then the repair's own session (session.key, maintenance.start, alert).
    expect(readFileSync(journalPath(), 'utf8').startsWith(original)).toBe(true);
    expect(JSON.parse((await runCli(['log', 'verify', '--json'], ctx, deps)).stdout)).toMatchObject({
      ok: true,
      count: 8,
    });
  });

  test('a torn tail is named as such by verify (not a failure) and set aside by repair', async () => {
    const writer = await session();
    writer.append('note', { n: 1 });
    appendFileSync(journalPath(), '{"v":1,"device":"d');
    const v = await runCli(['log', 'verify'], ctx, deps);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain('Journal verified: 2 entries');
    expect(v.stdout).toContain('ends with a torn line (line 3, 18 bytes without a newline)');
    const r = await runCli(['log', 'repair'], ctx, deps);
    expect(r.stdout).toContain('Set aside 1 line');
    expect(r.stdout).toContain('torn line');
    expect(r.stdout).toContain('Journaled as seq');
    expect((await runCli(['log', 'verify', '--json'], ctx, deps)).exitCode).toBe(0);
  });

  test('an intact journal needs no repair and nothing is journaled', async () => {
    (await session()).close();
    const size = statSync(journalPath()).size;
    const r = await runCli(['log', 'repair'], ctx, deps);
    expect(r.stdout).toContain('The journal needs no repair');
    expect(statSync(journalPath()).size).toBe(size);
  });

  test('--help explains it and an unknown argument is a usage error', async () => {
    expect((await runCli(['log', 'repair', '--help'], ctx, deps)).stdout).toContain(
      'Usage: ceros log repair',
    );
    const bad = await runCli(['log', 'repair', '--force'], ctx, deps);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toContain('Unknown argument "--force"');
  });
});
