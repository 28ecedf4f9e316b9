import type { Client, Row } from '@libsql/client';
import type { CodeGuesses, CodeGuessStore } from './code-guess-store.ts';
import type { Migration } from './migrations.ts';

/** Guess counts per email address (code-guess-store.ts); rows older than a day are dropped. */
export const CODE_GUESS_MIGRATION: Migration = {
  version: 4,
  name: 'code guesses per email address, across codes',
  statements: [
    `CREATE TABLE IF NOT EXISTS code_guesses (
      email TEXT PRIMARY KEY,
      window_start_ms INTEGER NOT NULL,
      guesses INTEGER NOT NULL,
      last_ms INTEGER NOT NULL
    ) WITHOUT ROWID`,
  ],
};

const DAY_MS = 86_400_000;
const int = (row: Row, key: string): number => Number(row[key] ?? 0);

/** The code-guess SQL, spread into the libSQL store. */
export function libsqlCodeGuessMethods(client: Client): CodeGuessStore {
  return {
    async codeGuesses(email, windowMs, nowMs): Promise<CodeGuesses> {
      const row = (
        await client.execute({
          sql: 'SELECT window_start_ms, guesses, last_ms FROM code_guesses WHERE email = ? AND window_start_ms > ?',
          args: [email, nowMs - windowMs],
        })
      ).rows[0];
      if (!row) return { guesses: 0, windowStartMs: null, lastMs: null };
      return {
        guesses: int(row, 'guesses'),
        windowStartMs: int(row, 'window_start_ms'),
        lastMs: int(row, 'last_ms'),
      };
    },

    async recordCodeGuess(email, windowMs, nowMs) {
      const [, counted] = await client.batch(
        [
          { sql: 'DELETE FROM code_guesses WHERE last_ms < ?', args: [nowMs - DAY_MS] },
          {
            sql: `INSERT INTO code_guesses (email, window_start_ms, guesses, last_ms) VALUES (?, ?, 1, ?)
                  ON CONFLICT (email) DO UPDATE SET
                    guesses = CASE WHEN window_start_ms > ? THEN guesses + 1 ELSE 1 END,
                    window_start_ms = CASE WHEN window_start_ms > ? THEN window_start_ms ELSE excluded.window_start_ms END,
                    last_ms = excluded.last_ms
                  RETURNING guesses`,
            args: [email, nowMs, nowMs, nowMs - windowMs, nowMs - windowMs],
          },
        ],
        'write',
      );
      const row = counted?.rows[0];
      return row ? int(row, 'guesses') : 1;
    },

    async clearCodeGuesses(email) {
      await client.execute({ sql: 'DELETE FROM code_guesses WHERE email = ?', args: [email] });
    },
  };
}
