import { createECDH, createPrivateKey, createPublicKey, hash, type KeyObject } from 'node:crypto';
import type { JsonValue } from '../canonical.ts';
import { cosignCheckpoint, signCheckpoint } from '../checkpoint.ts';
import { ZERO_HASH } from '../encoding.ts';
import { signEncodedEntry } from '../entry-encoder.ts';
import { type AuditExport, buildAuditExport } from '../export.ts';
import type { JournalEntry } from '../journal-entry.ts';
import { CompactRange, leafHash } from '../merkle.ts';
import { createNoteSigner, NOTE_COSIGNATURE_V1, NOTE_ED25519, type NoteSigner } from '../note.ts';
import {
  type KeyProtection,
  type SessionCertificate,
  signSessionCertificate,
  softwareDeviceSigner,
} from '../session-certificate.ts';
import { SESSION_KEY_ENTRY } from '../verify-journal.ts';

/**
 * A real-shaped ceros ledger for tests, fixtures and benchmarks: P-256 device keys certify
 * Ed25519 session keys, sessions sign journal entries with protocol's own encoder, and a log
 * signs checkpoints that a witness cosigns. Keys come from fixed seeds, so the keys, entry
 * signatures and checkpoints are reproducible; the ECDSA certificate signatures are not (node's
 * ECDSA is randomized), and so neither are the hashes that follow a `session.key` entry.
 */

const decoder = new TextDecoder();

/** A fixed 32-byte seed per label. */
export function fixtureSeed(label: string): Uint8Array {
  return new Uint8Array(hash('sha256', `ceros test fixture\n${label}`, 'buffer'));
}

/** A P-256 key pair whose private scalar is derived from `label`. */
export function fixtureP256Key(label: string): { privateKey: KeyObject; spki: string } {
  const d = Buffer.from(fixtureSeed(`p256 ${label}`));
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: d.toString('base64url'),
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64url');
  return { privateKey, spki };
}

export interface FixtureDevice {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly spki: string;
  readonly protection: KeyProtection;
  seq: number;
  prev: string;
}

export interface FixtureSession {
  readonly device: FixtureDevice;
  readonly id: string;
  readonly user: string | null;
  readonly key: KeyObject;
  readonly certificate: SessionCertificate;
}

export interface LedgerFixtureOptions {
  readonly origin?: string;
  readonly witnessName?: string;
  /** Milliseconds since the epoch of the first entry; each entry is 1 s after the one before. */
  readonly startTime?: number;
}

/** A checkpoint the fixture signed, with the compact range at its size. */
export interface FixtureCheckpoint {
  readonly size: number;
  readonly note: string;
  readonly range: CompactRange;
}

export class LedgerFixture {
  readonly origin: string;
  readonly logSigner: NoteSigner;
  readonly witnessSigner: NoteSigner;
  readonly entries: JournalEntry[] = [];
  readonly devices = new Map<string, FixtureDevice>();
  readonly sessions: FixtureSession[] = [];
  readonly checkpoints = new Map<number, FixtureCheckpoint>();
  readonly #range = CompactRange.empty();
  #clock: number;

  constructor(options: LedgerFixtureOptions = {}) {
    this.origin = options.origin ?? 'ceros.test/log';
    this.logSigner = createNoteSigner(this.origin, NOTE_ED25519, fixtureSeed('log'));
    this.witnessSigner = createNoteSigner(
      options.witnessName ?? 'witness.ceros.test/w1',
      NOTE_COSIGNATURE_V1,
      fixtureSeed('witness'),
    );
    this.#clock = options.startTime ?? Date.UTC(2026, 0, 5, 9, 0, 0);
  }

  get size(): number {
    return this.#range.size;
  }

  get logKey(): string {
    return this.logSigner.verifierKey;
  }

  get witnessKey(): string {
    return this.witnessSigner.verifierKey;
  }

  addDevice(id: string, protection: KeyProtection = 'tpm'): FixtureDevice {
    const { privateKey, spki } = fixtureP256Key(`device ${id}`);
    const device = { id, privateKey, spki, protection, seq: 0, prev: ZERO_HASH };
    this.devices.set(id, device);
    return device;
  }

  /** Starts a session: a certificate by the device key, recorded as the session's `session.key` entry. */
  async startSession(device: FixtureDevice, id: string, user: string | null): Promise<FixtureSession> {
    const seed = fixtureSeed(`session ${device.id} ${id}`);
    const signer = createNoteSigner('session', NOTE_ED25519, seed);
    const sessionKey = Buffer.from(signer.publicKey).toString('base64url');
    const now = new Date(this.#clock).toISOString();
    const certificate = await signSessionCertificate(
      {
        v: 1,
        device: device.id,
        user,
        session: id,
        sessionKey,
        notBefore: now,
        notAfter: new Date(this.#clock + 24 * 3600_000).toISOString(),
        postureDigest: hash('sha256', `posture ${device.id}`, 'hex'),
        ancestryDigest: hash('sha256', `ancestry ${id}`, 'hex'),
        policyHash: hash('sha256', 'policy v1', 'hex'),
        keyProtection: device.protection,
      },
      softwareDeviceSigner(device.privateKey),
    );
    const session = { device, id, user, key: signer.privateKey, certificate };
    this.sessions.push(session);
    this.record(session, SESSION_KEY_ENTRY, { publicKey: sessionKey, certificate } as unknown as JsonValue);
    return session;
  }

  /** Signs and appends one entry of `session`. */
  record(session: FixtureSession, type: string, payload: JournalEntry['payload']): JournalEntry {
    const device = session.device;
    const encoded = signEncodedEntry(
      {
        v: 1,
        device: device.id,
        seq: device.seq,
        prev: device.prev,
        time: new Date(this.#clock).toISOString(),
        session: session.id,
        type,
        payload,
      },
      session.key,
    );
    this.#clock += 1000;
    device.seq += 1;
    device.prev = hash('sha256', encoded.bytes, 'hex');
    // What the edge stores and exports: the entry as parsed from the bytes the device sent, so
    // its payload keys are in canonical order, as in a real export.
    const entry = JSON.parse(decoder.decode(encoded.bytes)) as JournalEntry;
    this.entries.push(entry);
    this.#range.append(leafHash(encoded.bytes));
    return entry;
  }

  /** A realistic tool call or prompt: what Claude Code sessions record most. */
  recordActivity(session: FixtureSession, n: number): JournalEntry {
    const kind = n % 4;
    if (kind === 0)
      return this.record(session, 'prompt', {
        text: `Fix the failing test in src/module-${n}.ts`,
        chars: 38,
      });
    if (kind === 1)
      return this.record(session, 'tool.call', {
        id: `toolu_${n.toString(36).padStart(8, '0')}`,
        tool: 'Bash',
        input: { command: `bun test src/module-${n}.test.ts`, description: 'Run the tests' },
        cwd: '/home/dev/project',
        decision: 'allow',
      });
    if (kind === 2)
      return this.record(session, 'tool.result', {
        id: `toolu_${(n - 1).toString(36).padStart(8, '0')}`,
        exitCode: 0,
        outputSha256: hash('sha256', `output ${n}`, 'hex'),
        outputBytes: 1200 + (n % 500),
      });
    return this.record(session, 'response', {
      model: 'claude-opus-4',
      stopReason: 'end_turn',
      outputTokens: 300 + (n % 700),
    });
  }

  /** Signs a checkpoint at the current size, cosigned by the witness unless told otherwise. */
  checkpoint(options: { cosign?: boolean; timestamp?: number } = {}): FixtureCheckpoint {
    const checkpoint = { origin: this.origin, size: this.size, rootHash: this.#range.root(), extensions: [] };
    let note = signCheckpoint(checkpoint, this.logSigner);
    if (options.cosign ?? true)
      note += cosignCheckpoint(note, this.witnessSigner, options.timestamp ?? Math.floor(this.#clock / 1000));
    const signed = { size: this.size, note, range: this.#range.clone() };
    this.checkpoints.set(this.size, signed);
    return signed;
  }

  /** The audit export of leaves [from, to), between two checkpoints this fixture signed. */
  exportPeriod(from: number, to: number): AuditExport {
    const start = this.checkpoints.get(from);
    const end = this.checkpoints.get(to);
    if (!start || !end) throw new RangeError(`No checkpoint at size ${start ? to : from}`);
    const entries = this.entries.slice(from, to);
    return buildAuditExport({
      origin: this.origin,
      from: entries[0]?.time ?? new Date(this.#clock).toISOString(),
      to: entries[entries.length - 1]?.time ?? new Date(this.#clock).toISOString(),
      startCheckpoint: start.note,
      endCheckpoint: end.note,
      prefix: start.range.hashes(),
      entries,
      devices: [...this.devices.values()].map((d) => ({ id: d.id, spki: d.spki, protection: d.protection })),
      certificates: this.sessions.map((s) => s.certificate),
    });
  }
}

/**
 * A ledger of `entries` entries spread over devices and sessions, checkpointed after `prefix`
 * entries and at the end, and the export of the period between. For tests and the benchmark.
 */
export async function buildFixtureExport(options: {
  entries: number;
  prefix?: number;
  devices?: number;
  sessionsPerDevice?: number;
}): Promise<{ fixture: LedgerFixture; doc: AuditExport }> {
  const fixture = new LedgerFixture();
  const deviceCount = options.devices ?? 3;
  const perDevice = options.sessionsPerDevice ?? 2;
  const sessions: FixtureSession[] = [];
  for (let d = 0; d < deviceCount; d++) {
    const device = fixture.addDevice(
      `dev-${d + 1}`,
      d === 0 ? 'tpm' : d === 1 ? 'secure-enclave' : 'software',
    );
    for (let s = 0; s < perDevice; s++)
      sessions.push(
        await fixture.startSession(device, `sess-${d + 1}-${s + 1}`, `user${(d % 2) + 1}@example.com`),
      );
  }
  const prefix = Math.max(options.prefix ?? 10, fixture.size);
  let n = 0;
  while (fixture.size < prefix) fixture.recordActivity(sessions[n % sessions.length] as FixtureSession, n++);
  fixture.checkpoint();
  const target = prefix + options.entries;
  while (fixture.size < target) fixture.recordActivity(sessions[n % sessions.length] as FixtureSession, n++);
  fixture.checkpoint();
  return { fixture, doc: fixture.exportPeriod(prefix, target) };
}
