import {
  type EnrollmentPollResponse,
  enrollmentSigningBytes,
  type JsonValue,
  toBase64Url,
} from '@ceros/protocol';
import type { DeviceKeyHandle } from '../keystore/keystore.ts';
import { createEdgeClient, EdgeClientError, type FetchLike } from './client.ts';

export interface DeviceDescription {
  hostname?: string;
  os?: string;
  arch?: string;
  cerosVersion?: string;
}

export interface EnrollmentStart {
  enrollmentId: string;
  deviceId: string;
  /** Short code the human types at `enrollUrl` when the browser cannot be opened for them. */
  userCode: string;
  /** Opens the enrollment page with the code filled in. */
  verificationUrl: string;
  enrollUrl: string;
  pollToken: string;
  pollIntervalMs: number;
  expiresAt: string;
}

export type EnrollmentPoll = EnrollmentPollResponse;

/** Asks the edge to start enrolling this device's key; proves possession by signing the request. */
export async function startEnrollment(input: {
  edgeUrl: string;
  key: DeviceKeyHandle;
  /** The id the journal already uses (device.json); the edge derives one from the key when absent. */
  deviceId?: string;
  org?: string;
  device: DeviceDescription;
  fetch?: FetchLike;
  now?: () => number;
}): Promise<EnrollmentStart> {
  const body: Record<string, JsonValue> = {
    publicKey: input.key.publicKeySpki,
    keyProtection: input.key.protection,
    device: Object.fromEntries(Object.entries(input.device).filter(([, v]) => v !== undefined)) as Record<
      string,
      JsonValue
    >,
    timestamp: Math.floor((input.now ?? Date.now)()),
  };
  if (input.deviceId !== undefined) body.deviceId = input.deviceId;
  if (input.org !== undefined) body.org = input.org;
  const signature = await input.key.sign(enrollmentSigningBytes(body));
  const client = createEdgeClient({ baseUrl: input.edgeUrl, ...(input.fetch ? { fetch: input.fetch } : {}) });
  const response = await client.request('POST', '/v1/enroll/start', {
    json: { ...body, signature: toBase64Url(signature) },
  });
  return expectObject<EnrollmentStart>(response.body, 'enrollmentId');
}

export async function pollEnrollment(input: {
  edgeUrl: string;
  enrollmentId: string;
  pollToken: string;
  fetch?: FetchLike;
}): Promise<EnrollmentPoll> {
  const client = createEdgeClient({ baseUrl: input.edgeUrl, ...(input.fetch ? { fetch: input.fetch } : {}) });
  const response = await client.request('POST', '/v1/enroll/poll', {
    json: { enrollmentId: input.enrollmentId, pollToken: input.pollToken },
  });
  return expectObject<EnrollmentPoll>(response.body, 'status');
}

function expectObject<T>(body: unknown, field: string): T {
  if (typeof body !== 'object' || body === null || !(field in body))
    throw new EdgeClientError('BAD_RESPONSE', `Cannot read the edge's answer: "${field}" is missing`, 200);
  return body as T;
}
