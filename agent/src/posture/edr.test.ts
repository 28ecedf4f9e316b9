import { afterAll, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_EDR_CATALOG,
  type EndpointScan,
  matchEndpointProtection,
  normalizeProcessName,
} from './edr.ts';
import { createFakeCommandRunner } from './exec.ts';
import { createLinuxProbes } from './linux/probes.ts';

/** Live tests hash real binaries and spawn processes on 2 shared cores: allow for a busy machine. */
const LIVE_TIMEOUT_MS = 30_000;

const scan = (processes: EndpointScan['processes'], extra: Partial<EndpointScan> = {}): EndpointScan => ({
  platform: 'linux',
  processes,
  pathExists: () => false,
  source: 'test',
  ...extra,
});

test('normalizeProcessName() strips folders, .exe and case', () => {
  expect(normalizeProcessName('C:\\Program Files\\Windows Defender\\MsMpEng.exe')).toBe('msmpeng');
  expect(normalizeProcessName('/opt/CrowdStrike/falcon-sensor')).toBe('falcon-sensor');
});

test('matchEndpointProtection() finds a product by process name and names its pid', () => {
  const result = matchEndpointProtection(scan([{ pid: 42, names: ['/opt/CrowdStrike/falcon-sensor'] }]));
  expect(result).toMatchObject({ status: 'ok', value: { running: ['crowdstrike'], installed: [] } });
  expect(result.evidence).toContain('pid 42');
});

test('matchEndpointProtection() matches a name Linux cut to 15 characters', () => {
  const result = matchEndpointProtection(scan([{ pid: 7, names: [], truncatedName: 'sophos_threat_d' }]));
  expect(result.value?.running).toEqual(['sophos']);
});

test('matchEndpointProtection() does not take a cut name for an agent when argv[0] says otherwise', () => {
  const result = matchEndpointProtection(
    scan([{ pid: 8, names: ['/usr/bin/sophos_threat_dashboard'], truncatedName: 'sophos_threat_d' }]),
  );
  expect(result.value?.running).toEqual([]);
});

test('matchEndpointProtection() reports installed but not running as failed', () => {
  const result = matchEndpointProtection(scan([], { pathExists: (p) => p === '/opt/sentinelone' }));
  expect(result).toMatchObject({ status: 'failed', value: { running: [], installed: ['sentinelone'] } });
  expect(result.evidence).toContain('installed at "/opt/sentinelone" but not running');
});

test('matchEndpointProtection() is unknown rather than failed when the scan was limited', () => {
  expect(matchEndpointProtection(scan([], { limitation: 'hidepid=2' })).status).toBe('unknown');
});

test('matchEndpointProtection() uses a configured catalog', () => {
  const catalog = [{ id: 'acme', name: 'Acme EDR', processes: ['acmed'], paths: {} }];
  expect(matchEndpointProtection(scan([{ pid: 1, names: ['acmed'] }]), catalog).value?.running).toEqual([
    'acme',
  ]);
  expect(matchEndpointProtection(scan([{ pid: 1, names: ['osqueryd'] }]), catalog).status).toBe('failed');
});

test('matchEndpointProtection() counts enabled Security Center products the catalog does not know', () => {
  const result = matchEndpointProtection(
    scan([], { platform: 'win32', securityCenter: [{ displayName: 'Contoso Antivirus', enabled: true }] }),
  );
  expect(result.value?.running).toEqual(['securitycenter:Contoso Antivirus']);
});

const dir = mkdtempSync(join(tmpdir(), 'ceros-edr-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function standIn(name: string): Promise<ChildProcess> {
  const path = join(dir, name);
  copyFileSync('/bin/sleep', path);
  const child = spawn(path, ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child;
}

async function killAndWait(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

function liveProbe() {
  return createLinuxProbes({
    root: '/',
    env: {},
    home: '/root',
    projectDir: process.cwd(),
    exec: createFakeCommandRunner({}),
    timeoutMs: 1_000,
    edrCatalog: DEFAULT_EDR_CATALOG,
  }).endpointProtection();
}

test.if(process.platform === 'linux')(
  'endpoint protection is detected while stand-ins named osqueryd and falcon-sensor run, and not after they are killed',
  async () => {
    const before = await liveProbe();
    expect(before.value?.running ?? []).not.toContain('osquery');
    const osquery = await standIn('osqueryd');
    const falcon = await standIn('falcon-sensor');
    const during = await liveProbe();
    expect(during.status).toBe('ok');
    expect(during.value?.running).toEqual(expect.arrayContaining(['osquery', 'crowdstrike']));
    expect(during.evidence).toContain(`pid ${osquery.pid}`);
    await killAndWait(osquery);
    await killAndWait(falcon);
    const after = await liveProbe();
    expect(after.value?.running ?? []).not.toContain('osquery');
    expect(after.value?.running ?? []).not.toContain('crowdstrike');
  },
  LIVE_TIMEOUT_MS,
);

test.if(process.platform === 'linux')(
  'endpoint protection matches a long agent name through its 15-character comm',
  async () => {
    const sophos = await standIn('sophos_threat_detector');
    const during = await liveProbe();
    expect(during.value?.running).toContain('sophos');
    await killAndWait(sophos);
  },
  LIVE_TIMEOUT_MS,
);
