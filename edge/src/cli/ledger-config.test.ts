import { describe, expect, test } from 'bun:test';
import { createNoteSigner, NOTE_COSIGNATURE_V1, NOTE_ED25519 } from '@ceros/protocol';
import { runEdgeCli } from './run.ts';

const witness = createNoteSigner('witness.test/w1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(1));
const other = createNoteSigner('witness.test/w2', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(2));
// Codes need a mailer to start at all; these tests are about the log settings.
const io = (env: Record<string, string> = {}) => ({
  env: { CEROS_EDGE_DEV_OUTBOX: 'true', ...env },
  cwd: '/tmp',
  defaultDistDir: '/tmp',
});

describe('ceros-edge serve: transparency log settings', () => {
  test('the log is named after the public URL host unless --log-name says otherwise', async () => {
    const byUrl = await runEdgeCli(['serve', '--public-url', 'https://edge.acme.com'], io());
    expect(byUrl.kind === 'serve' && byUrl.config).toMatchObject({
      logName: 'edge.acme.com',
      witnesses: [],
      checkpointIntervalMs: 2000,
    });
    const named = await runEdgeCli(['serve', '--log-name', 'ceros.acme.com/log'], io());
    expect(named.kind === 'serve' && named.config.logName).toBe('ceros.acme.com/log');
    const plain = await runEdgeCli(['serve'], io());
    expect(plain.kind === 'serve' && plain.config.logName).toBe('ceros-edge');
  });

  test('witnesses come from --witness or CEROS_EDGE_WITNESSES as "URL KEY" separated by ";"', async () => {
    const outcome = await runEdgeCli(
      ['serve', '--checkpoint-interval', '500'],
      io({
        CEROS_EDGE_WITNESSES: `http://127.0.0.1:9001 ${witness.verifierKey}; https://w2.test/ ${other.verifierKey}`,
      }),
    );
    expect(outcome.kind).toBe('serve');
    if (outcome.kind !== 'serve') return;
    expect(outcome.config.witnesses.map((w) => [w.url, w.key.name])).toEqual([
      ['http://127.0.0.1:9001', 'witness.test/w1'],
      ['https://w2.test', 'witness.test/w2'],
    ]);
    expect(outcome.config.checkpointIntervalMs).toBe(500);
  });

  test('every bad log setting is reported at once', async () => {
    const logKey = createNoteSigner('edge.test/acme', NOTE_ED25519, new Uint8Array(32)).verifierKey;
    const outcome = await runEdgeCli(
      [
        'serve',
        '--log-name',
        'has space',
        '--witness',
        `http://w ${logKey};http://w ${witness.verifierKey};http://v ${witness.verifierKey}`,
        '--checkpoint-interval',
        '5',
      ],
      io(),
    );
    expect(outcome).toMatchObject({ kind: 'done', exitCode: 64 });
    if (outcome.kind !== 'done') return;
    for (const problem of [
      '--log-name "has space" must be a host-like name',
      'is not a cosignature key (type 0x04)',
      '--witness lists one witness twice',
      '--checkpoint-interval "5" must be a whole number of milliseconds, at least 100',
    ])
      expect(outcome.stderr).toContain(problem);
  });

  test('export has its own help', async () => {
    const outcome = await runEdgeCli(['export', '--help'], io());
    expect(outcome.kind === 'done' && outcome.stdout).toContain('Usage: ceros-edge export --org SLUG');
  });
});
