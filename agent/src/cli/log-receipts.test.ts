import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNoteSigner, NOTE_ED25519, signCheckpoint } from '@ceros/protocol';
import type { Receipt } from '../edge-client/receipts.ts';
import type { CommandContext } from './command.ts';
import { runLogReceipts } from './log-receipts.ts';
import { runCli } from './run.ts';

let home: string;
let ctx: CommandContext;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ceros-log-receipts-'));
  ctx = { env: { CEROS_HOME: home }, cwd: home, readStdin: async () => '', progress: () => {} };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const receipt = (device: string, seq: number): Receipt => ({
  v: 1,
  device,
  seq,
  entryHash: 'ab'.repeat(32),
  leafIndex: seq,
  leafHash: 'AAAA',
  proof: [],
  checkpoint: 'edge.test/acme\n1\nAAAA\n',
  time: '2026-01-05T09:00:09.000Z',
});

/** A device that uploaded seq 0..7, holds receipts up to seq 5 and verified a log of 42 entries. */
function deviceState(): void {
  writeFileSync(join(home, 'device.json'), JSON.stringify({ deviceId: 'd1' }));
  mkdirSync(join(home, 'journal'));
  writeFileSync(join(home, 'journal', 'upload-cursor.json'), JSON.stringify({ v: 1, device: 'd1', seq: 7 }));
  const signer = createNoteSigner('edge.test/acme', NOTE_ED25519, new Uint8Array(32).fill(4));
  writeFileSync(join(home, 'log-key'), `${signer.verifierKey}\n`);
  writeFileSync(
    join(home, 'log-checkpoint'),
    signCheckpoint(
      { origin: 'edge.test/acme', size: 42, rootHash: new Uint8Array(32), extensions: [] },
      signer,
    ),
  );
  writeFileSync(
    join(home, 'receipts.jsonl'),
    [receipt('d1', 3), receipt('old-device', 90), receipt('d1', 5)]
      .map((r) => `${JSON.stringify(r)}\n`)
      .join(''),
  );
}

describe('ceros log receipts', () => {
  test('--json reports the verified checkpoint, the receipts of this device, and what is pending', () => {
    deviceState();
    const r = runLogReceipts(['--json'], ctx);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      device: 'd1',
      checkpoint: { origin: 'edge.test/acme', size: 42 },
      receipts: 2,
      highestSeq: 5,
      uploadedThrough: 7,
      pending: 2,
      unreadable: 0,
    });
  });

  test('the text form says the same in three lines, through `ceros log receipts`', async () => {
    deviceState();
    const r = await runCli(['log', 'receipts'], ctx, { cerosBinary: '/bin/ceros', uid: 1000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Log checkpoint: 42 entries of edge.test/acme, verified ');
    expect(r.stdout).toContain("Receipts: 2, covering this device's entries up to seq 5");
    expect(r.stdout).toContain('Pending: 2 uploaded entries wait for a receipt (seq 6 to 7)');
  });

  test('a device that never synced has no checkpoint, no receipts and nothing pending', () => {
    writeFileSync(join(home, 'device.json'), JSON.stringify({ deviceId: 'd1' }));
    const r = runLogReceipts([], ctx);
    expect(r.stdout).toBe(
      'Log checkpoint: none (this device is not enrolled with an edge)\nReceipts: 0\nPending: nothing uploaded yet\n',
    );
  });

  test('a refused sync and a rewound journal are alerts at the top, not "Pending: none"', () => {
    deviceState();
    writeFileSync(
      join(home, 'journal', 'sync-state.json'),
      JSON.stringify({
        v: 1,
        device: 'd1',
        status: 'refused',
        code: 'CHAIN_CONFLICT',
        message: 'Cannot accept seq 8 of device "d1": the edge stored a different entry at that seq',
        chain: true,
        seq: 8,
        edgeHead: { seq: 7, hash: 'ab'.repeat(32) },
        time: '2026-01-05T09:00:09.000Z',
      }),
    );
    const r = runLogReceipts([], ctx);
    const [first, second] = r.stdout.split('\n');
    expect(first).toStartWith('Alert: sync stopped at seq 8: the edge refused it (CHAIN_CONFLICT');
    expect(first).toContain("the next `ceros claude` starts a new chain epoch on the edge's head (seq 7)");
    // No journal at all, but the edge acknowledged up to seq 7: rewound (here: deleted).
    expect(second).toContain(
      'Alert: The journal was rewound: it is empty, but the edge acknowledged up to seq 7',
    );
    expect(JSON.parse(runLogReceipts(['--json'], ctx).stdout)).toMatchObject({
      syncStopped: { code: 'CHAIN_CONFLICT' },
      rewound: expect.stringContaining('rewound'),
    });
  });

  test('an unknown argument is a usage error with the help', () => {
    const r = runLogReceipts(['--all'], ctx);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toContain('Unknown argument "--all"');
    expect(r.stderr).toContain('Usage: ceros log receipts');
  });
});
