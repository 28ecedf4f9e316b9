import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZERO_HASH } from '@ceros/protocol';
import { cerosBinary } from './ceros.ts';

let home: string;

/** A journal of well-formed entries (`ceros log` lists them; it does not check signatures). */
function writeLargeJournal(dir: string, count: number): number {
  const lines: string[] = [];
  for (let seq = 0; seq < count; seq++)
    lines.push(
      JSON.stringify({
        v: 1,
        device: 'd1',
        seq,
        prev: ZERO_HASH,
        time: '2026-01-05T09:00:00.000Z',
        session: 's1',
        type: 'note',
        payload: { text: `entry ${seq} `.padEnd(160, 'x') },
        sig: 'A'.repeat(86),
      }),
    );
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(dir, 'journal.jsonl'), text, { mode: 0o600 });
  return text.length;
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'ceros-pipe-'));
  mkdirSync(join(home, 'journal'), { mode: 0o700 });
  expect(writeLargeJournal(join(home, 'journal'), 2000)).toBeGreaterThan(380 * 1024);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs `ceros ARGS | (sleep 1; wc -c)`: a reader slower than the writer, as `| jq` on a busy machine. */
function throughSlowPipe(args: string[]): { bytes: number; status: string } {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const script = `'${cerosBinary()}' ${quoted} | (sleep 1; wc -c); echo "status \${PIPESTATUS[0]}"`;
  const run = Bun.spawnSync(['bash', '-c', script], { env: { ...process.env, CEROS_HOME: home } });
  const [bytes, status] = run.stdout.toString().trim().split('\n');
  return { bytes: Number(bytes), status: status ?? '' };
}

function direct(args: string[]): number {
  const out = join(home, 'direct.out');
  Bun.spawnSync(['bash', '-c', `'${cerosBinary()}' ${args.map((a) => `'${a}'`).join(' ')} > '${out}'`], {
    env: { ...process.env, CEROS_HOME: home },
  });
  return Bun.file(out).size;
}

describe('output through a pipe', () => {
  test('`ceros log --json` of a 400 KB journal arrives whole through a slow pipe, exit 0', () => {
    const expected = direct(['log', '--json']);
    expect(expected).toBeGreaterThan(380 * 1024);
    expect(throughSlowPipe(['log', '--json'])).toEqual({ bytes: expected, status: 'status 0' });
  });

  test('`ceros log` (text) arrives whole through a slow pipe', () => {
    const expected = direct(['log']);
    expect(expected).toBeGreaterThan(64 * 1024);
    expect(throughSlowPipe(['log'])).toEqual({ bytes: expected, status: 'status 0' });
  });

  test('a reader that stops early (`| head -1`) ends the output without a stack trace', () => {
    const run = Bun.spawnSync(['bash', '-c', `'${cerosBinary()}' log --json | head -c 100 > /dev/null`], {
      env: { ...process.env, CEROS_HOME: home },
      stderr: 'pipe',
    });
    expect(run.stderr.toString()).toBe('');
  });
});
