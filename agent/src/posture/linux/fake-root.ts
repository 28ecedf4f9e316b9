import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { EFI_GLOBAL_GUID } from './secure-boot.ts';

/** A block device as sysfs shows it. */
export interface FakeBlockDevice {
  name: string;
  majorMinor: string;
  /** Device-mapper uuid (`CRYPT-LUKS2-...`, `LVM-...`): makes it a dm device. */
  dmUuid?: string;
  /** Names of the devices under it (`slaves/`). */
  slaves?: readonly string[];
  /** For a loop device: the file it is backed by. */
  loopBackingFile?: string;
}

export type FakeFirmware =
  /** UEFI with efivarfs mounted; `secureBoot` undefined means no SecureBoot variable. */
  | { efi: true; secureBoot?: number; setupMode?: number; efivarfsMounted?: boolean }
  | { efi: false }
  /** No /sys/firmware at all (masked sysfs). */
  | 'masked';

export interface FakeProcess {
  pid: number;
  comm: string;
  argv?: readonly string[];
  uid?: number;
  /** proc(5) state letter; `Z` for a zombie. */
  state?: string;
  /** The executable, as a path inside the root: /proc/<pid>/exe links to it. */
  exe?: string;
}

export interface FakeRootSpec {
  mountinfo?: string;
  blockDevices?: readonly FakeBlockDevice[];
  /** Symlinks under /dev: `{ 'dev/mapper/luks-1': '../dm-0' }`. */
  devLinks?: Readonly<Record<string, string>>;
  firmware?: FakeFirmware;
  processes?: readonly FakeProcess[];
  /** Any other file, by path relative to the root. */
  files?: Readonly<Record<string, string | Uint8Array>>;
}

export interface FakeRoot {
  root: string;
  cleanup(): void;
}

function write(root: string, path: string, data: string | Uint8Array): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, data);
}

function link(root: string, path: string, target: string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  symlinkSync(target, full);
}

/**
 * Builds a synthetic procfs/sysfs/etc tree in a temporary folder, laid out as the kernel does
 * (devices under /sys/devices, /sys/dev/block and /sys/class/block as relative symlinks), for the
 * Linux probes' `root` option. The fake beside the real filesystem (STYLE.md 2).
 */
export function createFakeRoot(spec: FakeRootSpec): FakeRoot {
  const root = mkdtempSync(join(tmpdir(), 'ceros-fake-root-'));
  if (spec.mountinfo !== undefined) write(root, 'proc/self/mountinfo', spec.mountinfo);
  for (const device of spec.blockDevices ?? []) {
    const dir = `sys/devices/virtual/block/${device.name}`;
    write(root, `${dir}/dev`, `${device.majorMinor}\n`);
    write(root, `${dir}/uevent`, `MAJOR=${device.majorMinor.split(':')[0]}\nDEVNAME=${device.name}\n`);
    if (device.dmUuid !== undefined) {
      write(root, `${dir}/dm/uuid`, `${device.dmUuid}\n`);
      write(root, `${dir}/dm/name`, `${device.name}\n`);
    }
    mkdirSync(join(root, dir, 'slaves'), { recursive: true });
    for (const slave of device.slaves ?? [])
      link(
        root,
        `${dir}/slaves/${slave}`,
        relative(join(root, dir, 'slaves'), join(root, 'sys/devices/virtual/block', slave)),
      );
    if (device.loopBackingFile !== undefined)
      write(root, `${dir}/loop/backing_file`, `${device.loopBackingFile}\n`);
    link(root, `sys/dev/block/${device.majorMinor}`, `../../devices/virtual/block/${device.name}`);
    link(root, `sys/class/block/${device.name}`, `../../devices/virtual/block/${device.name}`);
  }
  for (const [path, target] of Object.entries(spec.devLinks ?? {})) link(root, path, target);
  const firmware = spec.firmware ?? { efi: false };
  if (firmware !== 'masked') {
    mkdirSync(join(root, 'sys/firmware/acpi'), { recursive: true });
    if (firmware.efi) {
      const efivars = join(root, 'sys/firmware/efi/efivars');
      mkdirSync(efivars, { recursive: true });
      if (firmware.efivarfsMounted !== false) {
        // efivarfs: 4 bytes of attributes (NV+BS+RT = 0x07), then the value.
        write(
          root,
          `sys/firmware/efi/efivars/BootCurrent-${EFI_GLOBAL_GUID}`,
          new Uint8Array([7, 0, 0, 0, 1, 0]),
        );
        if (firmware.secureBoot !== undefined)
          write(
            root,
            `sys/firmware/efi/efivars/SecureBoot-${EFI_GLOBAL_GUID}`,
            new Uint8Array([6, 0, 0, 0, firmware.secureBoot]),
          );
        if (firmware.setupMode !== undefined)
          write(
            root,
            `sys/firmware/efi/efivars/SetupMode-${EFI_GLOBAL_GUID}`,
            new Uint8Array([6, 0, 0, 0, firmware.setupMode]),
          );
      }
    }
  }
  for (const process of spec.processes ?? []) {
    const dir = `proc/${process.pid}`;
    write(root, `${dir}/comm`, `${process.comm}\n`);
    write(
      root,
      `${dir}/stat`,
      `${process.pid} (${process.comm}) ${process.state ?? 'S'} 1 ${process.pid} ${process.pid} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n`,
    );
    write(root, `${dir}/cmdline`, `${(process.argv ?? [process.comm]).join('\0')}\0`);
    const uid = process.uid ?? 0;
    write(root, `${dir}/status`, `Name:\t${process.comm}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
    if (process.exe) symlinkSync(join(root, process.exe), join(root, dir, 'exe'));
  }
  for (const [path, data] of Object.entries(spec.files ?? {})) write(root, path, data);
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
