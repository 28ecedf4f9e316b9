import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { type JournalEntry, parseJournalEntry } from '@ceros/protocol';

/**
 * A `readEntriesAfter` over the JSONL journal (one canonical entry a line, ascending seq). It
 * remembers where the last read ended, so a caught-up uploader reads only what was appended; a
 * rewind (or a journal that shrank) rescans from the start. A trailing line without its newline is
 * an entry still being written and is left for the next read.
 */
export function createJsonlEntryReader(
  path: string,
): (seq: number, limit: number) => Promise<JournalEntry[]> {
  let mark = { seq: -1, offset: 0 };
  return async (afterSeq, limit) => {
    if (!existsSync(path)) return [];
    const size = statSync(path).size;
    let offset = afterSeq >= mark.seq && mark.offset <= size ? mark.offset : 0;
    if (offset === 0) mark = { seq: -1, offset: 0 };
    const out: JournalEntry[] = [];
    const fd = openSync(path, 'r');
    try {
      let carry = Buffer.alloc(0);
      const chunk = Buffer.alloc(256 * 1024);
      while (out.length < limit && offset < size) {
        const read = readSync(fd, chunk, 0, chunk.length, offset);
        if (read <= 0) break;
        let data = Buffer.concat([carry, chunk.subarray(0, read)]);
        const dataStart = offset - carry.length;
        offset += read;
        let lineStart = 0;
        for (;;) {
          const newline = data.indexOf(0x0a, lineStart);
          if (newline < 0) break;
          const line = data.subarray(lineStart, newline).toString('utf8');
          lineStart = newline + 1;
          if (line.trim() === '') continue;
          const parsed = parseJournalEntry(JSON.parse(line));
          if (!parsed.ok) throw new Error(`Cannot read journal "${path}": ${parsed.error}`);
          const lineEnd = dataStart + lineStart;
          if (parsed.value.seq <= afterSeq) {
            mark = { seq: parsed.value.seq, offset: lineEnd };
            continue;
          }
          out.push(parsed.value);
          if (out.length >= limit) break;
        }
        carry = Buffer.from(data.subarray(lineStart));
        data = Buffer.alloc(0);
      }
    } finally {
      closeSync(fd);
    }
    return out;
  };
}
