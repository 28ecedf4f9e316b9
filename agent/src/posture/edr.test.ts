import { afterAll, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_EDR_CATALOG,
  type EdrProduct,
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

const isRoot = process.getuid?.() === 0;

test.if(process.platform === 'linux')(
  'a copy of /bin/sleep named falcon-sensor (or osqueryd) is a look-alike, never "running"',
  async () => {
    const osquery = await standIn('osqueryd');
    const falcon = await standIn('falcon-sensor');
    const during = await liveProbe();
    expect(during.value?.running ?? []).not.toContain('crowdstrike');
    expect(during.value?.running ?? []).not.toContain('osquery');
    expect(during.status).not.toBe('ok');
    expect(during.evidence).toContain(
      `CrowdStrike Falcon look-alike, not counted: falcon-sensor (pid ${falcon.pid})`,
    );
    expect(during.evidence).toContain(
      isRoot ? "not from the vendor's install (/opt/CrowdStrike)" : 'not root',
    );
    expect(during.evidence).toContain(`pid ${osquery.pid}`);
    await killAndWait(osquery);
    await killAndWait(falcon);
  },
  LIVE_TIMEOUT_MS,
);

test.if(process.platform === 'linux')(
  'a long agent name is matched through its 15-character comm, and then checked like any other',
  async () => {
    const sophos = await standIn('sophos_threat_detector');
    const during = await liveProbe();
    expect(during.value?.running ?? []).not.toContain('sophos');
    expect(during.evidence).toContain(
      `Sophos look-alike, not counted: sophos_threat_detector (pid ${sophos.pid})`,
    );
    await killAndWait(sophos);
  },
  LIVE_TIMEOUT_MS,
);

/** A vendor install of our own making: a root-owned agent under a folder the catalog names. */
async function vendorInstall(): Promise<{ path: string; catalog: EdrProduct[]; child: ChildProcess }> {
  chmodSync(dir, 0o755);
  const install = mkdtempSync(join(dir, 'acme-'));
  chmodSync(install, 0o755);
  const path = join(install, 'acmed');
  copyFileSync('/bin/sleep', path);
  chmodSync(path, 0o755);
  const child = spawn(path, ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    path,
    child,
    catalog: [{ id: 'acme', name: 'Acme EDR', processes: ['acmed'], paths: { linux: [install] } }],
  };
}

function probeWith(catalog: EdrProduct[], outputs: Record<string, string> = {}) {
  return createLinuxProbes({
    root: '/',
    env: {},
    home: '/root',
    projectDir: process.cwd(),
    exec: createFakeCommandRunner(outputs),
    timeoutMs: 1_000,
    edrCatalog: catalog,
  }).endpointProtection();
}

test.if(process.platform === 'linux' && isRoot)(
  "the vendor's own install runs: root, its path, its package, and the running image hashes to the installed file",
  async () => {
    const { path, catalog, child } = await vendorInstall();
    const result = await probeWith(catalog, { [`dpkg -S ${path}`]: `acme-edr: ${path}\n` });
    expect(result).toMatchObject({ status: 'ok', value: { running: ['acme'] } });
    expect(result.evidence).toContain(
      `acmed (pid ${child.pid}) runs as root from ${path} (root-owned, sha256 `,
    );
    expect(result.evidence).toContain('package acme-edr (dpkg)');
    const unpackaged = await probeWith(catalog);
    expect(unpackaged.evidence).toContain("no package claims it; it is at the vendor's install path");
    await killAndWait(child);
  },
  LIVE_TIMEOUT_MS,
);

test.if(process.platform === 'linux' && isRoot)(
  'an agent run by a user, or whose installed file was swapped after it started, is not counted as running',
  async () => {
    const { path, catalog, child } = await vendorInstall();
    const asUser = spawn(path, ['60'], { stdio: 'ignore', uid: 65534, gid: 65534 });
    children.push(asUser);
    await new Promise<void>((resolve) => asUser.once('spawn', resolve));
    const mixed = await probeWith(catalog);
    expect(mixed.value?.running).toEqual(['acme']);
    expect(mixed.evidence).toContain(`acmed (pid ${asUser.pid}) runs as uid 65534, not root`);
    await killAndWait(asUser);

    // Replace the installed file: the running image is no longer what is installed.
    copyFileSync('/bin/true', `${path}.new`);
    renameSync(`${path}.new`, path);
    const swapped = await probeWith(catalog);
    expect(swapped.value?.running ?? []).toEqual([]);
    expect(swapped.status).toBe('unknown');
    expect(swapped.evidence).toContain('was replaced or removed since it started');
    await killAndWait(child);
  },
  LIVE_TIMEOUT_MS,
);

test('matchEndpointProtection() counts only genuine processes; look-alikes fail, unverified ones are unknown', () => {
  const impostor = matchEndpointProtection(
    scan([
      {
        pid: 9,
        names: ['falcon-sensor'],
        identity: { verdict: 'impostor', evidence: 'runs as uid 1000, not root' },
      },
    ]),
  );
  expect(impostor).toMatchObject({ status: 'failed', value: { running: [] } });
  const unverified = matchEndpointProtection(
    scan([{ pid: 9, names: ['falcon-sensor'], identity: { verdict: 'unverified', evidence: 'exited' } }]),
  );
  expect(unverified.status).toBe('unknown');
  const genuine = matchEndpointProtection(
    scan([
      {
        pid: 9,
        names: ['falcon-sensor'],
        identity: { verdict: 'genuine', evidence: 'runs as root from /opt/CrowdStrike/falcon-sensor' },
      },
    ]),
  );
  expect(genuine).toMatchObject({ status: 'ok', value: { running: ['crowdstrike'] } });
});
