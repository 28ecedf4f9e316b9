import { afterEach, describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicy, signBundle, verifyBundle } from '@ceros/policy';
import type { EdgeConfig } from '../edge-client/index.ts';
import { type FetchPolicyBundle, pollEdgePolicy, runPolicyStage } from './policy-stage.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ceros-policy-stage-'));
  dirs.push(dir);
  return dir;
}

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const orgKey = publicKey.export({ format: 'jwk' }).x as string;
const enrolled = {
  edgeUrl: 'https://edge.test',
  org: { id: 'o1', slug: 'acme', name: 'Acme' },
  orgSigningKey: orgKey,
  orgSigningKeyId: 'org-1',
} as EdgeConfig;

function bundle(version: number) {
  const doc = parsePolicy(
    `version: 1\nname: team\ndefault: allow\nrules:\n  - id: no-bash\n    tools: [Bash]\n    effect: deny\n`,
  );
  if (!doc.ok) throw new Error('fixture policy is invalid');
  return signBundle(
    { version, issuedAt: new Date().toISOString(), policy: doc.value },
    { keyId: 'org-1', privateKey },
  );
}

/** An edge that serves `bundle` (verified as the real client does) or says none is published. */
function edgeServing(served: ReturnType<typeof bundle> | null): FetchPolicyBundle {
  return async ({ trustedKeys, lastVersion }) => {
    if (!served) return { status: 'none' };
    const verified = verifyBundle(served, trustedKeys, lastVersion);
    if (!verified.ok) throw new Error(verified.message);
    return { status: 'ok', document: verified.value, etag: null, raw: JSON.stringify(served) };
  };
}

const input = { policyFile: null, allowUnsignedPolicy: false, noPolicyDev: false, enrolled: null };

describe('runPolicyStage()', () => {
  test('with no policy configured, the baseline starter is in force and the banner says why', async () => {
    const progress: string[] = [];
    const result = await runPolicyStage(input, { home: home(), progress: (l) => progress.push(l) });
    expect(result).toMatchObject({
      ok: true,
      value: { policy: { source: { kind: 'starter', starter: 'baseline' } } },
    });
    expect(progress).toEqual([
      expect.stringMatching(/^ceros: Enforcing the baseline starter policy .*no policy is configured/),
    ]);
  });

  test('--no-policy-dev runs with no policy on a local device, and is refused on an enrolled one', async () => {
    const progress: string[] = [];
    const local = await runPolicyStage(
      { ...input, noPolicyDev: true },
      { home: home(), progress: (l) => progress.push(l) },
    );
    expect(local).toMatchObject({ ok: true, value: { policy: null } });
    expect(progress).toEqual([
      'ceros: Running with no policy (--no-policy-dev): tool calls are recorded, not checked',
    ]);
    expect(
      await runPolicyStage({ ...input, noPolicyDev: true, enrolled }, { home: home(), progress: () => {} }),
    ).toEqual({
      ok: false,
      error:
        'Refusing --no-policy-dev: this device is enrolled with "acme", whose policy applies to every session',
      exitCode: 77,
    });
  });

  test('an unsigned --policy file needs the development flag', async () => {
    const dir = home();
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'version: 1\ndefault: allow\n');
    const refused = await runPolicyStage({ ...input, policyFile: file }, { home: dir, progress: () => {} });
    expect(refused).toMatchObject({ ok: false, exitCode: 77 });
    expect(refused.ok ? '' : refused.error).toContain('--allow-unsigned-policy');
    const allowed = await runPolicyStage(
      { ...input, policyFile: file, allowUnsignedPolicy: true },
      { home: dir, progress: () => {} },
    );
    expect(allowed).toMatchObject({
      ok: true,
      value: { policy: { source: { kind: 'unsigned-file', file } } },
    });
  });

  test("an enrolled device takes the organization's bundle, keeps it as the last good one, and falls back to it when the edge is away", async () => {
    const dir = home();
    const first = await runPolicyStage(
      { ...input, enrolled },
      { home: dir, progress: () => {}, fetchBundle: edgeServing(bundle(4)) },
    );
    expect(first).toMatchObject({ ok: true, value: { policy: { source: { kind: 'edge', version: 4 } } } });
    expect(first.ok && first.value.trustedKeys[0]).toEqual({ keyId: 'org-1', publicKey: orgKey });
    const progress: string[] = [];
    const offline = await runPolicyStage(
      { ...input, enrolled },
      {
        home: dir,
        progress: (l) => progress.push(l),
        fetchBundle: async () => {
          throw new Error('connection refused');
        },
      },
    );
    expect(offline).toMatchObject({
      ok: true,
      value: { policy: { source: { kind: 'last-good-bundle', version: 4 } } },
    });
    expect(progress[0]).toBe(
      'ceros: Cannot fetch the policy from https://edge.test (connection refused); using the last good bundle',
    );
  });

  test('an enrolled device whose organization published nothing enforces the baseline starter', async () => {
    const progress: string[] = [];
    const result = await runPolicyStage(
      { ...input, enrolled },
      { home: home(), progress: (l) => progress.push(l), fetchBundle: edgeServing(null) },
    );
    expect(result).toMatchObject({ ok: true, value: { policy: { source: { kind: 'starter' } } } });
    expect(progress[0]).toContain('your organization has published no policy yet');
  });

  test('trusted-keys.json adds keys that may sign bundles', async () => {
    const dir = home();
    mkdirSync(join(dir, 'policy'), { recursive: true });
    writeFileSync(
      join(dir, 'policy', 'trusted-keys.json'),
      JSON.stringify([{ keyId: 'k2', publicKey: 'x' }]),
    );
    const result = await runPolicyStage(input, { home: dir, progress: () => {} });
    expect(result.ok && result.value.trustedKeys).toEqual([{ keyId: 'k2', publicKey: 'x' }]);
  });
});

describe('pollEdgePolicy()', () => {
  test('returns a newer bundle as an edge policy, and null when nothing new is published', async () => {
    const dir = home();
    const keys = [{ keyId: 'org-1', publicKey: orgKey }];
    expect(await pollEdgePolicy(edgeServing(null), dir, keys, undefined)).toBeNull();
    expect(await pollEdgePolicy(edgeServing(bundle(7)), dir, keys, 6)).toMatchObject({
      source: { kind: 'edge', version: 7 },
    });
  });
});
