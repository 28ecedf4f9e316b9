import { hash } from 'node:crypto';

/**
 * The RFC 6962 / RFC 9162 Merkle tree the edge keeps over every journal entry it accepts.
 * `docs/spec/merkle.md` describes it; transparency-dev/merkle's test vectors pin it
 * (tests/fixtures/merkle/).
 *
 * Sizes and indexes are JavaScript numbers restricted to safe integers (2^53 - 1 leaves is more
 * than any ceros log will hold); every entry point checks that before doing arithmetic.
 */

export const HASH_SIZE = 32;

/** RFC 9162 2.1.1: MTH({}) = SHA-256() */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(hash('sha256', new Uint8Array(0), 'buffer'));

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** RFC 9162 2.1.1: the hash of a leaf is SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(data.length + 1);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return new Uint8Array(hash('sha256', input, 'buffer'));
}

/** RFC 9162 2.1.1: an interior node is SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + HASH_SIZE * 2);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return new Uint8Array(hash('sha256', input, 'buffer'));
}

export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * A perfect subtree: `level` 0 is a leaf; node (level, index) covers leaves
 * [index * 2^level, (index + 1) * 2^level). Complete subtrees never change once written, so a
 * store can keep them by this key forever.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/**
 * What a proof is made of, before any hash is read: one element per proof hash, each the
 * right-to-left fold of one or more perfect subtrees (several only for the one "ephemeral"
 * node on the right border of a tree whose size is not a power of two).
 */
export type ProofPlan = readonly (readonly NodeId[])[];

/**
 * Where proofs read their hashes. The edge backs it with a table of complete-subtree hashes
 * (the `onNode` output of `CompactRange.append`), so one proof is one batched lookup of
 * O(log n) rows; `leafNodeReader` computes subtrees from leaf hashes for tests and rebuilds.
 */
export interface NodeReader {
  /** Returns the hash of every id, in order; throws when one is missing. */
  readNodes(ids: readonly NodeId[]): Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

export type MerkleFailureCode = 'INVALID_RANGE' | 'MALFORMED_PROOF' | 'ROOT_MISMATCH';
export type MerkleVerifyResult = { ok: true } | { ok: false; code: MerkleFailureCode; reason: string };

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let v = n;
  while (v % 2 === 0) v /= 2;
  return v === 1;
}

function assertSize(name: string, n: number): void {
  if (!isSize(n)) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

/** The perfect subtrees that make up the range [begin, end), largest (leftmost) first. */
export function rangeNodes(begin: number, end: number): NodeId[] {
  assertSize('begin', begin);
  assertSize('end', end);
  if (begin > end) throw new RangeError(`Range [${begin}, ${end}) is reversed`);
  const left: NodeId[] = [];
  const right: NodeId[] = [];
  let b = begin;
  let e = end;
  let level = 0;
  // Peel aligned nodes off both ends, bottom-up (the compact range decomposition).
  while (b < e) {
    if (b % 2 === 1) {
      left.push({ level, index: b });
      b += 1;
    }
    if (e % 2 === 1 && b < e) {
      e -= 1;
      right.push({ level, index: e });
    }
    b /= 2;
    e /= 2;
    level += 1;
  }
  return [...left, ...right.reverse()];
}

/** The compact range of a tree of `size` leaves: at most 53 perfect subtrees, largest first. */
export function compactRangeNodes(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/** The audit path of node (level, index) up to the root of a tree of `size` leaves, bottom-up. */
function pathPlan(level: number, index: number, size: number): NodeId[][] {
  const plan: NodeId[][] = [];
  let l = level;
  let i = index;
  let width = 2 ** level;
  while (!(i === 0 && width >= size)) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    const start = sibling * width;
    if (start < size) {
      // A sibling that reaches past the tree's end is the ephemeral right-border node.
      plan.push(start + width <= size ? [{ level: l, index: sibling }] : rangeNodes(start, size));
    }
    i = Math.floor(i / 2);
    l += 1;
    width *= 2;
  }
  return plan;
}

/** RFC 9162 2.1.3.1 PATH(m, D[n]) as the subtrees to read. */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  assertSize('index', index);
  assertSize('size', size);
  if (index >= size) throw new RangeError(`Leaf ${index} is not in a tree of ${size} leaves`);
  return pathPlan(0, index, size);
}

/** RFC 9162 2.1.4.1 PROOF(m, D[n]) as the subtrees to read. */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  assertSize('size1', size1);
  assertSize('size2', size2);
  if (size1 > size2) throw new RangeError(`Cannot prove ${size1} leaves consistent with fewer (${size2})`);
  if (size1 === 0 || size1 === size2) return [];
  // The largest perfect subtree ending at size1 is the proof's starting point; the verifier
  // already knows it when size1 is a power of two (it is the old root), so it is left out then.
  let level = 0;
  let rest = size1;
  while (rest % 2 === 0) {
    rest /= 2;
    level += 1;
  }
  const index = rest - 1;
  const path = pathPlan(level, index, size2);
  return index === 0 ? path : [[{ level, index }], ...path];
}

/** Folds the subtrees of one element right to left: H(n0, H(n1, ... H(nk-1, nk))). */
function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1];
  if (acc === undefined) throw new RangeError('Cannot fold an empty list of hashes');
  for (let k = hashes.length - 2; k >= 0; k--) acc = nodeHash(hashes[k] as Uint8Array, acc);
  return acc;
}

/** Turns the hashes read for `plan.flat()` into the proof. */
export function resolveProofPlan(plan: ProofPlan, hashes: readonly Uint8Array[]): Uint8Array[] {
  const proof: Uint8Array[] = [];
  let at = 0;
  for (const element of plan) {
    const slice = hashes.slice(at, at + element.length);
    if (slice.length !== element.length) throw new RangeError('Fewer hashes than the plan needs');
    proof.push(foldRight(slice));
    at += element.length;
  }
  if (at !== hashes.length) throw new RangeError('More hashes than the plan needs');
  return proof;
}

async function readPlan(reader: NodeReader, plan: ProofPlan): Promise<Uint8Array[]> {
  const ids = plan.flat();
  if (ids.length === 0) return [];
  const hashes = await reader.readNodes(ids);
  return resolveProofPlan(plan, hashes);
}

export function proveInclusion(reader: NodeReader, index: number, size: number): Promise<Uint8Array[]> {
  return readPlan(reader, inclusionProofPlan(index, size));
}

export function proveConsistency(reader: NodeReader, size1: number, size2: number): Promise<Uint8Array[]> {
  return readPlan(reader, consistencyProofPlan(size1, size2));
}

/** MTH of the first `size` leaves, from the stored perfect subtrees of its compact range. */
export async function rootAt(reader: NodeReader, size: number): Promise<Uint8Array> {
  const ids = compactRangeNodes(size);
  if (ids.length === 0) return EMPTY_ROOT;
  return foldRight(await reader.readNodes(ids));
}

function checkHash(what: string, h: Uint8Array): MerkleVerifyResult {
  if (h.length !== HASH_SIZE)
    return { ok: false, code: 'MALFORMED_PROOF', reason: `${what} is ${h.length} bytes, not ${HASH_SIZE}` };
  return { ok: true };
}

/**
 * RFC 9162 2.1.3.2: verifies that `leaf` is leaf `index` of the tree of `size` leaves with `root`.
 * Every step is checked, including that the proof has exactly the right length.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): MerkleVerifyResult {
  if (!isSize(index) || !isSize(size))
    return {
      ok: false,
      code: 'INVALID_RANGE',
      reason: `Index ${index} or size ${size} is not a safe integer`,
    };
  // Step 1: the leaf must be inside the tree.
  if (index >= size)
    return { ok: false, code: 'INVALID_RANGE', reason: `Leaf ${index} is not in a tree of ${size} leaves` };
  for (const [what, h] of [
    ['The leaf hash', leaf],
    ['The root hash', root],
  ] as const) {
    const r = checkHash(what, h);
    if (!r.ok) return r;
  }
  for (let k = 0; k < proof.length; k++) {
    const r = checkHash(`Proof hash ${k}`, proof[k] as Uint8Array);
    if (!r.ok) return r;
  }
  // Steps 2-4.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0)
      return { ok: false, code: 'MALFORMED_PROOF', reason: `The proof has more than the path needs` };
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  if (sn !== 0)
    return { ok: false, code: 'MALFORMED_PROOF', reason: `The proof has fewer hashes than the path needs` };
  if (!hashesEqual(r, root))
    return {
      ok: false,
      code: 'ROOT_MISMATCH',
      reason: `The proof for leaf ${index} does not lead to the root of the tree of ${size} leaves`,
    };
  return { ok: true };
}

/**
 * RFC 9162 2.1.4.2: verifies that the tree of `size1` leaves with `root1` is a prefix of the tree
 * of `size2` leaves with `root2`.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): MerkleVerifyResult {
  if (!isSize(size1) || !isSize(size2))
    return { ok: false, code: 'INVALID_RANGE', reason: `Size ${size1} or ${size2} is not a safe integer` };
  if (size2 < size1)
    return {
      ok: false,
      code: 'INVALID_RANGE',
      reason: `The new size ${size2} is smaller than the old ${size1}`,
    };
  for (const [what, h] of [
    ['The old root', root1],
    ['The new root', root2],
  ] as const) {
    const r = checkHash(what, h);
    if (!r.ok) return r;
  }
  if (size1 === size2) {
    if (proof.length !== 0)
      return { ok: false, code: 'MALFORMED_PROOF', reason: 'Equal sizes need an empty proof' };
    if (!hashesEqual(root1, root2))
      return { ok: false, code: 'ROOT_MISMATCH', reason: `Two different roots for the same size ${size1}` };
    return { ok: true };
  }
  if (size1 === 0) {
    if (proof.length !== 0)
      return {
        ok: false,
        code: 'MALFORMED_PROOF',
        reason: 'Growth from the empty tree needs an empty proof',
      };
    return { ok: true };
  }
  // Step 1.
  if (proof.length === 0) return { ok: false, code: 'MALFORMED_PROOF', reason: 'The proof is empty' };
  for (let k = 0; k < proof.length; k++) {
    const r = checkHash(`Proof hash ${k}`, proof[k] as Uint8Array);
    if (!r.ok) return r;
  }
  // Step 2.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // Steps 3-4.
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // Step 6.
  for (let k = 1; k < path.length; k++) {
    const c = path[k] as Uint8Array;
    if (sn === 0)
      return { ok: false, code: 'MALFORMED_PROOF', reason: 'The proof has more hashes than the path needs' };
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7.
  if (sn !== 0)
    return { ok: false, code: 'MALFORMED_PROOF', reason: 'The proof has fewer hashes than the path needs' };
  if (!hashesEqual(fr, root1))
    return {
      ok: false,
      code: 'ROOT_MISMATCH',
      reason: `The proof does not lead to the old root at size ${size1}`,
    };
  if (!hashesEqual(sr, root2))
    return {
      ok: false,
      code: 'ROOT_MISMATCH',
      reason: `The proof does not lead to the new root at size ${size2}`,
    };
  return { ok: true };
}

/** Called with each perfect subtree as it is completed, leaves included (level 0). */
export type OnNode = (id: NodeId, hash: Uint8Array) => void;

/**
 * The compact range [0, size): the roots of the perfect subtrees of the binary decomposition of
 * `size`, which is all a log needs to append and compute its root, and all an auditor needs to
 * extend a signed tree head with the entries that follow it.
 */
export class CompactRange {
  #size: number;
  readonly #hashes: Uint8Array[];

  private constructor(size: number, hashes: Uint8Array[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** From the hashes of `compactRangeNodes(size)`, in that order. */
  static fromHashes(size: number, hashes: readonly Uint8Array[]): CompactRange {
    assertSize('size', size);
    const expected = compactRangeNodes(size).length;
    if (hashes.length !== expected)
      throw new RangeError(`A compact range of ${size} leaves has ${expected} hashes, got ${hashes.length}`);
    for (const h of hashes)
      if (h.length !== HASH_SIZE) throw new RangeError('Compact range hash is not 32 bytes');
    return new CompactRange(size, [...hashes]);
  }

  get size(): number {
    return this.#size;
  }

  /** The hashes of `compactRangeNodes(this.size)`, largest subtree first. */
  hashes(): Uint8Array[] {
    return [...this.#hashes];
  }

  clone(): CompactRange {
    return new CompactRange(this.#size, [...this.#hashes]);
  }

  /** Appends one leaf hash; `onNode` sees the leaf and every subtree it completes. */
  append(leaf: Uint8Array, onNode?: OnNode): void {
    if (leaf.length !== HASH_SIZE) throw new RangeError('A leaf hash is 32 bytes');
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('The tree is full');
    let index = this.#size;
    let level = 0;
    let h = leaf;
    onNode?.({ level, index }, h);
    while (index % 2 === 1) {
      h = nodeHash(this.#hashes.pop() as Uint8Array, h);
      index = (index - 1) / 2;
      level += 1;
      onNode?.({ level, index }, h);
    }
    this.#hashes.push(h);
    this.#size += 1;
  }

  /** MTH of the range; the empty tree's root for size 0. */
  root(): Uint8Array {
    return this.#hashes.length === 0 ? EMPTY_ROOT : foldRight(this.#hashes);
  }
}

/** MTH of a list of leaf hashes (RFC 9162 2.1.1), in O(n) with O(log n) memory. */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  const range = CompactRange.empty();
  for (const leaf of leaves) range.append(leaf);
  return range.root();
}

/**
 * A NodeReader over leaf hashes alone: a perfect subtree of level l costs 2^l - 1 node hashes
 * unless `memo` already holds it. For tests, small logs, and rebuilding a node table.
 */
export function leafNodeReader(
  leafHashAt: (index: number) => Uint8Array,
  memo: Map<string, Uint8Array> = new Map(),
): NodeReader {
  const subtree = (level: number, index: number): Uint8Array => {
    if (level === 0) return leafHashAt(index);
    const key = `${level}/${index}`;
    const known = memo.get(key);
    if (known) return known;
    const h = nodeHash(subtree(level - 1, index * 2), subtree(level - 1, index * 2 + 1));
    memo.set(key, h);
    return h;
  };
  return { readNodes: (ids) => ids.map((id) => subtree(id.level, id.index)) };
}

/**
 * An in-memory log that keeps every perfect subtree, the way the edge's node table does: the
 * fake for the edge's store, and the log of tests and benchmarks.
 */
export class MemoryMerkleTree implements NodeReader {
  readonly #range = CompactRange.empty();
  readonly #nodes = new Map<string, Uint8Array>();

  get size(): number {
    return this.#range.size;
  }

  /** Appends leaf data (journal entry bytes); returns the new leaf's index. */
  append(data: Uint8Array): number {
    return this.appendLeafHash(leafHash(data));
  }

  appendLeafHash(leaf: Uint8Array): number {
    const index = this.#range.size;
    this.#range.append(leaf, (id, h) => this.#nodes.set(`${id.level}/${id.index}`, h));
    return index;
  }

  readNodes(ids: readonly NodeId[]): Uint8Array[] {
    return ids.map((id) => {
      const h = this.#nodes.get(`${id.level}/${id.index}`);
      if (!h) throw new RangeError(`Node ${id.level}/${id.index} is not in the tree`);
      return h;
    });
  }

  /** The root at `size` (default: the current size). */
  root(size = this.size): Uint8Array {
    if (size > this.size) throw new RangeError(`The tree has ${this.size} leaves, not ${size}`);
    const ids = compactRangeNodes(size);
    return ids.length === 0 ? EMPTY_ROOT : foldRight(this.readNodes(ids));
  }

  compactRange(size = this.size): CompactRange {
    return CompactRange.fromHashes(size, this.readNodes(compactRangeNodes(size)));
  }

  inclusionProof(index: number, size = this.size): Uint8Array[] {
    const plan = inclusionProofPlan(index, size);
    return resolveProofPlan(plan, this.readNodes(plan.flat()));
  }

  consistencyProof(size1: number, size2 = this.size): Uint8Array[] {
    const plan = consistencyProofPlan(size1, size2);
    return resolveProofPlan(plan, this.readNodes(plan.flat()));
  }
}
