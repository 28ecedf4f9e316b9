/**
 * The part of the store that counts guesses at six-digit codes per email address, across all the
 * codes mailed to it (auth/email-codes.ts): a fresh code must not bring a fresh set of guesses.
 * One row per address; a guess is counted before the code is compared, so parallel guesses cannot
 * overrun the budget, and a right code clears the count.
 */
export interface CodeGuesses {
  /** Guesses counted in the current window (0 when there is none, or it ended). */
  readonly guesses: number;
  /** When the current window started; null without one. */
  readonly windowStartMs: number | null;
  /** When the last guess was counted; null without one. */
  readonly lastMs: number | null;
}

export interface CodeGuessStore {
  /** The guesses counted for `email` in the window of `windowMs` that holds `nowMs`. */
  codeGuesses(email: string, windowMs: number, nowMs: number): Promise<CodeGuesses>;
  /**
   * Counts one guess for `email`, atomically: a window starts at the first guess and lasts
   * `windowMs`. Returns the guesses in the window, this one included.
   */
  recordCodeGuess(email: string, windowMs: number, nowMs: number): Promise<number>;
  /** Forgets the counted guesses of `email` (after a right code). */
  clearCodeGuesses(email: string): Promise<void>;
}
