import { type createPublicKey, verify } from 'node:crypto';
import {
  devicePublicKeyFromSpki,
  ed25519PublicKeyFromRaw,
  fromBase64Url,
  parseSessionCertificate,
  verifySessionCertificate,
} from '@ceros/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppContext, EdgeEnv } from '../deps.ts';
import { EdgeError } from '../errors.ts';
import { readBody } from '../http.ts';
import type { Device } from '../store/store.ts';
import { HEADER, MAX_CLOCK_SKEW_MS, requestSigningString } from './signed-request.ts';

export interface DeviceAuthOptions {
  maxBodyBytes: number;
  /** Let pending and revoked devices through (the status endpoint reports their state). */
  allowInactive?: boolean;
}

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * Authenticates an agent request: the device (or a session key it certified) signed the method,
 * path, body hash, timestamp and nonce. Refuses, in this order and each with its own code: missing
 * headers, a stale timestamp, an unknown device, a bad signature, a revoked or pending device or
 * user, and a nonce seen before (a replay). The nonce is recorded only after the signature checks
 * out, so nobody can burn a device's nonces.
 */
export function deviceAuth(ctx: AppContext, options: DeviceAuthOptions): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const deviceId = c.req.header(HEADER.device);
    const keyId = c.req.header(HEADER.key);
    const timestamp = c.req.header(HEADER.timestamp);
    const nonce = c.req.header(HEADER.nonce);
    const signature = c.req.header(HEADER.signature);
    const missing = [
      [HEADER.device, deviceId],
      [HEADER.key, keyId],
      [HEADER.timestamp, timestamp],
      [HEADER.nonce, nonce],
      [HEADER.signature, signature],
    ]
      .filter(([, value]) => !value)
      .map(([name]) => name);
    if (!deviceId || !keyId || !timestamp || !nonce || !signature)
      throw new EdgeError(
        'SIGNATURE_MISSING',
        `Cannot authenticate the request: missing ${missing.join(', ')}`,
      );
    if (!NONCE.test(nonce))
      throw new EdgeError('SIGNATURE_MISSING', `Cannot use nonce "${nonce}": malformed`);

    const now = ctx.now();
    const sentAt = Number(timestamp);
    if (!Number.isSafeInteger(sentAt) || Math.abs(now - sentAt) > MAX_CLOCK_SKEW_MS)
      throw new EdgeError(
        'STALE_REQUEST',
        `Cannot accept a request signed at "${timestamp}": more than ${MAX_CLOCK_SKEW_MS / 1000} s from the edge clock; check the device clock`,
      );

    // Look the device up before reading the body: a stranger cannot make the edge buffer megabytes.
    const device = await ctx.store.getDeviceForAuth(deviceId);
    if (!device)
      throw new EdgeError(
        'UNKNOWN_DEVICE',
        `Cannot accept requests from device "${deviceId}": it is not enrolled`,
      );
    const body = await readBody(c, options.maxBodyBytes);

    const url = new URL(c.req.url);
    const message = Buffer.from(
      requestSigningString({
        method: c.req.method,
        pathAndQuery: url.pathname + url.search,
        device: deviceId,
        key: keyId,
        timestamp,
        nonce,
        body,
      }),
    );
    const signedBy = verifySignature(
      device,
      keyId,
      c.req.header(HEADER.certificate),
      message,
      signature,
      now,
    );

    if (!options.allowInactive) assertActive(device);
    if (!(await ctx.store.useNonce(deviceId, nonce, now + 2 * MAX_CLOCK_SKEW_MS, now)))
      throw new EdgeError(
        'REPLAYED_REQUEST',
        `Cannot accept nonce "${nonce}" again: the request was replayed`,
      );

    c.set('rawBody', body);
    c.set('device', device);
    c.set('signedBy', signedBy);
    await next();
  };
}

export function assertActive(device: Device): void {
  if (device.status === 'revoked')
    throw new EdgeError(
      'DEVICE_REVOKED',
      `Cannot accept requests from device "${device.id}": it was revoked`,
      {
        reason: device.revokedReason,
      },
    );
  if (device.userStatus === 'revoked')
    throw new EdgeError(
      'USER_REVOKED',
      `Cannot accept requests from device "${device.id}": user "${device.userEmail}" was revoked`,
    );
  if (device.status === 'pending')
    throw new EdgeError(
      'DEVICE_PENDING',
      `Cannot accept requests from device "${device.id}": it awaits an admin's approval`,
    );
}

function verifySignature(
  device: Device,
  keyId: string,
  certificateHeader: string | undefined,
  message: Buffer,
  signature: string,
  now: number,
): string {
  const bad = (why: string) =>
    new EdgeError('BAD_SIGNATURE', `Cannot authenticate the request from device "${device.id}": ${why}`);
  const deviceKey = devicePublicKeyFromSpki(device.publicKey);
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(signature);
  } catch {
    throw bad('the signature is not base64url');
  }
  if (keyId === 'device') {
    if (!safeVerify(() => verify('sha256', message, { key: deviceKey, dsaEncoding: 'der' }, sig)))
      throw bad('the signature does not match the registered device key');
    return 'device';
  }
  const sessionId = /^session:(.{1,128})$/.exec(keyId)?.[1];
  if (!sessionId) throw bad(`key "${keyId}" is neither "device" nor "session:<id>"`);
  if (!certificateHeader) throw bad(`key "${keyId}" needs the ${HEADER.certificate} header`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(certificateHeader, 'base64url').toString('utf8'));
  } catch {
    throw bad('the session certificate is not base64url JSON');
  }
  const cert = parseSessionCertificate(raw);
  if (!cert.ok) throw bad(`the session certificate is malformed: ${cert.error}`);
  if (cert.value.device !== device.id || cert.value.session !== sessionId)
    throw bad(`the session certificate is not for session "${sessionId}" of this device`);
  const verdict = verifySessionCertificate(cert.value, deviceKey);
  if (!verdict.ok) throw bad(verdict.reason);
  if (now < Date.parse(cert.value.notBefore) - MAX_CLOCK_SKEW_MS || now > Date.parse(cert.value.notAfter))
    throw bad(`the session certificate of session "${sessionId}" is not valid now`);
  let sessionKey: ReturnType<typeof createPublicKey>;
  try {
    sessionKey = ed25519PublicKeyFromRaw(cert.value.sessionKey);
  } catch (error) {
    throw bad((error as Error).message);
  }
  if (!safeVerify(() => verify(null, message, sessionKey, sig)))
    throw bad(`the signature does not match the key of session "${sessionId}"`);
  return keyId;
}

function safeVerify(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
