import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { readJournalFile } from '../journal/journal.ts';

/**
 * A session whose wrapper died without cleaning up (kill -9, a power cut): its hook socket and its
 * settings file (which holds the hook token) stay in the run folder, and the journal has no end
 * for it. The next `ceros claude` removes the files and journals the end, signed by its own
 * session key: the dead session's key died with it.
 */
export interface OrphanedSession {
  /** The 8 hex characters the run files are named by (the session id's first 8). */
  prefix: string;
  removed: string[];
  /** The journal's session id, when its session.start is in the journal without an end. */
  session: string | null;
}

export interface EndOrphanedSessionsOptions {
  runDir: string;
  /** This session's id: its own files are never touched. */
  ownSession: string;
  /** Where the end is journaled, signed by this session; `path` is read to find the dead session. */
  journal: { path: string; append: (type: string, payload: unknown) => unknown };
  progress: (line: string) => void;
  /** Whether a session still answers on `socket`; the real one connects to it. */
  isListening?: (socket: string) => Promise<boolean>;
  /** Whether the wrapper a `.session` marker names still runs; the real one checks pid and start time. */
  isAlive?: (marker: string) => boolean;
}

/** The files a session leaves in the run folder (claude.ts names them by the session's prefix). */
const RUN_FILE = /^([0-9a-f]{8})\.(sock|settings\.json|mcp\.json|session)$/;
/** The entry that ends a session on another session's behalf; its payload names the dead one. */
export const SESSION_ABANDONED = 'session.abandoned';

/** Never throws: recovery after someone else's crash must not stop this session. */
export async function endOrphanedSessions(options: EndOrphanedSessionsOptions): Promise<OrphanedSession[]> {
  try {
    return await endOrphans(options);
  } catch (error) {
    options.progress(`ceros: Cannot clean up after an earlier session: ${(error as Error).message}`);
    return [];
  }
}

async function endOrphans(options: EndOrphanedSessionsOptions): Promise<OrphanedSession[]> {
  const isListening = options.isListening ?? socketAnswers;
  const own = options.ownSession.slice(0, 8);
  const byPrefix = new Map<string, string[]>();
  for (const name of readdirSync(options.runDir)) {
    const match = RUN_FILE.exec(name);
    if (!match?.[1] || match[1] === own) continue;
    byPrefix.set(match[1], [...(byPrefix.get(match[1]) ?? []), name]);
  }
  const orphans: OrphanedSession[] = [];
  for (const [prefix, names] of byPrefix) {
    const socket = join(options.runDir, `${prefix}.sock`);
    if (names.includes(`${prefix}.sock`) && (await isListening(socket))) continue;
    // An abstract socket leaves no file: the session's marker names its wrapper (hook-channel.ts).
    if (
      names.includes(`${prefix}.session`) &&
      (options.isAlive ?? wrapperAlive)(join(options.runDir, `${prefix}.session`))
    )
      continue;
    // A settings file without its socket is a session that died, or one that is just removing its
    // files after journaling its end: either way the files are done with.
    for (const name of names) rmSync(join(options.runDir, name), { force: true });
    orphans.push({ prefix, removed: names.map((n) => join(options.runDir, n)), session: null });
  }
  if (orphans.length === 0) return orphans;

  const open = openSessions(options.journal.path);
  for (const orphan of orphans) {
    const session = [...open.values()].find((s) => s.id.startsWith(orphan.prefix));
    if (!session) continue;
    orphan.session = session.id;
    options.journal.append(SESSION_ABANDONED, {
      session: session.id,
      reason: 'wrapper died',
      detail:
        'The ceros wrapper of this session ended without closing it (killed, or the machine stopped); its run files were left behind and are removed',
      lastSeq: session.lastSeq,
      lastTime: session.lastTime,
      removed: orphan.removed,
    });
    options.progress(
      `ceros: An earlier session (${orphan.prefix}) ended without its wrapper: removed its run files, and journaled its end`,
    );
  }
  return orphans;
}

interface OpenSession {
  id: string;
  lastSeq: number;
  lastTime: string;
}

/** Sessions with a session.start and neither a session.end nor an abandonment on record. */
function openSessions(journalPath: string): Map<string, OpenSession> {
  const open = new Map<string, OpenSession>();
  const closed = new Set<string>();
  for (const raw of readJournalFile(journalPath).entries) {
    if (typeof raw !== 'object' || raw === null) continue;
    const e = raw as { session?: unknown; type?: unknown; seq?: unknown; time?: unknown; payload?: unknown };
    if (typeof e.session !== 'string') continue;
    if (e.type === 'session.start')
      open.set(e.session, { id: e.session, lastSeq: Number(e.seq), lastTime: String(e.time) });
    else if (e.type === 'session.end') closed.add(e.session);
    else if (e.type === SESSION_ABANDONED) {
      const payload = e.payload as { session?: unknown } | null;
      if (typeof payload?.session === 'string') closed.add(payload.session);
    }
    const known = open.get(e.session);
    if (known) {
      known.lastSeq = Number(e.seq);
      known.lastTime = String(e.time);
    }
  }
  for (const id of closed) open.delete(id);
  return open;
}

/** A live session accepts a connection; a dead one's socket file refuses it. Unsure counts as live. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), 1_000);
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT' && error.code !== 'ENOTSOCK'),
    );
  });
}

/** The marker's wrapper runs: same pid, same start time (Linux); a marker that cannot be read counts as live. */
function wrapperAlive(marker: string): boolean {
  let recorded: { pid?: unknown; start?: unknown };
  try {
    recorded = JSON.parse(readFileSync(marker, 'utf8')) as typeof recorded;
  } catch {
    return true;
  }
  if (typeof recorded.pid !== 'number') return true;
  try {
    process.kill(recorded.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (typeof recorded.start !== 'string') return true;
  try {
    const stat = readFileSync(`/proc/${recorded.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === recorded.start;
  } catch {
    return true;
  }
}
