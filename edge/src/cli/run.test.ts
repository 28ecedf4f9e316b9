import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLibsqlStore } from '../store/libsql-store.ts';
import { MIGRATIONS } from '../store/migrations.ts';
import { runEdgeCli } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'ceros-edge-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const io = (env: Record<string, string> = {}) => ({ env, cwd: dir, defaultDistDir: dir, now: () => 1_000 });

describe('ceros-edge', () => {
  test.each([
    [['--help'], 'Usage: ceros-edge <command>'],
    [[], 'Usage: ceros-edge <command>'],
    [['serve', '--help'], 'Usage: ceros-edge serve'],
    [['admin', '--help'], 'Usage: ceros-edge admin add'],
    [['admin', 'add', '--help'], 'Usage: ceros-edge admin add'],
    [['migrate', '-h'], 'Usage: ceros-edge migrate'],
    [['--version'], 'ceros-edge 0.1.0'],
  ])('%j prints help and exits 0', async (argv, text) => {
    const outcome = await runEdgeCli(argv, io());
    expect(outcome).toMatchObject({ kind: 'done', exitCode: 0 });
    expect(outcome.kind === 'done' && outcome.stdout).toContain(text);
  });

  test('serve lists every configuration problem at once', async () => {
    const outcome = await runEdgeCli(
      [
        'serve',
        '--port',
        '99999',
        '--public-url',
        'ftp://x',
        '--smtp',
        'http://relay',
        '--db',
        'postgres://x',
        '--data',
        'd',
        '--bogus',
      ],
      io({ CEROS_EDGE_TRUST_PROXY: 'maybe' }),
    );
    expect(outcome.kind).toBe('done');
    if (outcome.kind !== 'done') return;
    expect(outcome.exitCode).toBe(64);
    for (const problem of [
      'unknown option --bogus',
      '--port "99999" must be 0-65535',
      '--public-url "ftp://x" must be an http:// or https:// URL',
      '--smtp "http://relay" must be an smtp:// or smtps:// URL',
      '--db "postgres://x" must be a libsql://, https:// or file: URL',
      '--db and --data both name a database',
      'CEROS_EDGE_TRUST_PROXY "maybe" must be the number of reverse proxies in front of the edge, 0-16',
    ])
      expect(outcome.stderr).toContain(problem);
  });

  test('serve reads flags and the environment, flags winning', async () => {
    const outcome = await runEdgeCli(
      ['serve', '--port', '9000', '--data', 'state'],
      io({
        CEROS_EDGE_PORT: '8000',
        CEROS_EDGE_PUBLIC_URL: 'https://edge.acme.test/',
        CEROS_EDGE_SMTP_URL: 'smtp://u:p@mail:25',
        CEROS_EDGE_MAIL_FROM: 'ceros@acme.test',
        CEROS_EDGE_TRUST_PROXY: '2',
      }),
    );
    expect(outcome).toMatchObject({
      kind: 'serve',
      config: {
        port: 9000,
        host: '127.0.0.1',
        dbUrl: `file:${join(dir, 'state', 'edge.db')}`,
        publicUrl: 'https://edge.acme.test',
        smtpUrl: 'smtp://u:p@mail:25',
        mailFrom: 'ceros@acme.test',
        trustProxy: 2,
        devOutbox: false,
        distDir: dir,
      },
    });
  });

  test('serve needs a way to mail codes: SMTP, or the development outbox asked for by name', async () => {
    const neither = await runEdgeCli(['serve', '--data', 'state'], io());
    expect(neither).toMatchObject({ kind: 'done', exitCode: 64 });
    expect(neither.kind === 'done' && neither.stderr).toContain(
      'give --smtp URL and --mail-from ADDR to mail sign-in and enrollment codes, or --dev-outbox on a development machine',
    );
    const both = await runEdgeCli(
      ['serve', '--data', 'state', '--dev-outbox', '--smtp', 'smtp://mail:25', '--mail-from', 'c@acme.test'],
      io(),
    );
    expect(both.kind === 'done' && both.stderr).toContain('--smtp and --dev-outbox both say where codes go');
    expect(
      await runEdgeCli(['serve', '--data', 'state'], io({ CEROS_EDGE_DEV_OUTBOX: 'true' })),
    ).toMatchObject({
      kind: 'serve',
      config: { devOutbox: true, trustProxy: 0, smtpUrl: undefined },
    });
  });

  test('the development outbox is refused behind a proxy, and --trust-proxy takes a count', async () => {
    const proxied = await runEdgeCli(
      ['serve', '--data', 'state', '--dev-outbox', '--trust-proxy', '1'],
      io(),
    );
    expect(proxied.kind === 'done' && proxied.stderr).toContain(
      '--dev-outbox cannot be used with --trust-proxy',
    );
    for (const bad of ['true', '-1', '17', 'x'])
      expect(
        await runEdgeCli(['serve', '--dev-outbox', `--trust-proxy=${bad}`], io()).then(
          (o) => o.kind === 'done' && o.stderr,
        ),
      ).toContain(`--trust-proxy "${bad}" must be the number of reverse proxies in front of the edge`);
    expect(
      await runEdgeCli(['serve', '--trust-proxy'], io()).then((o) => o.kind === 'done' && o.stderr),
    ).toContain('--trust-proxy needs a value');
  });

  test('a remote database needs an auth token', async () => {
    const missing = await runEdgeCli(['serve', '--db', 'libsql://acme.turso.io'], io());
    expect(missing.kind === 'done' && missing.stderr).toContain('CEROS_EDGE_DB_AUTH_TOKEN');
    const given = await runEdgeCli(
      ['serve', '--db', 'libsql://acme.turso.io', '--dev-outbox'],
      io({ CEROS_EDGE_DB_AUTH_TOKEN: 't' }),
    );
    expect(given).toMatchObject({
      kind: 'serve',
      config: { dbUrl: 'libsql://acme.turso.io', dbAuthToken: 't' },
    });
  });

  test('admin add creates the organization and its first admin, once', async () => {
    const data = join(dir, 'admin-data');
    const first = await runEdgeCli(
      ['admin', 'add', 'Boss@Acme.test', '--org', 'Acme Corp', '--data', data],
      io(),
    );
    expect(first).toMatchObject({ kind: 'done', exitCode: 0 });
    expect(first.kind === 'done' && first.stdout).toBe(
      'Created organization "Acme Corp" (slug acme-corp)\n' +
        "It accepts addresses at @acme.test only, and new devices wait for an admin's approval (change both in the console's Settings)\n" +
        'Added admin boss@acme.test to "Acme Corp"\n',
    );
    const again = await runEdgeCli(
      ['admin', 'add', 'boss@acme.test', '--org', 'Acme Corp', '--data', data],
      io(),
    );
    expect(again.kind === 'done' && again.stdout).toContain('already an admin');
    const auditor = await runEdgeCli(
      ['admin', 'add', 'eve@acme.test', '--org', 'Acme Corp', '--role', 'auditor', '--data', data],
      io(),
    );
    expect(auditor.kind === 'done' && auditor.stdout).toBe('Added auditor eve@acme.test to "Acme Corp"\n');
    const store = createLibsqlStore({ url: `file:${join(data, 'edge.db')}` });
    const org = await store.getOrgBySlug('acme-corp');
    // Restrictive defaults: the first admin's domain only, and every new device approved by an admin.
    expect(org).toMatchObject({ allowedDomains: ['acme.test'], requireApproval: true });
    expect((await store.listAdmins(org?.id ?? '')).map((a) => [a.email, a.role])).toEqual([
      ['boss@acme.test', 'admin'],
      ['eve@acme.test', 'auditor'],
    ]);
    store.close();
  });

  test('admin add refuses a bad email and role together', async () => {
    const outcome = await runEdgeCli(['admin', 'add', 'not-an-email', '--role', 'owner'], io());
    expect(outcome).toMatchObject({ kind: 'done', exitCode: 64 });
    expect(outcome.kind === 'done' && outcome.stderr).toContain('"not-an-email" is not an email address');
    expect(outcome.kind === 'done' && outcome.stderr).toContain('--role "owner" must be admin or auditor');
  });

  test('migrate brings a database up to date and says so the second time', async () => {
    const data = join(dir, 'migrate-data');
    const first = await runEdgeCli(['migrate', '--data', data], io());
    const versions = MIGRATIONS.map((m) => m.version).join(', ');
    expect(first.kind === 'done' && first.stdout).toBe(`Applied migrations ${versions}\n`);
    const second = await runEdgeCli(['migrate', '--data', data], io());
    expect(second.kind === 'done' && second.stdout).toBe('Schema is up to date\n');
  });
});
