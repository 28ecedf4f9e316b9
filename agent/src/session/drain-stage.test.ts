import { describe, expect, test } from 'bun:test';
import type { JournalEntry } from '@ceros/protocol';
import type { JournalWriter } from '../journal/journal.ts';
import { runDrainStage } from './drain-stage.ts';
import { createSessionJournal } from './session-journal.ts';
import type { EdgeSync } from './sync-stage.ts';

function journalWith(types: string[]) {
  const journal = createSessionJournal(() => {});
  journal.open({
    append: (type: string, payload: unknown) => {
      types.push(`${type} ${JSON.stringify(payload)}`);
      return {} as JournalEntry;
    },
    close: () => types.push('closed'),
  } as unknown as JournalWriter);
  return journal;
}

describe('runDrainStage()', () => {
  test('waits for recordings in flight, journals session.end, flushes to the edge, then closes in order', async () => {
    const order: string[] = [];
    const journal = journalWith(order);
    journal.track(Bun.sleep(10).then(() => order.push('recorded')));
    const sync: EdgeSync = {
      flushAtExit: async () => void order.push('flushed'),
      stop: async () => void order.push('sync stopped'),
    };
    await runDrainStage({
      startup: Promise.resolve(),
      journal,
      exit: { exitCode: 3, signal: null },
      durationMs: () => 42,
      sync: () => sync,
      progress: () => {},
      close: [() => sync.stop(), () => journal.writer()?.close(), () => order.push('daemon closed')],
    });
    expect(order).toEqual([
      'recorded',
      'session.end {"exitCode":3,"signal":null,"durationMs":42}',
      'flushed',
      'sync stopped',
      'closed',
      'daemon closed',
    ]);
  });

  test('a session whose start failed still closes everything, and says why the journal could not close', async () => {
    const order: string[] = [];
    const progress: string[] = [];
    await runDrainStage({
      startup: Promise.reject(new Error('the device key is gone')),
      journal: journalWith(order),
      exit: { exitCode: 143, signal: 'SIGTERM' },
      durationMs: () => 1,
      sync: () => undefined,
      progress: (line) => progress.push(line),
      close: [
        () => {
          throw new Error('socket already gone');
        },
        () => order.push('daemon closed'),
      ],
    });
    expect(order).toEqual(['daemon closed']);
    expect(progress).toEqual([
      'ceros: Cannot close the session journal: the device key is gone',
      'ceros: Cannot close the session cleanly: socket already gone',
    ]);
  });
});
