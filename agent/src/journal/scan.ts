import { type JournalEntry, parseJournalEntry } from '@ceros/protocol';

/** One line of the journal file as found on disk, with where its bytes are. */
export type ScannedLine =
  | { kind: 'entry'; line: number; offset: number; length: number; entry: JournalEntry }
  /** A complete line (it ends with a newline) that is not a journal entry: written by something else. */
  | { kind: 'damaged'; line: number; offset: number; length: number; reason: string }
  /**
   * The last bytes of the file without their newline: an append cut short (a crash, a full disk).
   * The writer acknowledges an entry only after its newline is on disk, so this was never acknowledged.
   */
  | { kind: 'torn'; line: number; offset: number; length: number };

/** `length` counts the newline. Line numbers start at 1, as an editor shows them. */
export function scanJournalBytes(bytes: Uint8Array): ScannedLine[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ScannedLine[] = [];
  let offset = 0;
  let line = 0;
  while (offset < buffer.length) {
    line++;
    const newline = buffer.indexOf(0x0a, offset);
    if (newline === -1) {
      out.push({ kind: 'torn', line, offset, length: buffer.length - offset });
      break;
    }
    const length = newline + 1 - offset;
    const text = buffer.subarray(offset, newline).toString('utf8');
    if (text.trim() !== '') out.push(classify(text, line, offset, length));
    offset = newline + 1;
  }
  return out;
}

function classify(text: string, line: number, offset: number, length: number): ScannedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'damaged', line, offset, length, reason: `not JSON (${(error as Error).message})` };
  }
  const parsed = parseJournalEntry(raw);
  if (!parsed.ok) return { kind: 'damaged', line, offset, length, reason: `not an entry (${parsed.error})` };
  return { kind: 'entry', line, offset, length, entry: parsed.value };
}

/** How a damaged or torn line is named to the user. */
export function describeLine(line: Exclude<ScannedLine, { kind: 'entry' }>): string {
  return line.kind === 'torn'
    ? `The journal ends with a torn line (line ${line.line}, ${line.length} bytes without a newline): an append cut short by a crash or a full disk, never acknowledged`
    : `Line ${line.line} of the journal is ${line.reason}`;
}
