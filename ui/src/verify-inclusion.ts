/**
 * Checks in the browser, with WebCrypto only, that a journal entry is a leaf of the
 * organization's transparency log (docs/spec/merkle.md, docs/spec/checkpoint.md):
 *
 * 1. the leaf hash is SHA-256(0x00 || the entry's exact line), computed here from the line;
 * 2. the RFC 9162 inclusion proof leads from that leaf to a root;
 * 3. that root is the one in a C2SP checkpoint signed by the log's Ed25519 key (`name+id+key`).
 *
 * Because every entry names the hash of the one before it, a proven entry also commits to every
 * earlier entry of its device's chain; the journal view checks those links.
 */

export interface InclusionAnswer {
  index: number;
  size: number;
  /** base64 leaf hash the edge holds. */
  leafHash: string;
  proof: string[];
  /** The signed checkpoint of `size` leaves. */
  checkpoint: string;
}

export type InclusionCheck =
  | { ok: true; index: number; size: number; origin: string }
  | {
      ok: false;
      code: 'BAD_KEY' | 'BAD_CHECKPOINT' | 'BAD_SIGNATURE' | 'LEAF_MISMATCH' | 'BAD_PROOF';
      reason: string;
    };

const encoder = new TextEncoder();

function fromBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
export const leafHashOf = (data: Uint8Array) => sha256(Uint8Array.of(0), data);
const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

/** RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null when the proof has the wrong shape. */
export async function rootFromInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0 || p.length !== 32) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else r = await nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

interface LogKey {
  name: string;
  keyId: Uint8Array;
  key: CryptoKey;
}

/** A C2SP verifier key `name+hex8(id)+base64(0x01 || ed25519 public key)`. */
async function parseLogKey(text: string): Promise<LogKey | null> {
  // The name holds no '+'; the base64 key may.
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0) return null;
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  const b64 = trimmed.slice(second + 1);
  const raw = fromBase64(b64);
  if (!name || !/^[0-9a-f]{8}$/.test(idHex) || !raw || raw.length !== 33 || raw[0] !== 1) return null;
  const keyId = Uint8Array.from(idHex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  // The key id is the first four bytes of SHA-256(name || "\n" || type || key).
  const expected = (await sha256(encoder.encode(`${name}\n`), raw)).slice(0, 4);
  if (!equal(expected, keyId)) return null;
  try {
    const key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
    return { name, keyId, key };
  } catch {
    return null;
  }
}

/** Opens a checkpoint signed by `logKey`: its origin, size and root, or why not. */
export async function openCheckpoint(
  note: string,
  logKeyText: string,
): Promise<
  | { ok: true; origin: string; size: number; root: Uint8Array }
  | { ok: false; code: 'BAD_KEY' | 'BAD_CHECKPOINT' | 'BAD_SIGNATURE'; reason: string }
> {
  const logKey = await parseLogKey(logKeyText);
  if (!logKey) return { ok: false, code: 'BAD_KEY', reason: `"${logKeyText}" is not an Ed25519 log key` };
  const split = note.indexOf('\n\n');
  if (split < 0)
    return { ok: false, code: 'BAD_CHECKPOINT', reason: 'The checkpoint has no signature lines' };
  const text = note.slice(0, split + 1);
  const [origin, sizeText, rootText] = text.split('\n');
  const root = fromBase64(rootText ?? '');
  if (!origin || !/^(0|[1-9][0-9]*)$/.test(sizeText ?? '') || !root || root.length !== 32)
    return { ok: false, code: 'BAD_CHECKPOINT', reason: 'The checkpoint text is not origin, size and root' };
  for (const line of note.slice(split + 2).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== logKey.name) continue;
    const sig = fromBase64(match[2] as string);
    if (sig?.length !== 68 || !equal(sig.slice(0, 4), logKey.keyId)) continue;
    const good = await crypto.subtle.verify('Ed25519', logKey.key, sig.slice(4), encoder.encode(text));
    if (good) return { ok: true, origin, size: Number(sizeText), root };
    return {
      ok: false,
      code: 'BAD_SIGNATURE',
      reason: `The checkpoint's signature by ${logKey.name} is invalid`,
    };
  }
  return { ok: false, code: 'BAD_SIGNATURE', reason: `The checkpoint is not signed by ${logKey.name}` };
}

/** Is `line` (an entry exactly as stored) leaf `answer.index` of the checkpoint the log key signed? */
export async function checkInclusion(
  line: string,
  answer: InclusionAnswer,
  logKey: string,
): Promise<InclusionCheck> {
  const opened = await openCheckpoint(answer.checkpoint, logKey);
  if (!opened.ok) return opened;
  if (opened.size !== answer.size)
    return {
      ok: false,
      code: 'BAD_CHECKPOINT',
      reason: `The proof is for ${answer.size} leaves; the checkpoint has ${opened.size}`,
    };
  const leaf = await leafHashOf(encoder.encode(line));
  const held = fromBase64(answer.leafHash);
  if (!held || !equal(leaf, held))
    return {
      ok: false,
      code: 'LEAF_MISMATCH',
      reason: `Leaf ${answer.index} of the log is not this entry: the log holds other bytes`,
    };
  const proof = answer.proof.map(fromBase64);
  if (proof.some((p) => p === null))
    return { ok: false, code: 'BAD_PROOF', reason: 'The inclusion proof is not base64 hashes' };
  const root = await rootFromInclusion(leaf, answer.index, answer.size, proof as Uint8Array[]);
  if (!root || !equal(root, opened.root))
    return {
      ok: false,
      code: 'BAD_PROOF',
      reason: `The proof for leaf ${answer.index} does not lead to the signed root of ${answer.size} leaves`,
    };
  return { ok: true, index: answer.index, size: answer.size, origin: opened.origin };
}
