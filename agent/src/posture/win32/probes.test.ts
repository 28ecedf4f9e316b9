import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_EDR_CATALOG } from '../edr.ts';
import { createFakeCommandRunner, type ExecResult, type RecordedOutputs } from '../exec.ts';
import type { HostInfo } from '../host.ts';
import {
  bitLockerShellState,
  decodeProductState,
  parseRegQuery,
  parseTasklistCsv,
  parseWhoamiUser,
  parseWindowsPostureJson,
  regNumber,
} from './parsers.ts';
import {
  CURRENT_VERSION_KEY,
  createWin32Probes,
  DESKTOP_KEY,
  DESKTOP_POLICY_KEY,
  HVCI_KEY,
  POWERSHELL_ARGS,
  SECURE_BOOT_KEY,
  SYSTEM_POLICY_KEY,
} from './probes.ts';

const dir = join(import.meta.dir, '../../../../tests/fixtures/posture/win32');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');
const notFound: ExecResult = { stdout: '', stderr: fixture('reg-query-not-found.stderr.txt'), exitCode: 1 };

test('parseRegQuery() reads the values of the first key, including empty and spaced data', () => {
  const values = parseRegQuery(fixture('reg-query-currentversion.txt'));
  expect(values.ProductName).toEqual({ type: 'REG_SZ', data: 'Windows 10 Pro' });
  expect(values.EditionSubManufacturer).toEqual({ type: 'REG_SZ', data: '' });
  expect(regNumber(values.UBR)).toBe(3527);
  expect(regNumber(values.CurrentMajorVersionNumber)).toBe(10);
  const desktop = parseRegQuery(fixture('reg-query-control-panel-desktop.txt'));
  expect(desktop['Pattern Upgrade']?.data).toBe('TRUE');
  expect(regNumber(desktop.ScreenSaveTimeOut)).toBe(600);
});

test('parseTasklistCsv() and parseWhoamiUser() read recorded outputs', () => {
  const processes = parseTasklistCsv(fixture('tasklist-fo-csv-nh.txt'));
  expect(processes[0]).toEqual({ name: 'System Idle Process', pid: 0 });
  expect(processes.find((p) => p.name === 'MsMpEng.exe')?.pid).toBe(4212);
  expect(parseWhoamiUser(fixture('whoami-user-fo-csv-nh.txt'))).toEqual({
    name: 'desktop-7h2k9q1\\alice',
    sid: 'S-1-5-21-3623811015-3361044348-30300820-1013',
  });
});

test('decodeProductState() reads Security Center scanner and signature state', () => {
  expect(decodeProductState(397568)).toEqual({ enabled: true, upToDate: true });
  expect(decodeProductState(393472)).toEqual({ enabled: false, upToDate: true });
  expect(decodeProductState(266240)).toEqual({ enabled: true, upToDate: true });
  expect(decodeProductState(397584)).toEqual({ enabled: true, upToDate: false });
});

test('bitLockerShellState() maps the Shell property values', () => {
  expect(bitLockerShellState(1).encrypted).toBe(true);
  expect(bitLockerShellState(6).encrypted).toBe(true);
  for (const value of [0, 2, 3, 4, 5, null]) expect(bitLockerShellState(value).encrypted).toBe(false);
});

test('parseWindowsPostureJson() normalises PowerShell 5.1 quirks: unwrapped arrays, enum strings, BOM', () => {
  const admin = parseWindowsPostureJson(`\uFEFF${fixture('posture-script-admin.json')}`);
  expect(admin.ok).toBe(true);
  if (!admin.ok) return;
  expect(admin.value.bitlockerWmi).toEqual([{ drive: 'C:', protectionStatus: 1, conversionStatus: 1 }]);
  expect(admin.value.antivirus).toEqual([{ displayName: 'Windows Defender', productState: 397568 }]);
  expect(admin.value.firewall.every((p) => p.enabled === true)).toBe(true);
  expect(parseWindowsPostureJson('not json').ok).toBe(false);
});

const host: HostInfo = {
  release: () => '10.0.22631',
  version: () => 'Windows 10 Pro',
  machine: () => 'x86_64',
  hostname: () => 'DESKTOP-7H2K9Q1',
  user: () => ({ name: 'alice', uid: -1 }),
};

/** A Windows 11 laptop, not elevated: BitLocker on C: only, Public firewall off, CrowdStrike running. */
const laptop: RecordedOutputs = {
  [`reg query ${CURRENT_VERSION_KEY}`]: fixture('reg-query-currentversion.txt'),
  [`reg query ${SECURE_BOOT_KEY} /v UEFISecureBootEnabled`]: fixture('reg-query-secureboot-on.txt'),
  [`reg query ${HVCI_KEY} /v Enabled`]: fixture('reg-query-hvci-on.txt'),
  [`reg query ${DESKTOP_KEY}`]: fixture('reg-query-control-panel-desktop.txt'),
  [`reg query ${DESKTOP_POLICY_KEY}`]: notFound,
  [`reg query ${SYSTEM_POLICY_KEY} /v InactivityTimeoutSecs`]: notFound,
  'tasklist /fo csv /nh': fixture('tasklist-fo-csv-nh.txt'),
  'whoami /user /fo csv /nh': fixture('whoami-user-fo-csv-nh.txt'),
  [`powershell.exe ${POWERSHELL_ARGS.join(' ')} *`]: fixture('posture-script-user.json'),
};

function probes(outputs: RecordedOutputs, projectDir = 'D:\\src\\app') {
  return createWin32Probes({
    exec: createFakeCommandRunner(outputs),
    timeoutMs: 1_000,
    env: { PROCESSOR_ARCHITECTURE: 'AMD64' },
    home: 'C:\\Users\\alice',
    projectDir,
    host,
    pathExists: (p) => p === 'C:\\Program Files\\CrowdStrike',
    edrCatalog: DEFAULT_EDR_CATALOG,
  });
}

test('createWin32Probes() names Windows 11 from its build and reads the NT version', async () => {
  const p = probes(laptop);
  expect(await p.os()).toMatchObject({
    status: 'ok',
    value: { name: 'Windows 11 Pro', version: '23H2', build: '22631.3527' },
  });
  expect(await p.kernel()).toMatchObject({ status: 'ok', value: { release: '10.0.22631.3527' } });
  expect(await p.arch()).toMatchObject({ status: 'ok', value: 'AMD64' });
  expect(await p.user()).toMatchObject({
    status: 'ok',
    value: { uid: 'S-1-5-21-3623811015-3361044348-30300820-1013' },
  });
});

test('createWin32Probes() reads BitLocker per drive without elevation', async () => {
  const result = await probes(laptop).diskEncryption();
  expect(result.status).toBe('failed');
  expect(result.value?.volumes.map((v) => [v.role, v.status, v.device, v.mechanism])).toEqual([
    ['home', 'ok', 'C:', 'BitLocker'],
    ['project', 'failed', 'D:', null],
  ]);
  expect(result.evidence).toContain('System.Volume.BitLockerProtection=2 (BitLocker off)');
  const sameDrive = await probes(laptop, 'C:\\Users\\alice\\src').diskEncryption();
  expect(sameDrive.status).toBe('ok');
});

test('createWin32Probes() prefers Win32_EncryptableVolume when elevated', async () => {
  const admin = {
    ...laptop,
    [`powershell.exe ${POWERSHELL_ARGS.join(' ')} *`]: fixture('posture-script-admin.json'),
  };
  const result = await probes(admin, 'C:\\src').diskEncryption();
  expect(result.status).toBe('ok');
  expect(result.evidence).toContain('Win32_EncryptableVolume ProtectionStatus=1');
});

test('createWin32Probes() reads Secure Boot on, off and legacy BIOS from the registry', async () => {
  expect(await probes(laptop).secureBoot()).toMatchObject({ status: 'ok', value: 'on' });
  const off = {
    ...laptop,
    [`reg query ${SECURE_BOOT_KEY} /v UEFISecureBootEnabled`]: fixture('reg-query-secureboot-off.txt'),
  };
  expect(await probes(off).secureBoot()).toMatchObject({ status: 'failed', value: 'off' });
  const legacy = { ...laptop, [`reg query ${SECURE_BOOT_KEY} /v UEFISecureBootEnabled`]: notFound };
  expect(await probes(legacy).secureBoot()).toMatchObject({ status: 'failed', value: 'unsupported' });
});

test('createWin32Probes() fails the firewall when one profile is off', async () => {
  const result = await probes(laptop).firewall();
  expect(result).toMatchObject({ status: 'failed', value: { enabled: false } });
  expect(result.evidence).toContain('Public off');
});

test('createWin32Probes() reads the secure screen saver and HVCI', async () => {
  const p = probes(laptop);
  expect(await p.screenLock()).toMatchObject({ status: 'ok', value: { enabled: true, delaySeconds: 600 } });
  expect(await p.codeIntegrity()).toMatchObject({ status: 'ok', value: { hvci: true } });
});

test('createWin32Probes() finds CrowdStrike by process and Security Center, Defender passive', async () => {
  const result = await probes(laptop).endpointProtection();
  expect(result.status).toBe('ok');
  expect(result.value?.running).toEqual(['crowdstrike', 'defender']);
  expect(result.evidence).toContain('Security Center "CrowdStrike Falcon Sensor" enabled');
  expect(result.evidence).toContain('real-time protection off, mode Passive Mode');
});

test('createWin32Probes() is unknown, not ok, when PowerShell and reg are unavailable', async () => {
  const p = probes({});
  for (const probe of [p.os, p.diskEncryption, p.secureBoot, p.firewall, p.user]) {
    const result = await probe();
    expect(result.status).toBe('unknown');
  }
  expect((await p.endpointProtection()).status).toBe('unknown');
});
