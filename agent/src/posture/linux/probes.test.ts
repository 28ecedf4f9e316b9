import { afterAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeCommandRunner } from '../exec.ts';
import { probeLinuxCodeIntegrity } from './code-integrity.ts';
import { createFakeRoot, type FakeRoot, type FakeRootSpec } from './fake-root.ts';
import { probeLinuxFirewall } from './firewall.ts';
import { listLinuxProcesses } from './processes.ts';
import { parseGsettingsValue, parseKscreenlockerrc, probeLinuxScreenLock } from './screen-lock.ts';
import { probeLinuxSecureBoot } from './secure-boot.ts';
import {
  parseOsRelease,
  probeLinuxHostname,
  probeLinuxKernel,
  probeLinuxOs,
  probeLinuxUser,
} from './system.ts';

const fixtures = join(import.meta.dir, '../../../../tests/fixtures/posture/linux');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const isLinux = process.platform === 'linux';

const roots: FakeRoot[] = [];
afterAll(() => {
  for (const root of roots) root.cleanup();
});
function fake(spec: FakeRootSpec): string {
  const root = createFakeRoot(spec);
  roots.push(root);
  return root.root;
}

test('parseOsRelease() reads quoted and bare values', () => {
  expect(parseOsRelease(fixture('os-release-ubuntu-24.04.txt'))).toMatchObject({
    PRETTY_NAME: 'Ubuntu 24.04.1 LTS',
    VERSION_ID: '24.04',
    VERSION_CODENAME: 'noble',
  });
  expect(parseOsRelease('NAME="A \\"quoted\\" name"\n# comment\nID=x')).toEqual({
    NAME: 'A "quoted" name',
    ID: 'x',
  });
});

test('Linux system probes read os-release, kernel, hostname and user under a root folder', () => {
  const root = fake({
    files: {
      'etc/os-release': fixture('os-release-ubuntu-24.04.txt'),
      'proc/sys/kernel/osrelease': '6.8.0-45-generic\n',
      'proc/sys/kernel/version': '#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024\n',
      'proc/sys/kernel/hostname': 'alice-laptop\n',
      'proc/self/status': 'Name:\tceros\nUid:\t1000\t1000\t1000\t1000\n',
      'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n',
    },
  });
  expect(probeLinuxOs(root)).toMatchObject({
    status: 'ok',
    value: { name: 'Ubuntu 24.04.1 LTS', version: '24.04', build: 'noble' },
  });
  expect(probeLinuxKernel(root)).toMatchObject({ status: 'ok', value: { release: '6.8.0-45-generic' } });
  expect(probeLinuxHostname(root)).toMatchObject({ status: 'ok', value: 'alice-laptop' });
  expect(probeLinuxUser(root, {})).toMatchObject({ status: 'ok', value: { name: 'alice', uid: '1000' } });
  const empty = fake({});
  expect(probeLinuxOs(empty).status).toBe('unknown');
  expect(probeLinuxUser(empty, { USER: 'x' }).status).toBe('unknown');
});

test('probeLinuxSecureBoot() distinguishes on, off, setup mode, legacy BIOS, no support and masked sysfs', () => {
  const on = probeLinuxSecureBoot(fake({ firmware: { efi: true, secureBoot: 1, setupMode: 0 } }));
  expect(on).toMatchObject({ status: 'ok', value: 'on' });
  const off = probeLinuxSecureBoot(fake({ firmware: { efi: true, secureBoot: 0, setupMode: 1 } }));
  expect(off).toMatchObject({ status: 'failed', value: 'off' });
  expect(off.evidence).toContain('SetupMode=1');
  const legacy = probeLinuxSecureBoot(fake({ firmware: { efi: false } }));
  expect(legacy).toMatchObject({ status: 'failed', value: 'unsupported' });
  expect(legacy.evidence).toContain('Legacy BIOS');
  const noSupport = probeLinuxSecureBoot(fake({ firmware: { efi: true } }));
  expect(noSupport).toMatchObject({ status: 'failed', value: 'unsupported' });
  const notMounted = probeLinuxSecureBoot(fake({ firmware: { efi: true, efivarfsMounted: false } }));
  expect(notMounted.status).toBe('unknown');
  const masked = probeLinuxSecureBoot(fake({ firmware: 'masked' }));
  expect(masked.status).toBe('unknown');
});

test.if(isLinux)('probeLinuxSecureBoot() on this machine gives a state with evidence', () => {
  const result = probeLinuxSecureBoot('/');
  expect(result.evidence.length).toBeGreaterThan(10);
  if (result.status !== 'unknown') expect(['on', 'off', 'unsupported']).toContain(result.value as string);
});

test('probeLinuxFirewall() reads ufw, firewalld and enabled nftables units', () => {
  const ufwOn = fake({ files: { 'etc/ufw/ufw.conf': '# /etc/ufw/ufw.conf\nENABLED=yes\nLOGLEVEL=low\n' } });
  expect(probeLinuxFirewall(ufwOn, [])).toMatchObject({
    status: 'ok',
    value: { enabled: true, source: 'ufw' },
  });
  const ufwOff = fake({ files: { 'etc/ufw/ufw.conf': 'ENABLED=no\n' } });
  expect(probeLinuxFirewall(ufwOff, [])).toMatchObject({
    status: 'failed',
    value: { enabled: false, source: 'ufw' },
  });
  const firewalld = fake({ files: { 'usr/sbin/firewalld': '#!/usr/bin/python3\n' } });
  expect(probeLinuxFirewall(firewalld, []).status).toBe('failed');
  const running = [{ pid: 812, comm: 'firewalld', argv0: null }];
  expect(probeLinuxFirewall(firewalld, running)).toMatchObject({
    status: 'ok',
    value: { source: 'firewalld' },
  });
  const nft = fake({ files: { 'etc/systemd/system/sysinit.target.wants/nftables.service': '' } });
  expect(probeLinuxFirewall(nft, [])).toMatchObject({ status: 'ok', value: { source: 'nftables' } });
  const none = probeLinuxFirewall(fake({}), []);
  expect(none.status).toBe('unknown');
  expect(none.evidence).toContain('need root');
});

test('probeLinuxScreenLock() is unknown without a graphical session', async () => {
  const exec = createFakeCommandRunner({});
  const result = await probeLinuxScreenLock({ root: '/', env: {}, home: '/home/a', exec, timeoutMs: 100 });
  expect(result.status).toBe('unknown');
  expect(exec.calls).toEqual([]);
});

test('probeLinuxScreenLock() reads GNOME settings through gsettings', async () => {
  const env = { WAYLAND_DISPLAY: 'wayland-0', XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' };
  const on = createFakeCommandRunner({
    'gsettings get org.gnome.desktop.screensaver lock-enabled': 'true\n',
    'gsettings get org.gnome.desktop.session idle-delay': 'uint32 300\n',
    'gsettings get org.gnome.desktop.screensaver lock-delay': 'uint32 30\n',
  });
  expect(await probeLinuxScreenLock({ root: '/', env, home: '/h', exec: on, timeoutMs: 100 })).toMatchObject({
    status: 'ok',
    value: { enabled: true, delaySeconds: 330 },
  });
  const never = createFakeCommandRunner({
    'gsettings get org.gnome.desktop.screensaver lock-enabled': 'true\n',
    'gsettings get org.gnome.desktop.session idle-delay': 'uint32 0\n',
    'gsettings get org.gnome.desktop.screensaver lock-delay': 'uint32 0\n',
  });
  expect(
    (await probeLinuxScreenLock({ root: '/', env, home: '/h', exec: never, timeoutMs: 100 })).status,
  ).toBe('failed');
});

test('probeLinuxScreenLock() reads KDE kscreenlockerrc and its defaults', async () => {
  const exec = createFakeCommandRunner({});
  const env = { DISPLAY: ':0', XDG_CURRENT_DESKTOP: 'KDE' };
  const off = fake({ files: { 'home/a/.config/kscreenlockerrc': '[Daemon]\nAutolock=false\nTimeout=10\n' } });
  expect((await probeLinuxScreenLock({ root: off, env, home: '/home/a', exec, timeoutMs: 100 })).status).toBe(
    'failed',
  );
  const defaults = await probeLinuxScreenLock({ root: fake({}), env, home: '/home/a', exec, timeoutMs: 100 });
  expect(defaults).toMatchObject({ status: 'ok', value: { enabled: true, delaySeconds: 300 } });
  expect(parseKscreenlockerrc('[Daemon]\nTimeout=2\n')).toEqual({ enabled: true, delaySeconds: 120 });
  expect(parseGsettingsValue('uint32 600')).toBe(600);
});

test('probeLinuxCodeIntegrity() reads the kernel lockdown mode', () => {
  const integrity = fake({ files: { 'sys/kernel/security/lockdown': 'none [integrity] confidentiality\n' } });
  expect(probeLinuxCodeIntegrity(integrity)).toMatchObject({ status: 'ok', value: { lockdown: true } });
  const none = fake({ files: { 'sys/kernel/security/lockdown': '[none] integrity confidentiality\n' } });
  expect(probeLinuxCodeIntegrity(none)).toMatchObject({ status: 'failed', value: { lockdown: false } });
  expect(probeLinuxCodeIntegrity(fake({})).status).toBe('unknown');
});

test('listLinuxProcesses() lists live synthetic processes and notices a hidden PID 1', () => {
  const root = fake({
    processes: [
      { pid: 1, comm: 'systemd', argv: ['/sbin/init', 'splash'] },
      {
        pid: 700,
        comm: 'osqueryd',
        argv: ['/opt/osquery/bin/osqueryd', '--flagfile=/etc/osquery/osquery.flags'],
      },
      // A zombie runs nothing: left out.
      { pid: 701, comm: 'clamd', state: 'Z' },
      // Cut to 15 characters by the kernel: argv[0] is read to see the whole name.
      { pid: 702, comm: 'sophos_threat_d', argv: ['/opt/sophos-spl/plugins/av/sbin/sophos_threat_detector'] },
    ],
  });
  const listing = listLinuxProcesses(root);
  expect(listing.processes.map((p) => [p.pid, p.comm, p.argv0])).toEqual([
    [1, 'systemd', null],
    [700, 'osqueryd', null],
    [702, 'sophos_threat_d', '/opt/sophos-spl/plugins/av/sbin/sophos_threat_detector'],
  ]);
  expect(listing.restricted).toBe(false);
  expect(listLinuxProcesses(fake({ processes: [{ pid: 5, comm: 'sh' }] })).restricted).toBe(true);
});
