import { describe, expect, test } from 'bun:test';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devicePublicKeyFromSpki, SESSION_KEY_ENTRY, verifyJournal } from '@ceros/protocol';
import { createFileKeystore } from '../keystore/file.ts';
import { createSessionKeys, loadOrCreateDevice } from '../session/identity.ts';
import { lockExclusive, unlock } from './flock.ts';
import {
  JOURNAL_FILE,
  type JournalIo,
  journalTailProblem,
  NODE_JOURNAL_IO,
  openJournalWriter,
  readJournalFile,
} from './journal.ts';
import { JournalError } from './journal-error.ts';

const LOCK = { lock: lockExclusive, unlock };

async function setup() {
  const home = mkdtempSync(join(tmpdir(), 'ceros-journal-'));
  const device = await loadOrCreateDevice(home, createFileKeystore(join(home, 'keys')));
  const open = async (extra: { io?: JournalIo; warn?: (line: string) => void } = {}) => {
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
      ...extra,
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
    // session.key, note, then the next session's key, the alert that names the torn tail, its note.
    expect(verify()).toMatchObject({ ok: true, count: 5 });
  });

  test("a torn last line is set aside in a 0600 file and named in the writer's findings", async () => {
    const { home, open, verify } = await setup();
    const writer = await open();
    writer.append('note', { n: 1 });
    appendFileSync(join(home, 'journal', JOURNAL_FILE), '{"v":1,"device":"torn');
    const next = await open();
    const [finding] = next.findings();
    expect(finding).toMatchObject({ kind: 'torn-tail', length: 21 });
    expect(readFileSync(finding?.setAside ?? '', 'utf8')).toBe('{"v":1,"device":"torn');
    expect(statSync(finding?.setAside ?? '').mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'journal', 'damaged')).mode & 0o777).toBe(0o700);
    const alert = readJournalFile(join(home, 'journal', JOURNAL_FILE)).entries.at(-1) as {
      type: string;
      payload: Record<string, unknown>;
    };
    expect(alert).toMatchObject({ type: 'alert', payload: { kind: 'journal-torn-tail', length: 21 } });
    expect(verify()).toMatchObject({ ok: true, count: 4 });
  });

  test('a complete garbage last line stops appends with DAMAGED, naming `ceros log repair`', async () => {
    const { home, open } = await setup();
    const writer = await open();
    appendFileSync(join(home, 'journal', JOURNAL_FILE), 'garbage\n');
    let caught: unknown;
    try {
      writer.append('note', { n: 1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JournalError);
    expect((caught as JournalError).code).toBe('DAMAGED');
    expect((caught as JournalError).message).toContain('ceros log repair');
  });

  test('journalTailProblem() names a garbage last line, and lets a torn tail or a 200 KB last entry pass', async () => {
    const { home, open } = await setup();
    const dir = join(home, 'journal');
    expect(journalTailProblem(dir)).toBeNull();
    const writer = await open();
    writer.append('note', { big: 'x'.repeat(200 * 1024) });
    expect(journalTailProblem(dir)).toBeNull();
    appendFileSync(join(dir, JOURNAL_FILE), '{"v":1,"dev');
    expect(journalTailProblem(dir)).toBeNull();
    appendFileSync(join(dir, JOURNAL_FILE), 'ice"}\n');
    expect(journalTailProblem(dir)?.code).toBe('DAMAGED');
    expect(journalTailProblem(dir)?.message).toContain('Run `ceros log repair`');
  });

  test('a short write on a full disk is cut off again and refused: nothing half-written, the chain goes on', async () => {
    const { home, open, verify } = await setup();
    let full = false;
    const warnings: string[] = [];
    // A full disk as the kernel shows it: the first write takes what fits, the next one fails.
    const io: JournalIo = {
      write: (fd, buffer, offset, length) => {
        if (!full) return NODE_JOURNAL_IO.write(fd, buffer, offset, length);
        if (offset > 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return writeSync(fd, buffer, offset, Math.min(length, 7), null);
      },
      fdatasync: NODE_JOURNAL_IO.fdatasync,
    };
    const writer = await open({ io, warn: (line) => warnings.push(line) });
    const kept = writer.append('note', { n: 1 });
    const path = join(home, 'journal', JOURNAL_FILE);
    const sizeBefore = statSync(path).size;
    full = true;
    for (let i = 0; i < 3; i++) {
      let caught: unknown;
      try {
        writer.append('tool.decision', { i });
      } catch (error) {
        caught = error;
      }
      expect((caught as JournalError).code).toBe('DISK_FULL');
      expect((caught as JournalError).message).toContain('the disk is full (ENOSPC)');
      expect(statSync(path).size).toBe(sizeBefore);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('every tool call is denied');
    full = false;
    expect(writer.append('note', { n: 2 }).seq).toBe(kept.seq + 1);
    expect(verify()).toMatchObject({ ok: true, count: 3 });
  });

  test('an fdatasync that fails is not an acknowledgement: the bytes are cut off and the append throws', async () => {
    const { home, open, verify } = await setup();
    let failSync = false;
    const io: JournalIo = {
      write: NODE_JOURNAL_IO.write,
      fdatasync: (fd) => {
        if (failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        NODE_JOURNAL_IO.fdatasync(fd);
      },
    };
    const writer = await open({ io });
    const size = statSync(join(home, 'journal', JOURNAL_FILE)).size;
    failSync = true;
    expect(() => writer.append('note', { n: 1 })).toThrow('EIO');
    expect(statSync(join(home, 'journal', JOURNAL_FILE)).size).toBe(size);
    failSync = false;
    writer.append('note', { n: 2 });
    expect(verify()).toMatchObject({ ok: true, count: 2 });
  });

  test.skipIf(process.getuid?.() !== 0)(
    'on a real 256 KiB tmpfs, every append either lands whole or throws DISK_FULL, and after room is made the next session appends',
    async () => {
      const mount = mkdtempSync(join(tmpdir(), 'ceros-tmpfs-'));
      const mounted = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
      if (mounted.exitCode !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
      try {
        const { device, home } = await setup();
        const journalDir = join(mount, 'journal');
        mkdirSync(journalDir, { mode: 0o700 });
        const session = async () => {
          const keys = await createSessionKeys(device, crypto.randomUUID(), {
            user: null,
            postureDigest: null,
            ancestryDigest: null,
            policyHash: null,
          });
          const w = openJournalWriter({
            dir: journalDir,
            device: device.record.deviceId,
            session: keys.sessionId,
            sessionKey: keys.privateKey,
            lock: LOCK,
          });
          w.append(SESSION_KEY_ENTRY, { publicKey: keys.publicKeyRaw, certificate: keys.certificate });
          return w;
        };
        // Leave ~40 KB: a filler file takes the rest.
        writeFileSync(join(mount, 'filler'), Buffer.alloc(216 * 1024));
        const writer = await session();
        const acknowledged: number[] = [];
        let refusals = 0;
        for (let i = 0; i < 200; i++) {
          try {
            acknowledged.push(writer.append('tool.decision', { i, pad: 'x'.repeat(1500) }).seq);
          } catch (error) {
            expect((error as JournalError).code).toBe('DISK_FULL');
            refusals++;
          }
        }
        expect(refusals).toBeGreaterThan(100);
        const path = join(journalDir, JOURNAL_FILE);
        const read = readJournalFile(path);
        expect(read.tornTail).toBeNull();
        const stored = read.entries.map((e) => (e as { seq: number }).seq);
        for (const seq of acknowledged) expect(stored).toContain(seq);
        writer.close();
        rmSync(join(mount, 'filler'));
        const next = await session();
        next.append('note', { after: 'room was made' });
        next.close();
        const key = devicePublicKeyFromSpki(device.record.publicKeySpki);
        expect(verifyJournal(readJournalFile(path).entries, { deviceKey: () => key })).toMatchObject({
          ok: true,
          count: acknowledged.length + 3,
        });
        expect(existsSync(home)).toBe(true);
      } finally {
        // Lazy: a writer a failed assertion left open must not keep the mount (EBUSY) behind.
        Bun.spawnSync(['umount', '--lazy', mount]);
        rmSync(mount, { recursive: true, force: true });
      }
    },
  );

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
