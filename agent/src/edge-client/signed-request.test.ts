import { describe, expect, test } from 'bun:test';
import { generateKeyPairSync, verify } from 'node:crypto';
import { ed25519PublicKeyToRaw, signSessionCertificate, softwareDeviceSigner } from '@ceros/protocol';
import { createFileKeystore } from '../keystore/file.ts';
import {
  deviceIdFromSpki,
  deviceRequestSigner,
  HEADER,
  REQUEST_SIGNING_PREFIX,
  requestSigningString,
  sessionRequestSigner,
  signRequest,
} from './signed-request.ts';

describe('signed edge requests', () => {
  test('requestSigningString() matches the golden vector the edge also checks', () => {
    // Same vector as edge/src/auth/device-auth.test.ts: the two sides must never drift apart.
    expect(REQUEST_SIGNING_PREFIX).toBe('ceros/edge-request/v1\n');
    expect(
      requestSigningString({
        method: 'post',
        pathAndQuery: '/v1/agent/ingest?x=1',
        device: 'dev_0123456789abcdef01234567',
        key: 'device',
        timestamp: '1767225600000',
        nonce: 'AAAAAAAAAAAAAAAAAAAAAAAA',
        body: Buffer.from('{"entries":[]}'),
      }),
    ).toBe(
      'ceros/edge-request/v1\nPOST\n/v1/agent/ingest?x=1\ndev_0123456789abcdef01234567\ndevice\n1767225600000\nAAAAAAAAAAAAAAAAAAAAAAAA\n' +
        'd801aa1fb7ddcc330a5e3173372ea6af4a3d08ec58074478e85aa5603e926658',
    );
  });

  test('deviceIdFromSpki() is dev_ + 24 hex digits of SHA-256 over the SPKI bytes, as on the edge', () => {
    expect(deviceIdFromSpki(Buffer.from('spki').toString('base64url'))).toBe(
      `dev_${new Bun.CryptoHasher('sha256').update('spki').digest('hex').slice(0, 24)}`,
    );
  });

  test('signRequest() with the device key produces a P-256 signature over the signing string', async () => {
    const dir = `${process.env.TMPDIR ?? '/tmp'}/ceros-sign-${crypto.randomUUID()}`;
    const key = await createFileKeystore(dir).create('device');
    const signer = deviceRequestSigner(deviceIdFromSpki(key.publicKeySpki), key);
    const body = Buffer.from('{"a":1}');
    const headers = await signRequest(
      signer,
      { method: 'POST', pathAndQuery: '/p', body },
      { now: 5, nonce: 'n'.repeat(20) },
    );
    expect(headers[HEADER.key]).toBe('device');
    const message = requestSigningString({
      method: 'POST',
      pathAndQuery: '/p',
      device: signer.deviceId,
      key: 'device',
      timestamp: '5',
      nonce: 'n'.repeat(20),
      body,
    });
    const publicKey = {
      key: Buffer.from(key.publicKeySpki, 'base64url'),
      format: 'der',
      type: 'spki',
    } as const;
    expect(
      verify(
        'sha256',
        Buffer.from(message),
        { ...publicKey, dsaEncoding: 'der' },
        Buffer.from(headers[HEADER.signature] ?? '', 'base64url'),
      ),
    ).toBe(true);
  });

  test('a session signer presents its certificate and signs with Ed25519', async () => {
    const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const session = generateKeyPairSync('ed25519');
    const certificate = await signSessionCertificate(
      {
        v: 1,
        device: 'dev_x',
        user: null,
        session: 's1',
        sessionKey: ed25519PublicKeyToRaw(session.publicKey),
        notBefore: '2026-01-01T00:00:00.000Z',
        notAfter: '2026-01-02T00:00:00.000Z',
        postureDigest: null,
        ancestryDigest: null,
        policyHash: null,
        keyProtection: 'software',
      },
      softwareDeviceSigner(device.privateKey),
    );
    const signer = sessionRequestSigner({
      deviceId: 'dev_x',
      sessionId: 's1',
      privateKey: session.privateKey,
      certificate,
    });
    const headers = await signRequest(
      signer,
      { method: 'GET', pathAndQuery: '/s', body: new Uint8Array() },
      { now: 1 },
    );
    expect(headers[HEADER.key]).toBe('session:s1');
    expect(JSON.parse(Buffer.from(headers[HEADER.certificate] ?? '', 'base64url').toString())).toEqual(
      certificate,
    );
  });
});
