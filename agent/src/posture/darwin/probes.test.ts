import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EDR_CATALOG } from '../edr.ts';
import { createFakeCommandRunner, type RecordedOutputs } from '../exec.ts';
import type { HostInfo } from '../host.ts';
import {
  parseCsrutilStatus,
  parseDfMountPoint,
  parseFdesetupStatus,
  parseIBridge,
  parsePsList,
  parseScreenLockStatus,
  parseSocketFilterState,
  parseSpctlStatus,
  parseSwVers,
} from './parsers.ts';
import { createDarwinProbes, SOCKETFILTERFW } from './probes.ts';

const dir = join(import.meta.dir, '../../../../tests/fixtures/posture/darwin');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');

test('parseSwVers() reads the recorded sw_vers output', () => {
  expect(parseSwVers(fixture('sw_vers.txt'))).toEqual({ name: 'macOS', version: '14.5', build: '23F79' });
  expect(parseSwVers('')).toBeNull();
});

test('parseFdesetupStatus() reads on, off and a conversion in progress', () => {
  expect(parseFdesetupStatus(fixture('fdesetup-status-on.txt'))).toEqual({ on: true, conversion: null });
  expect(parseFdesetupStatus(fixture('fdesetup-status-off.txt'))).toEqual({ on: false, conversion: null });
  expect(parseFdesetupStatus(fixture('fdesetup-status-encrypting.txt'))).toEqual({
    on: true,
    conversion: 'Encryption in progress: Percent completed = 43.21',
  });
  expect(parseFdesetupStatus('Error: some failure')).toBeNull();
});

test('parseDfMountPoint() keeps a mount point with spaces', () => {
  expect(parseDfMountPoint(fixture('df-home.txt'))).toEqual({
    device: '/dev/disk3s5',
    mountPoint: '/System/Volumes/Data',
  });
  expect(parseDfMountPoint(fixture('df-external.txt'))).toEqual({
    device: '/dev/disk4s1',
    mountPoint: '/Volumes/Work Projects',
  });
});

test('parseCsrutilStatus() reads enabled, disabled and custom configurations', () => {
  expect(parseCsrutilStatus(fixture('csrutil-status-enabled.txt'))).toBe('enabled');
  expect(parseCsrutilStatus(fixture('csrutil-status-disabled.txt'))).toBe('disabled');
  expect(parseCsrutilStatus(fixture('csrutil-status-custom.txt'))).toBe('custom');
});

test('parseIBridge() reads the T2 Secure Boot policy and nothing on a Mac without one', () => {
  expect(parseIBridge(fixture('system_profiler-SPiBridgeDataType-t2.txt'))).toEqual({
    model: 'Apple T2 Security Chip',
    secureBoot: 'Full Security',
  });
  expect(parseIBridge(fixture('system_profiler-SPiBridgeDataType-no-t2.txt'))).toEqual({
    model: null,
    secureBoot: null,
  });
});

test('parseSocketFilterState(), parseSpctlStatus() and parseScreenLockStatus() read recorded outputs', () => {
  expect(parseSocketFilterState(fixture('socketfilterfw-getglobalstate-enabled.txt'))).toBe(1);
  expect(parseSocketFilterState(fixture('socketfilterfw-getglobalstate-disabled.txt'))).toBe(0);
  expect(parseSocketFilterState(fixture('socketfilterfw-getglobalstate-block-all.txt'))).toBe(2);
  expect(parseSpctlStatus(fixture('spctl-status-enabled.txt'))).toBe(true);
  expect(parseSpctlStatus(fixture('spctl-status-disabled.txt'))).toBe(false);
  expect(parseScreenLockStatus(fixture('sysadminctl-screenlock-immediate.stderr.txt'))).toEqual({
    enabled: true,
    delaySeconds: 0,
  });
  expect(parseScreenLockStatus(fixture('sysadminctl-screenlock-300.stderr.txt'))).toEqual({
    enabled: true,
    delaySeconds: 300,
  });
  expect(parseScreenLockStatus(fixture('sysadminctl-screenlock-off.stderr.txt'))).toEqual({
    enabled: false,
    delaySeconds: null,
  });
});

test('parsePsList() reads pids and executable paths', () => {
  const processes = parsePsList(fixture('ps-axo-pid-comm.txt'));
  expect(processes[0]).toEqual({ pid: 1, command: '/sbin/launchd' });
  expect(processes.find((p) => p.pid === 2215)?.command).toBe('-zsh');
});

const host = (machine: string): HostInfo => ({
  release: () => '23.5.0',
  version: () =>
    'Darwin Kernel Version 23.5.0: Wed May  1 20:12:58 PDT 2024; root:xnu-10063.121.3~5/RELEASE_ARM64_T6000',
  machine: () => machine,
  hostname: () => 'alices-mbp.local',
  user: () => ({ name: 'alice', uid: 501 }),
});

const stderr = (name: string) => ({ stdout: '', stderr: fixture(name), exitCode: 0 });

/** A FileVault-on Apple silicon Mac with CrowdStrike, the project on an external exFAT disk. */
const appleSilicon: RecordedOutputs = {
  sw_vers: fixture('sw_vers.txt'),
  'fdesetup status': fixture('fdesetup-status-on.txt'),
  'df -P /Users/alice': fixture('df-home.txt'),
  'df -P /Volumes/Work Projects/app': fixture('df-external.txt'),
  'diskutil info /System/Volumes/Data': fixture('diskutil-info-data-filevault.txt'),
  'diskutil info /Volumes/Work Projects': fixture('diskutil-info-external-exfat.txt'),
  'csrutil status': fixture('csrutil-status-enabled.txt'),
  'spctl --status': fixture('spctl-status-enabled.txt'),
  [`${SOCKETFILTERFW} --getglobalstate`]: fixture('socketfilterfw-getglobalstate-enabled.txt'),
  'sysadminctl -screenLock status': stderr('sysadminctl-screenlock-immediate.stderr.txt'),
  'ps -axo pid=,comm=': fixture('ps-axo-pid-comm.txt'),
};

function probes(outputs: RecordedOutputs, machine = 'arm64', projectDir = '/Volumes/Work Projects/app') {
  return createDarwinProbes({
    exec: createFakeCommandRunner(outputs),
    timeoutMs: 1_000,
    home: '/Users/alice',
    projectDir,
    host: host(machine),
    pathExists: (p) => p === '/Applications/Falcon.app',
    edrCatalog: DEFAULT_EDR_CATALOG,
  });
}

test('createDarwinProbes() reads FileVault per volume and fails an exFAT project disk', async () => {
  const result = await probes(appleSilicon).diskEncryption();
  expect(result.status).toBe('failed');
  expect(result.value?.volumes.map((v) => [v.role, v.status, v.device, v.mechanism])).toEqual([
    ['home', 'ok', 'disk3s5', 'FileVault'],
    ['project', 'failed', 'disk4s1', null],
  ]);
  expect(result.evidence).toContain('ExFAT volumes are not encrypted');
  expect(result.evidence).toContain('fdesetup: FileVault is On');
});

test('createDarwinProbes() fails FileVault off and a volume still encrypting', async () => {
  const off = await probes(
    {
      ...appleSilicon,
      'fdesetup status': fixture('fdesetup-status-off.txt'),
      'diskutil info /System/Volumes/Data': fixture('diskutil-info-data-no-filevault.txt'),
    },
    'arm64',
    '/Users/alice/src',
  ).diskEncryption();
  expect(off.status).toBe('failed');
  const encrypting = await probes(
    {
      ...appleSilicon,
      'fdesetup status': fixture('fdesetup-status-encrypting.txt'),
      'df -P /Users/alice/src': fixture('df-home.txt'),
    },
    'arm64',
    '/Users/alice/src',
  ).diskEncryption();
  expect(encrypting.status).toBe('failed');
  expect(encrypting.evidence).toContain('Percent completed = 43.21');
});

test('createDarwinProbes() reports the rest of an Apple silicon Mac from recorded outputs', async () => {
  const p = probes(appleSilicon);
  expect(await p.os()).toMatchObject({
    status: 'ok',
    value: { name: 'macOS', version: '14.5', build: '23F79' },
  });
  expect(await p.secureBoot()).toMatchObject({ status: 'ok', value: 'on' });
  expect(await p.firewall()).toMatchObject({
    status: 'ok',
    value: { enabled: true, source: 'Application Firewall' },
  });
  expect(await p.screenLock()).toMatchObject({ status: 'ok', value: { enabled: true, delaySeconds: 0 } });
  expect(await p.codeIntegrity()).toMatchObject({ status: 'ok', value: { sip: true, gatekeeper: true } });
  expect(await p.user()).toMatchObject({ status: 'ok', value: { name: 'alice', uid: '501' } });
  const edr = await p.endpointProtection();
  expect(edr).toMatchObject({
    status: 'ok',
    value: { running: ['crowdstrike'], installed: ['crowdstrike'] },
  });
  expect(edr.evidence).toContain('pid 498');
});

test('createDarwinProbes() distinguishes Secure Boot on Intel Macs with and without a T2 chip', async () => {
  const t2 = {
    ...appleSilicon,
    'system_profiler SPiBridgeDataType': fixture('system_profiler-SPiBridgeDataType-t2.txt'),
  };
  expect(await probes(t2, 'x86_64').secureBoot()).toMatchObject({ status: 'ok', value: 'on' });
  const noT2 = {
    ...appleSilicon,
    'system_profiler SPiBridgeDataType': fixture('system_profiler-SPiBridgeDataType-no-t2.txt'),
  };
  expect(await probes(noT2, 'x86_64').secureBoot()).toMatchObject({ status: 'failed', value: 'unsupported' });
  const sipOff = { ...appleSilicon, 'csrutil status': fixture('csrutil-status-disabled.txt') };
  expect(await probes(sipOff).secureBoot()).toMatchObject({ status: 'failed', value: 'off' });
});

test('createDarwinProbes() fails a disabled firewall, screen lock and Gatekeeper', async () => {
  const p = probes({
    ...appleSilicon,
    [`${SOCKETFILTERFW} --getglobalstate`]: fixture('socketfilterfw-getglobalstate-disabled.txt'),
    'sysadminctl -screenLock status': stderr('sysadminctl-screenlock-off.stderr.txt'),
    'spctl --status': fixture('spctl-status-disabled.txt'),
  });
  expect((await p.firewall()).status).toBe('failed');
  expect((await p.screenLock()).status).toBe('failed');
  expect(await p.codeIntegrity()).toMatchObject({
    status: 'failed',
    value: { sip: true, gatekeeper: false },
  });
});

test('createDarwinProbes() is unknown, not ok, when a tool is missing', async () => {
  const p = probes({});
  for (const probe of [p.os, p.diskEncryption, p.secureBoot, p.firewall, p.screenLock, p.codeIntegrity]) {
    const result = await probe();
    expect(result.status).toBe('unknown');
    expect(result.evidence).toContain('ENOENT');
  }
});
