import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEdgeCli } from '../cli/run.ts';
import { type HecReceiver, startHecReceiver } from './testing/hec-receiver.ts';

const TOKEN = 'test-token-1234';
let dir: string;
let receiver: HecReceiver;
afterEach(async () => {
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  const outcome = await runEdgeCli([...args, '--data', join(dir, 'data')], {
    env,
    cwd: dir,
    defaultDistDir: dir,
  });
  if (outcome.kind !== 'done') throw new Error('expected a one-shot command');
  return outcome;
}

async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'ceros-siem-cli-'));
  receiver = startHecReceiver({ token: TOKEN });
  const added = await cli(['admin', 'add', 'boss@acme.test', '--org', 'Acme']);
  expect(added.exitCode).toBe(0);
}

describe('ceros-edge siem', () => {
  test('--help explains every subcommand and sink option', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ceros-siem-cli-'));
    receiver = startHecReceiver({ token: TOKEN });
    const help = await runEdgeCli(['siem', '--help'], { env: {}, cwd: dir, defaultDistDir: dir });
    expect(help.kind === 'done' && help.stdout).toContain('siem add NAME --org SLUG --kind hec|syslog|otlp');
    expect(help.kind === 'done' && help.stdout).toContain('--pen N');
  });

  test('add tests the sink first, list shows it with counts as JSON, remove takes it away', async () => {
    await setup();
    const add = await cli(
      ['siem', 'add', 'splunk', '--org', 'acme', '--kind', 'hec', '--url', receiver.url, '--json'],
      {
        CEROS_EDGE_SIEM_TOKEN: TOKEN,
      },
    );
    expect(add.stderr).toBe('');
    expect(add.exitCode).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({
      name: 'splunk',
      kind: 'hec',
      target: receiver.url,
      config: { token: 'set' },
    });
    // The test event reached the receiver; the token is never printed.
    expect(receiver.events.map((e) => e.event.message)).toEqual(['ceros SIEM export test event']);
    expect(add.stdout).not.toContain(TOKEN);
    const list = await cli(['siem', 'list', '--org', 'acme', '--json']);
    const listed = JSON.parse(list.stdout) as {
      sinks: { name: string; delivered: number; deadLetters: number }[];
    };
    expect(listed.sinks).toMatchObject([{ name: 'splunk', delivered: 0, deadLetters: 0 }]);
    expect(list.stdout).not.toContain(TOKEN);
    const test = await cli(['siem', 'test', 'splunk', '--org', 'acme']);
    expect(test).toMatchObject({ exitCode: 0, stdout: `The receiver took a test event (${receiver.url})\n` });
    const removed = await cli(['siem', 'remove', 'splunk', '--org', 'acme']);
    expect(removed).toMatchObject({ exitCode: 0, stdout: 'Removed the sink "splunk" of Acme\n' });
    expect(JSON.parse((await cli(['siem', 'list', '--org', 'acme', '--json'])).stdout)).toEqual({
      sinks: [],
    });
  });

  test('a wrong token, an unreachable host or a bad flag is a clear error, and nothing is added', async () => {
    await setup();
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'wrong-token\n');
    const wrong = await cli([
      'siem',
      'add',
      'splunk',
      '--org',
      'acme',
      '--kind',
      'hec',
      '--url',
      receiver.url,
      '--token-file',
      tokenFile,
    ]);
    expect(wrong).toMatchObject({
      exitCode: 1,
      stderr: `ceros-edge: Cannot add the sink "splunk": The HEC receiver at "${receiver.url}" refused the token (403: Invalid token, code 4)\n`,
    });
    await receiver.down();
    const down = await cli([
      'siem',
      'test',
      '--org',
      'acme',
      '--kind',
      'hec',
      '--url',
      receiver.url,
      '--token-file',
      tokenFile,
    ]);
    expect(down).toMatchObject({
      exitCode: 1,
      stderr: `ceros-edge: Cannot reach "${receiver.url}": connection refused\n`,
    });
    const bad = await cli([
      'siem',
      'add',
      'x',
      '--org',
      'acme',
      '--kind',
      'syslog',
      '--host',
      'h',
      '--port',
      '99999',
      '--transport',
      'udp',
    ]);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toContain('ceros-edge: --port: Too big: expected number to be <=65535');
    expect(bad.stderr).toContain('ceros-edge: --transport: Invalid option: expected one of "tcp"|"tls"');
    const noToken = await cli(['siem', 'add', 'x', '--org', 'acme', '--kind', 'hec', '--url', receiver.url]);
    expect(noToken.stderr).toContain(
      'a HEC token is required: set CEROS_EDGE_SIEM_TOKEN or pass --token-file FILE',
    );
    expect(JSON.parse((await cli(['siem', 'list', '--org', 'acme', '--json'])).stdout)).toEqual({
      sinks: [],
    });
  });
});
