import { expect, test } from 'bun:test';
import { createFakeSnapshot } from './fake-snapshot.ts';
import { checkRequirements, explainUnmet } from './requirements.ts';

test('checkRequirements() returns nothing for a compliant snapshot', () => {
  const all = {
    diskEncryption: 'required',
    secureBoot: 'required',
    firewall: 'required',
    screenLock: 'required',
    codeIntegrity: 'required',
    endpointProtection: ['CrowdStrike Falcon', 'sentinelone'],
  } as const;
  expect(checkRequirements(createFakeSnapshot(), all)).toEqual([]);
});

test('checkRequirements() names the volume to encrypt once for home and project on the same device', () => {
  const snapshot = createFakeSnapshot({
    diskEncryption: {
      status: 'failed',
      evidence: 'e',
      ms: 1,
      value: {
        volumes: [
          {
            role: 'home',
            path: '/root',
            status: 'failed',
            device: '/dev/vda (254:0)',
            mechanism: null,
            evidence: 'no dm-crypt layer: vda',
          },
          {
            role: 'project',
            path: '/work',
            status: 'failed',
            device: '/dev/vda (254:0)',
            mechanism: null,
            evidence: 'no dm-crypt layer: vda',
          },
        ],
      },
    },
  });
  const unmet = checkRequirements(snapshot, { diskEncryption: 'required' });
  expect(unmet).toHaveLength(1);
  expect(unmet[0]?.status).toBe('failed');
  expect(unmet[0]?.message).toStartWith(
    'Encrypt the volume /dev/vda (254:0) holding the home folder "/root" and the project "/work": it is not encrypted; set up LUKS',
  );
});

test('checkRequirements() treats an unknown probe as unmet and says it could not be verified', () => {
  const snapshot = createFakeSnapshot({
    firewall: { status: 'unknown', evidence: 'live rules need root', ms: 1 },
  });
  const [unmet] = checkRequirements(snapshot, { firewall: 'required' });
  expect(unmet).toMatchObject({ requirement: 'firewall', status: 'unknown' });
  expect(unmet?.message).toBe(
    'Make the firewall state verifiable: ceros could not determine it (live rules need root)',
  );
});

test('checkRequirements() asks for UEFI mode on a legacy BIOS boot and for Secure Boot when it is off', () => {
  const legacy = createFakeSnapshot({
    secureBoot: { status: 'failed', value: 'unsupported', evidence: 'Legacy BIOS boot', ms: 1 },
  });
  expect(checkRequirements(legacy, { secureBoot: 'required' })[0]?.message).toBe(
    'Boot in UEFI mode with Secure Boot on: Legacy BIOS boot',
  );
  const off = createFakeSnapshot({
    secureBoot: { status: 'failed', value: 'off', evidence: 'SecureBoot = 0', ms: 1 },
  });
  expect(checkRequirements(off, { secureBoot: 'required' })[0]?.message).toBe(
    'Turn on Secure Boot in the UEFI firmware settings: SecureBoot = 0',
  );
});

test('checkRequirements() checks endpoint protection against a list of products', () => {
  const snapshot = createFakeSnapshot();
  expect(checkRequirements(snapshot, { endpointProtection: ['crowdstrike'] })).toEqual([]);
  const [unmet] = checkRequirements(snapshot, { endpointProtection: ['SentinelOne', 'osquery'] });
  expect(unmet?.message).toStartWith(
    'Start one of the required endpoint protection agents ("SentinelOne", "osquery")',
  );
  const none = createFakeSnapshot({
    endpointProtection: {
      status: 'failed',
      value: { running: [], installed: [] },
      evidence: 'No endpoint protection running',
      ms: 1,
    },
  });
  expect(checkRequirements(none, { endpointProtection: 'required' })[0]?.message).toBe(
    'Start an endpoint protection agent: none is running (No endpoint protection running)',
  );
});

test('checkRequirements() gives platform advice', () => {
  const mac = {
    ...createFakeSnapshot({
      firewall: { status: 'failed', value: { enabled: false, source: 'x' }, evidence: 'State = 0', ms: 1 },
    }),
    platform: 'darwin',
  };
  expect(checkRequirements(mac, { firewall: 'required' })[0]?.message).toBe(
    'Turn on the firewall in System Settings > Network > Firewall: State = 0',
  );
});

test('explainUnmet() lists what to fix', () => {
  const snapshot = createFakeSnapshot({
    screenLock: { status: 'failed', value: { enabled: false, delaySeconds: null }, evidence: 'off', ms: 1 },
  });
  expect(explainUnmet(checkRequirements(snapshot, { screenLock: 'required' }))).toBe(
    'Cannot start Claude Code: this device does not meet a posture requirement of the policy\n' +
      '  - Turn on automatic screen lock in the desktop settings (Privacy > Screen Lock): off',
  );
});
