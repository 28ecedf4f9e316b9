import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostInfo } from '../posture/host.ts';
import { VERSION } from '../version.ts';
import { describeThisDevice } from './device-description.ts';

const root = mkdtempSync(join(tmpdir(), 'ceros-describe-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'etc'));
writeFileSync(
  join(root, 'etc', 'os-release'),
  'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
);

const host = (name: string): HostInfo => ({
  release: () => '6.1.0-18-amd64',
  version: () => '#1 SMP',
  machine: () => 'x86_64',
  hostname: () => name,
  user: () => ({ name: 'dev', uid: 1000 }),
});

describe('describeThisDevice()', () => {
  test("names the host, the system as os-release says, the machine and ceros's version", () => {
    expect(describeThisDevice({ host: host('laptop-7'), platform: 'linux', root })).toEqual({
      hostname: 'laptop-7',
      os: 'Debian GNU/Linux 12 (bookworm)',
      arch: 'x86_64',
      cerosVersion: VERSION,
    });
  });

  test('falls back to the kernel release where os-release is missing, and on other systems', () => {
    expect(describeThisDevice({ host: host('h'), platform: 'linux', root: join(root, 'none') }).os).toBe(
      'linux 6.1.0-18-amd64',
    );
    expect(describeThisDevice({ host: host('mac'), platform: 'darwin', root }).os).toBe(
      'macOS (Darwin) 6.1.0-18-amd64',
    );
  });

  test("leaves out an empty host name and cuts a long one to the edge's limit", () => {
    expect(describeThisDevice({ host: host('  '), platform: 'linux', root })).not.toHaveProperty('hostname');
    expect(
      describeThisDevice({ host: host('h'.repeat(300)), platform: 'linux', root }).hostname,
    ).toHaveLength(255);
  });
});
