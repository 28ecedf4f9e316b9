import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Asks one yes/no question on the terminal, before the agent starts (it then inherits the same
 * terminal). Reads /dev/tty synchronously in canonical mode, so no stream is left holding stdin.
 * Anything but "y" or "yes" is no; a terminal that cannot be read is no.
 */
export function askYesNo(question: string, write: (text: string) => void): boolean {
  write(`${question} [y/N] `);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/tty', 'r');
    const buffer = Buffer.alloc(256);
    const read = readSync(fd, buffer, 0, buffer.length, null);
    const answer = buffer.subarray(0, read).toString('utf8').trim().toLowerCase();
    return answer === 'y' || answer === 'yes';
  } catch {
    write('\n');
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
