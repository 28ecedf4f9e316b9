import { describe, expect, test } from 'bun:test';
import type { JournalEntry } from '@ceros/protocol';
import type { JournalWriter } from '../journal/journal.ts';
import { createSessionJournal } from './session-journal.ts';

const writer = (types: string[]) =>
  ({
    append: (type: string) => {
      types.push(type);
      return {} as JournalEntry;
    },
    record: (type: string) => {
      types.push(type);
      return {} as JournalEntry;
    },
    close: () => {},
  }) as unknown as JournalWriter;

describe('createSessionJournal()', () => {
  test('refuses to record before the journal is open, then records and notifies', () => {
    const journal = createSessionJournal(() => {});
    expect(() => journal.recorder.append('prompt', {})).toThrow('The session journal is not open yet');
    const types: string[] = [];
    let notified = 0;
    journal.open(writer(types));
    journal.onAppend(() => notified++);
    journal.recorder.append('prompt', {});
    expect(types).toEqual(['prompt']);
    expect(notified).toBe(1);
  });

  test('drain() waits for tracked work, reports a failure, and gives up after its bound', async () => {
    const progress: string[] = [];
    const journal = createSessionJournal((line) => progress.push(line));
    let finished = false;
    journal.track(Bun.sleep(20).then(() => (finished = true)));
    journal.track(Promise.reject(new Error('stream cut')));
    await journal.drain(5_000);
    expect(finished).toBe(true);
    expect(progress).toEqual(['ceros: recording failed: stream cut']);
    // Work that never settles does not hold the session's end: drain() returns at its bound.
    journal.track(new Promise(() => {}));
    await journal.drain(30);
  });
});
