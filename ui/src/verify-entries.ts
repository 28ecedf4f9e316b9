/**
 * Checks signed journal entries in the browser, from the exact lines the edge stored, with
 * WebCrypto only (the protocol package needs node:crypto): each entry's `prev` is the SHA-256 of
 * the line before it (docs: protocol/src/journal-entry.ts `entryHash`), and its `sig` is the
 * session key's Ed25519 signature over `ENTRY_SIGNING_PREFIX + canonical(body)`.
 *
 * The lines are RFC 8785 canonical JSON, whose top-level keys sort as device, payload, prev, seq,
 * session, sig, time, type, v; so the canonical body is the line with its top-level `"sig"`
 * member cut out, and nothing has to be re-canonicalized here. Session certificates (device key
 * over session key) are checked by the edge at ingest; the console does not hold device keys.
 */
export const ENTRY_SIGNING_PREFIX = 'ceros/journal-entry/v1\n';
export const ZERO_HASH = '0'.repeat(64);

export interface ParsedEntry {
  line: string;
  seq: number;
  device: string;
  session: string;
  type: string;
  time: string;
  prev: string;
  sig: string;
  payload: unknown;
}

export type CheckState = 'ok' | 'bad' | 'unknown';
export interface EntryCheck {
  chain: CheckState;
  signature: CheckState;
}

export function parseEntryLine(line: string): ParsedEntry | null {
  try {
    const e = JSON.parse(line) as Record<string, unknown>;
    if (typeof e.seq !== 'number' || typeof e.session !== 'string' || typeof e.sig !== 'string') return null;
    return {
      line,
      seq: e.seq,
      device: String(e.device ?? ''),
      session: e.session,
      type: String(e.type ?? ''),
      time: String(e.time ?? ''),
      prev: String(e.prev ?? ''),
      sig: e.sig,
      payload: e.payload,
    };
  } catch {
    return null;
  }
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** The canonical body of a stored line: the line without its top-level `sig` member. */
export function signedBodyOf(entry: ParsedEntry): string | null {
  const member = `,"sig":${JSON.stringify(entry.sig)}`;
  const at = entry.line.lastIndexOf(member);
  return at === -1 ? null : entry.line.slice(0, at) + entry.line.slice(at + member.length);
}

/** Session public keys (raw Ed25519, base64url) from the `session.key` entries among `entries`. */
export function sessionKeysOf(entries: readonly ParsedEntry[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const e of entries) {
    if (e.type !== 'session.key') continue;
    const key = (e.payload as { publicKey?: unknown } | null)?.publicKey;
    if (typeof key === 'string') keys.set(e.session, key);
  }
  return keys;
}

/**
 * Checks `entries` (ascending, consecutive seqs of one device). `anchor` is the line of the entry
 * just before the first one (null at seq 0, or when unknown: the first link is then `unknown`).
 */
export async function verifyEntries(
  entries: readonly ParsedEntry[],
  anchor: string | null,
  sessionKeys: ReadonlyMap<string, string>,
): Promise<Map<number, EntryCheck>> {
  const out = new Map<number, EntryCheck>();
  const imported = new Map<string, Promise<CryptoKey | null>>();
  const keyFor = (session: string) => {
    let key = imported.get(session);
    if (!key) {
      const raw = sessionKeys.get(session);
      key = raw
        ? crypto.subtle
            .importKey('raw', fromBase64Url(raw), { name: 'Ed25519' }, false, ['verify'])
            .catch(() => null)
        : Promise.resolve(null);
      imported.set(session, key);
    }
    return key;
  };
  const hashes = await Promise.all(entries.map((e) => sha256Hex(e.line)));
  const anchorHash = anchor === null ? null : await sha256Hex(anchor);
  await Promise.all(
    entries.map(async (entry, i) => {
      let chain: CheckState;
      if (i > 0) chain = entries[i - 1]?.seq === entry.seq - 1 && entry.prev === hashes[i - 1] ? 'ok' : 'bad';
      else if (entry.seq === 0) chain = entry.prev === ZERO_HASH ? 'ok' : 'bad';
      else chain = anchorHash === null ? 'unknown' : entry.prev === anchorHash ? 'ok' : 'bad';
      let signature: CheckState = 'unknown';
      const key = await keyFor(entry.session);
      const body = signedBodyOf(entry);
      if (key && body !== null) {
        try {
          const ok = await crypto.subtle.verify(
            { name: 'Ed25519' },
            key,
            fromBase64Url(entry.sig),
            encoder.encode(ENTRY_SIGNING_PREFIX + body),
          );
          signature = ok ? 'ok' : 'bad';
        } catch {
          signature = 'bad';
        }
      } else if (body === null) signature = 'bad';
      out.set(entry.seq, { chain, signature });
    }),
  );
  return out;
}
