/**
 * `ceros-edge` output through a real pipe (issue 14.4): a one-shot command's output must arrive
 * whole however slowly the reader reads. `siem list --json` of an organization with many sinks is
 * the large output; the sinks are seeded through the edge's own store into a real libSQL file.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlStore } from '../../../edge/src/store/libsql-store.ts';
import { ROOT } from './ceros.ts';

const EDGE_BIN = join(ROOT, 'dist', 'ceros-edge');
const SINKS = 600;
let data: string;

function edge(args: string[]): string {
  return [EDGE_BIN, ...args, '--data', data].map((a) => `'${a}'`).join(' ');
}

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'ceros-edge-pipe-'));
  const added = Bun.spawnSync(['bash', '-c', edge(['admin', 'add', 'secops@acme.test', '--org', 'acme'])]);
  expect(added.exitCode).toBe(0);
  const store = createLibsqlStore({ url: `file:${join(data, 'edge.db')}` });
  try {
    const org = await store.getOrgBySlug('acme');
    if (!org) throw new Error('the organization "acme" was not created');
    for (let i = 0; i < SINKS; i++)
      await store.addSink(
        {
          id: `sink_${i}`,
          orgId: org.id,
          name: `splunk-${i}`,
          config: {
            kind: 'hec',
            url: `https://splunk-${i}.acme.test:8088`,
            token: 'not-a-real-token',
            sourcetype: 'ocsf',
            source: 'ceros',
            detail: 'full',
          },
          from: 'now',
        },
        Date.now(),
      );
  } finally {
    store.close();
  }
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

describe('ceros-edge output through a pipe', () => {
  test('`siem list --json` of 600 sinks arrives whole through a slow pipe, exit 0', () => {
    const list = edge(['siem', 'list', '--org', 'acme', '--json']);
    const out = join(data, 'direct.json');
    expect(Bun.spawnSync(['bash', '-c', `${list} > '${out}'`]).exitCode).toBe(0);
    const expected = Bun.file(out).size;
    expect(expected).toBeGreaterThan(256 * 1024);
    const parsed = JSON.parse(readFileSync(out, 'utf8')) as { sinks: unknown[] };
    expect(parsed.sinks).toHaveLength(SINKS);

    // A reader slower than the writer, as `| jq` on a busy machine.
    const run = Bun.spawnSync(['bash', '-c', `${list} | (sleep 1; wc -c); echo "status \${PIPESTATUS[0]}"`]);
    const [bytes, status] = run.stdout.toString().trim().split('\n');
    expect({ bytes: Number(bytes), status }).toEqual({ bytes: expected, status: 'status 0' });
  });

  test('a reader that stops early (`| head -c 100`) ends the output without a stack trace', () => {
    const list = edge(['siem', 'list', '--org', 'acme', '--json']);
    const run = Bun.spawnSync(['bash', '-c', `${list} | head -c 100 > /dev/null`], { stderr: 'pipe' });
    expect(run.stderr.toString()).toBe('');
  });
});
