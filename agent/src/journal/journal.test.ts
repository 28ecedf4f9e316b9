import { describe, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devicePublicKeyFromSpki, SESSION_KEY_ENTRY, verifyJournal } from '@ceros/protocol';
import { createFileKeystore } from '../keystore/file.ts';
import { createSessionKeys, loadOrCreateDevice } from '../session/identity.ts';
import { lockExclusive, unlock } from './flock.ts';
import { JOURNAL_FILE, openJournalWriter, readJournalFile } from './journal.ts';

const LOCK = { lock: lockExclusive, unlock };

async function setup() {
  const home = mkdtempSync(join(tmpdir(), 'ceros-journal-'));
  const device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
  const open = async () => {
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
      lock: LOCK,
    });
    writer.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
    return writer;
  };
  const verify = () => {
    const key = devicePublicKeyFromSpki(device.record.publicKeySpki);
    return verifyJournal(readJournalFile(join(home, 'journal', JOURNAL_FILE)).entries, {
      deviceKey: () => key,
    });
  };
  return { home, device, open, verify };
}

describe('journal', () => {
  test('appends from two sessions form one verifiable chain, in 0600 files under 0700 folders', async () => {
    const { home, open, verify } = await setup();
    const a = await open();
    const b = await open();
    for (let i = 0; i < 20; i++) (i % 2 ? a : b).append('note', { i, text: `entry ${i}` });
    const result = verify();
    expect(result).toMatchObject({ ok: true, count: 22 });
    expect(statSync(join(home, 'journal')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'journal', JOURNAL_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'device.json')).mode & 0o777).toBe(0o600);
  });

  test('a torn last line left by a crash is cut off by the next append', async () => {
    const { home, open, verify } = await setup();
    const writer = await open();
    writer.append('note', { n: 1 });
    appendFileSync(join(home, 'journal', JOURNAL_FILE), '{"v":1,"device":"torn');
    const next = await open();
    next.append('note', { n: 2 });
    expect(verify()).toMatchObject({ ok: true, count: 4 });
  });

  test('verify names the entry whose payload was edited, and one that was deleted', async () => {
    const { home, open, verify } = await setup();
    const writer = await open();
    for (let i = 0; i < 5; i++) writer.append('note', { i });
    const path = join(home, 'journal', JOURNAL_FILE);
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, original.replace('{"i":2}', '{"i":9}'));
    expect(verify()).toMatchObject({ ok: false, seq: 3, code: 'BAD_SIGNATURE' });
    const lines = original.split('\n');
    lines.splice(2, 1);
    writeFileSync(path, lines.join('\n'));
    expect(verify()).toMatchObject({ ok: false, seq: 3, code: 'BAD_CHAIN' });
  });

  test('payloads JCS cannot encode (lone surrogates, NaN, undefined) are stored, not refused', async () => {
    const { open, verify } = await setup();
    const writer = await open();
    const entry = writer.append('note', { text: 'a\ud800b', n: Number.NaN, u: undefined, big: 10n });
    expect(entry.payload).toEqual({ text: 'a\ufffdb', n: null, big: '10' });
    expect(verify()).toMatchObject({ ok: true });
  });

  test('an agent killed at random points during 1,000 appends loses nothing it acknowledged', async () => {
    const { home } = await setup();
    const script = join(home, 'appender.ts');
    writeFileSync(
      script,
      `import { generateKeyPairSync } from 'node:crypto';
import { openJournalWriter } from ${JSON.stringify(join(import.meta.dir, 'journal.ts'))};
import { lockExclusive, unlock } from ${JSON.stringify(join(import.meta.dir, 'flock.ts'))};
import { createFileKeystore } from ${JSON.stringify(join(import.meta.dir, '..', 'keystore', 'file.ts'))};
import { createSessionKeys, loadOrCreateDevice } from ${JSON.stringify(join(import.meta.dir, '..', 'session', 'identity.ts'))};
const home = process.argv[2];
const device = await loadOrCreateDevice(home, createFileKeystore(home + '/keys'));
const keys = await createSessionKeys(device, crypto.randomUUID(), { user: null, postureDigest: null, ancestryDigest: null, policyHash: null });
const w = openJournalWriter({ dir: home + '/journal', device: device.record.deviceId, session: keys.sessionId, sessionKey: keys.privateKey, lock: { lock: lockExclusive, unlock } });
w.append('session.key', { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
for (let i = 0; ; i++) { const e = w.append('note', { i, pad: 'x'.repeat(i % 200) }); process.stdout.write(e.seq + '\\n'); }
`,
    );
    const acknowledged = new Set<number>();
    let runs = 0;
    while (acknowledged.size < 1000 && runs < 200) {
      runs++;
      const child = Bun.spawn([process.execPath, script, home], { stdout: 'pipe', stderr: 'ignore' });
      const reader = child.stdout.getReader();
      const killAfter = 5 + Math.floor(Math.random() * 120);
      let seen = 0;
      let text = '';
      while (seen < killAfter) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        seen = text.split('\n').length - 1;
      }
      child.kill('SIGKILL');
      await child.exited;
      for (const line of text.split('\n').slice(0, -1)) acknowledged.add(Number(line));
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(1000);
    const { entries } = readJournalFile(join(home, 'journal', JOURNAL_FILE));
    const last = entries.at(-1);
    // A torn tail is possible after SIGKILL; it was never acknowledged, and the next writer cuts it.
    const complete = typeof last === 'string' ? entries.slice(0, -1) : entries;
    const stored = new Set(complete.map((e) => (e as { seq: number }).seq));
    for (const seq of acknowledged) expect(stored.has(seq)).toBe(true);
    const result = verifyJournal(complete, { deviceKey: verifyKey(home) });
    expect(result.ok).toBe(true);
  }, 120_000);
});

function verifyKey(home: string) {
  const record = JSON.parse(readFileSync(join(home, 'device.json'), 'utf8')) as { publicKeySpki: string };
  const key = devicePublicKeyFromSpki(record.publicKeySpki);
  return () => key;
}
