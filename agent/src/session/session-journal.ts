import type { JournalEntry } from '@ceros/protocol';
import type { JournalWriter } from '../journal/journal.ts';
import { wasReported } from '../journal/journal-error.ts';
import type { Recorder } from './session-core.ts';
import type { Progress } from './stage.ts';

/**
 * The session's journal as the daemon and the proxy see it: a Recorder that refuses to write until
 * the session's certificate is on disk (the journal stage opens it), and the recordings still in
 * flight, which the drain stage waits for.
 */
export interface SessionJournal {
  recorder: Recorder;
  /** Opens the journal for the recorder; `onAppend` runs after every entry (the uploader's notify). */
  open(writer: JournalWriter): void;
  /** Runs after every append from now on. */
  onAppend(listener: () => void): void;
  /** The open writer, once the journal stage ran. */
  writer(): JournalWriter | undefined;
  /** Work that must finish before the session ends (response recordings in flight). */
  track(work: Promise<unknown>): void;
  /** Waits for the tracked work, at most `ms`. */
  drain(ms: number): Promise<void>;
}

export function createSessionJournal(progress: Progress): SessionJournal {
  let writer: JournalWriter | undefined;
  const listeners: (() => void)[] = [];
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => {
      // A journal failure already said so once on stderr (journal-error.ts).
      if (!wasReported(error)) progress(`ceros: recording failed: ${(error as Error).message}`);
    });
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  return {
    recorder: {
      append: (type, payload): JournalEntry | Promise<JournalEntry> => {
        if (!writer) throw new Error('The session journal is not open yet');
        // A large output nothing waits on is redacted in steps (journal.ts record()): tracked.
        const entry = writer.record(type, payload);
        const notify = () => {
          for (const listener of listeners) listener();
        };
        if (entry instanceof Promise) track(entry.then(notify));
        else notify();
        return entry;
      },
    },
    open: (opened) => {
      writer = opened;
    },
    onAppend: (listener) => {
      listeners.push(listener);
    },
    writer: () => writer,
    track,
    drain: async (ms) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...pending]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, ms);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
