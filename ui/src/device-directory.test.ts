import { expect, test } from 'bun:test';
import type { Device } from './api.ts';
import { deviceLabel, deviceName } from './device-directory.ts';

const device = (id: string, hostname: string | null, user: string) =>
  ({ id, hostname, user }) as unknown as Device;

test('devices of one image, all named "vm", are told apart by whose they are', () => {
  const devices = new Map([
    ['dev_1', device('dev_1', 'vm', 'ana@acme.test')],
    ['dev_2', device('dev_2', 'vm', 'bo@acme.test')],
  ]);
  expect(deviceLabel(devices, 'dev_1')).toBe('vm · ana@acme.test');
  expect(deviceLabel(devices, 'dev_2')).toBe('vm · bo@acme.test');
  expect(deviceName(device('dev_0123456789abcdef', null, 'cy@acme.test'))).toContain('cy@acme.test');
});
