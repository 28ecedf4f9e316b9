import { describe, expect, test } from 'bun:test';
import type { EdgeConfig, InstallHint, ReadResult } from '../edge-client/index.ts';
import { type EnrollStageDeps, runEnrollStage } from './enroll-stage.ts';
import type { DeviceIdentity } from './identity.ts';

const device = (deviceId: string) => ({ record: { deviceId } }) as unknown as DeviceIdentity;
const config = (deviceId: string) => ({ deviceId, edgeUrl: 'https://edge.test' }) as EdgeConfig;

function deps(overrides: Partial<EnrollStageDeps> & { configs?: ReadResult<EdgeConfig>[] } = {}) {
  const configs = overrides.configs ?? [{ ok: true, value: undefined }];
  const calls = { enroll: 0, progress: [] as string[] };
  const value: EnrollStageDeps = {
    home: '/h/.ceros',
    product: 'Claude Code',
    edgeUrl: undefined,
    progress: (line) => calls.progress.push(line),
    readEdgeConfig: () => configs.shift() ?? { ok: true, value: undefined },
    readInstallHint: (): ReadResult<InstallHint> => ({ ok: true, value: undefined }),
    enroll: async () => {
      calls.enroll++;
      return { stdout: 'Enrolled', stderr: '', exitCode: 0 };
    },
    loadDevice: async () => ({ device: device('dev_1'), keystoreReason: 'software keystore' }),
    ...overrides,
  };
  return { value, calls };
}

describe('runEnrollStage()', () => {
  test('a device with no edge runs in local mode without enrolling', async () => {
    const { value, calls } = deps();
    const result = await runEnrollStage(value);
    expect(result).toMatchObject({
      ok: true,
      value: { enrolled: null, keystoreReason: 'software keystore' },
    });
    expect(calls.enroll).toBe(0);
  });

  test('an install hint or CEROS_EDGE_URL enrolls first, then reads the new config', async () => {
    for (const overrides of [
      {
        readInstallHint: (): ReadResult<InstallHint> => ({
          ok: true,
          value: { edgeUrl: 'https://edge.test' },
        }),
      },
      { edgeUrl: 'https://edge.test' },
    ]) {
      const { value, calls } = deps({
        ...overrides,
        configs: [
          { ok: true, value: undefined },
          { ok: true, value: config('dev_1') },
        ],
      });
      const result = await runEnrollStage(value);
      expect(result).toMatchObject({ ok: true, value: { enrolled: { deviceId: 'dev_1' } } });
      expect(calls.enroll).toBe(1);
      expect(calls.progress).toEqual([
        'ceros: This device is not enrolled yet: starting enrollment with your organization',
        'Enrolled',
      ]);
    }
  });

  test('an enrollment that does not complete refuses the session', async () => {
    const { value } = deps({
      edgeUrl: 'https://edge.test',
      enroll: async () => ({ stdout: '', stderr: 'Code expired', exitCode: 1 }),
    });
    expect(await runEnrollStage(value)).toEqual({
      ok: false,
      error: 'Enrollment did not complete, so Claude Code was not started',
      exitCode: 77,
    });
  });

  test('an unreadable config, a key that cannot load and a config for another device each fail, naming why', async () => {
    expect(
      await runEnrollStage(deps({ configs: [{ ok: false, error: 'Cannot use "config.json": v' }] }).value),
    ).toEqual({
      ok: false,
      error: 'Cannot use "config.json": v',
      exitCode: 1,
    });
    const broken = deps({
      loadDevice: async () => {
        throw new Error('The TPM is not reachable');
      },
    });
    expect(await runEnrollStage(broken.value)).toEqual({
      ok: false,
      error: 'The TPM is not reachable',
      exitCode: 1,
    });
    const other = deps({ configs: [{ ok: true, value: config('dev_9') }] });
    expect(await runEnrollStage(other.value)).toEqual({
      ok: false,
      error: 'config.json is for device "dev_9" but this device is "dev_1": run `ceros enroll` again',
      exitCode: 1,
    });
  });
});
