import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endOrphanedSessions, SESSION_ABANDONED } from './orphaned-sessions.ts';

let dir: string;
let runDir: string;
let journalPath: string;
const DEAD = 'deadbeef-0000-4000-8000-000000000001';
const ENDED = 'e0ded000-0000-4000-8000-000000000002';
const LIVE = 'a11fe000-0000-4000-8000-000000000003';
const OWN = '0123abcd-0000-4000-8000-000000000004';

const line = (seq: number, session: string, type: string, payload: unknown = {}) =>
  `${JSON.stringify({ seq, session, type, time: `2026-01-05T09:00:0${seq}.000Z`, payload })}\n`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ceros-orphans-'));
  runDir = join(dir, 'run');
  mkdirSync(runDir);
  journalPath = join(dir, 'journal.jsonl');
  writeFileSync(
    journalPath,
    [
      line(0, DEAD, 'session.start'),
      line(1, ENDED, 'session.start'),
      line(2, DEAD, 'tool.decision'),
      line(3, ENDED, 'session.end'),
      line(4, LIVE, 'session.start'),
      line(5, OWN, 'session.start'),
    ].join(''),
  );
  for (const id of [DEAD, ENDED, LIVE, OWN])
    for (const suffix of ['sock', 'settings.json'])
      writeFileSync(join(runDir, `${id.slice(0, 8)}.${suffix}`), '');
  writeFileSync(join(runDir, 'unrelated.txt'), '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('endOrphanedSessions()', () => {
  test("removes a dead session's socket and settings and journals its end; live and own sessions are left alone", async () => {
    const appended: [string, Record<string, unknown>][] = [];
    const lines: string[] = [];
    const orphans = await endOrphanedSessions({
      runDir,
      ownSession: OWN,
      journal: {
        path: journalPath,
        append: (type, payload) => appended.push([type, payload as Record<string, unknown>]),
      },
      progress: (l) => lines.push(l),
      isListening: async (socket) => socket.endsWith(`${LIVE.slice(0, 8)}.sock`),
    });
    expect(orphans.map((o) => o.session).sort()).toEqual([DEAD, null].sort());
    expect(readdirSync(runDir).sort()).toEqual(
      [
        'a11fe000.settings.json',
        'a11fe000.sock',
        '0123abcd.settings.json',
        '0123abcd.sock',
        'unrelated.txt',
      ].sort(),
    );
    // The session that ended properly gets no second end; the dead one gets one, naming it.
    expect(appended).toEqual([
      [
        SESSION_ABANDONED,
        expect.objectContaining({
          session: DEAD,
          reason: 'wrapper died',
          lastSeq: 2,
          lastTime: '2026-01-05T09:00:02.000Z',
        }),
      ],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('An earlier session (deadbeef) ended without its wrapper');
  });

  test('a session already ended on its behalf is not ended twice', async () => {
    writeFileSync(
      journalPath,
      `${line(0, DEAD, 'session.start')}${line(1, OWN, SESSION_ABANDONED, { session: DEAD })}`,
    );
    const appended: string[] = [];
    await endOrphanedSessions({
      runDir,
      ownSession: OWN,
      journal: { path: journalPath, append: (type) => appended.push(type) },
      progress: () => {},
      isListening: async () => false,
    });
    expect(appended).toEqual([]);
    expect(existsSync(join(runDir, 'deadbeef.sock'))).toBe(false);
  });

  test('the real check tells a listening socket from a stale socket file', async () => {
    const live = join(runDir, `${LIVE.slice(0, 8)}.sock`);
    rmSync(live);
    const listener = Bun.listen({ unix: live, socket: { data() {} } });
    try {
      const appended: unknown[] = [];
      await endOrphanedSessions({
        runDir,
        ownSession: OWN,
        journal: { path: journalPath, append: (_type, payload) => appended.push(payload) },
        progress: () => {},
      });
      expect(existsSync(live)).toBe(true);
      expect(existsSync(join(runDir, 'deadbeef.sock'))).toBe(false);
      expect(appended).toEqual([expect.objectContaining({ session: DEAD })]);
    } finally {
      listener.stop(true);
    }
  });

  test('a failure is reported, never thrown', async () => {
    const lines: string[] = [];
    const orphans = await endOrphanedSessions({
      runDir: join(dir, 'missing'),
      ownSession: OWN,
      journal: { path: journalPath, append: () => {} },
      progress: (l) => lines.push(l),
    });
    expect(orphans).toEqual([]);
    expect(lines[0]).toContain('Cannot clean up after an earlier session');
  });

  test('with an abstract socket, the .session marker says whether the wrapper still runs (pid and start time)', async () => {
    for (const name of readdirSync(runDir)) rmSync(join(runDir, name));
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    // LIVE's wrapper is this process; DEAD's pid is this process too, but started at another time.
    writeFileSync(join(runDir, `${LIVE.slice(0, 8)}.session`), JSON.stringify({ pid: process.pid, start }));
    writeFileSync(join(runDir, `${LIVE.slice(0, 8)}.settings.json`), '{}');
    writeFileSync(
      join(runDir, `${DEAD.slice(0, 8)}.session`),
      JSON.stringify({ pid: process.pid, start: '1' }),
    );
    writeFileSync(join(runDir, `${DEAD.slice(0, 8)}.settings.json`), '{}');
    const appended: string[] = [];
    const orphans = await endOrphanedSessions({
      runDir,
      ownSession: OWN,
      journal: { path: journalPath, append: (type) => appended.push(type) },
      progress: () => {},
    });
    expect(orphans.map((o) => o.session)).toEqual([DEAD]);
    expect(readdirSync(runDir).sort()).toEqual([
      `${LIVE.slice(0, 8)}.session`,
      `${LIVE.slice(0, 8)}.settings.json`,
    ]);
    expect(appended).toEqual([SESSION_ABANDONED]);
  });
});
