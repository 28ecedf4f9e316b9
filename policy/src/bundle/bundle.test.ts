import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { toBase64Url } from '@ceros/protocol';
import { type BundlePayload, signBundle, verifyBundle } from './bundle.ts';

const org = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const trusted = [{ keyId: 'org-2026', publicKey: org.publicKey.export({ format: 'jwk' }).x as string }];
const payload = (version: number): BundlePayload => ({
  version,
  issuedAt: '2026-11-25T10:00:00.000Z',
  organization: 'acme',
  policy: { version: 1, default: 'allow', rules: [{ id: 'no-bash', tools: ['Bash'], effect: 'deny' }] },
});

describe('verifyBundle()', () => {
  test('accepts a bundle signed by a trusted key and returns its hash and version', () => {
    const result = verifyBundle(
      signBundle(payload(3), { keyId: 'org-2026', privateKey: org.privateKey }),
      trusted,
      2,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({ version: 3, keyId: 'org-2026', organization: 'acme' });
    expect(result.value.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.value.policy.rules?.[0]?.id).toBe('no-bash');
  });

  test('accepts the same version again (the cached last good bundle)', () => {
    expect(
      verifyBundle(signBundle(payload(3), { keyId: 'org-2026', privateKey: org.privateKey }), trusted, 3).ok,
    ).toBe(true);
  });

  test('refuses a rolled-back version', () => {
    const result = verifyBundle(
      signBundle(payload(2), { keyId: 'org-2026', privateKey: org.privateKey }),
      trusted,
      3,
    );
    expect(result.ok ? undefined : result.code).toBe('ROLLBACK');
  });

  test('refuses a tampered payload', () => {
    const bundle = signBundle(payload(3), { keyId: 'org-2026', privateKey: org.privateKey });
    const text = Buffer.from(bundle.payload, 'base64url').toString('utf8').replace('"deny"', '"allow"');
    const result = verifyBundle({ ...bundle, payload: toBase64Url(Buffer.from(text)) }, trusted, undefined);
    expect(result.ok ? undefined : result.code).toBe('BAD_SIGNATURE');
  });

  test('refuses a bundle signed by an untrusted key, even under a trusted key id', () => {
    const foreign = signBundle(payload(3), { keyId: 'someone', privateKey: other.privateKey });
    expect(verifyBundle(foreign, trusted, undefined)).toMatchObject({ ok: false, code: 'UNTRUSTED_KEY' });
    const impersonating = signBundle(payload(3), { keyId: 'org-2026', privateKey: other.privateKey });
    expect(verifyBundle(impersonating, trusted, undefined)).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });

  test('refuses an unsigned or malformed bundle without throwing', () => {
    expect(
      verifyBundle({ format: 'ceros-policy-bundle/v1', payload: 'x', signatures: [] }, trusted, undefined),
    ).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(verifyBundle('garbage', trusted, undefined)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(verifyBundle(null, [], undefined)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  test('refuses a validly signed bundle whose policy is invalid, with the issues', () => {
    const bad = signBundle(
      { ...payload(3), policy: { version: 1, default: 'maybe' } as unknown as BundlePayload['policy'] },
      { keyId: 'org-2026', privateKey: org.privateKey },
    );
    const result = verifyBundle(bad, trusted, undefined);
    expect(result).toMatchObject({ ok: false, code: 'INVALID_POLICY' });
    expect(result.ok ? [] : result.issues?.map((issue) => issue.path.join('.'))).toEqual(['default']);
  });
});
