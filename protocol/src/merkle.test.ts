import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import consistencyProbes from '../../tests/fixtures/merkle/consistency-probes.json';
import inclusionProbes from '../../tests/fixtures/merkle/inclusion-probes.json';
import tree from '../../tests/fixtures/merkle/rfc6962-tree.json';
import {
  CompactRange,
  compactRangeNodes,
  consistencyProofPlan,
  EMPTY_ROOT,
  inclusionProofPlan,
  leafHash,
  leafNodeReader,
  MemoryMerkleTree,
  proveConsistency,
  proveInclusion,
  rootAt,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const leaves = tree.leafInputsHex.map((h) => leafHash(fromHex(h)));

function treeOf(n: number): MemoryMerkleTree {
  const t = new MemoryMerkleTree();
  for (let i = 0; i < n; i++) t.append(new TextEncoder().encode(`leaf ${i}`));
  return t;
}

describe('RFC 6962 hashing', () => {
  test('leafHash() of the transparency-dev leaf inputs gives the level-0 node hashes', () => {
    expect(leaves.map(hex)).toEqual(tree.nodeHashesHex[0] as string[]);
  });

  test('the roots of 0 to 8 leaves match transparency-dev testonly/constants.go', () => {
    for (let n = 0; n <= 8; n++) {
      expect(hex(rootFromLeafHashes(leaves.slice(0, n)))).toBe(tree.rootHashesHex[n] as string);
    }
    expect(hex(EMPTY_ROOT)).toBe(tree.rootHashesHex[0] as string);
  });

  test('MemoryMerkleTree keeps every complete subtree of transparency-dev NodeHashes()', () => {
    const t = new MemoryMerkleTree();
    for (const l of leaves) t.appendLeafHash(l);
    tree.nodeHashesHex.forEach((level, l) => {
      level.forEach((h, i) => {
        expect(hex(t.readNodes([{ level: l, index: i }])[0] as Uint8Array)).toBe(h);
      });
    });
  });

  test('the compact range of n leaves is the CompactTrees() node list of transparency-dev', () => {
    for (let n = 0; n <= 8; n++) {
      const ids = compactRangeNodes(n).map((id) => [id.level, id.index]);
      expect(ids).toEqual(tree.compactTrees[n] as number[][]);
    }
  });
});

describe('transparency-dev inclusion probes', () => {
  test.each(inclusionProbes.map((p) => [`${p.source} (${p.probe.desc})`, p] as const))(
    '%s',
    (_name, { probe }) => {
      const result = verifyInclusion(
        fromB64(probe.leafHash),
        probe.leafIdx,
        probe.treeSize,
        (probe.proof ?? []).map(fromB64),
        fromB64(probe.root),
      );
      expect(result.ok).toBe(!probe.wantErr);
    },
  );

  test('all 82 probes are vendored and 5 of them are happy paths', () => {
    expect(inclusionProbes.length).toBe(82);
    expect(inclusionProbes.filter((p) => !p.probe.wantErr).length).toBe(5);
  });
});

describe('transparency-dev consistency probes', () => {
  test.each(consistencyProbes.map((p) => [`${p.source} (${p.probe.desc})`, p] as const))(
    '%s',
    (_name, { probe }) => {
      const result = verifyConsistency(
        probe.size1,
        probe.size2,
        (probe.proof ?? []).map(fromB64),
        fromB64(probe.root1),
        fromB64(probe.root2),
      );
      expect(result.ok).toBe(!probe.wantErr);
    },
  );

  test('all 84 probes are vendored and 5 of them are happy paths', () => {
    expect(consistencyProbes.length).toBe(84);
    expect(consistencyProbes.filter((p) => !p.probe.wantErr).length).toBe(5);
  });
});

describe('proof generation', () => {
  test('generated proofs equal the happy-path probes of the 8-leaf reference tree', () => {
    const t = new MemoryMerkleTree();
    for (const l of leaves) t.appendLeafHash(l);
    const happy = inclusionProbes.filter((p) => !p.probe.wantErr);
    for (const { probe } of happy) {
      const proof = new MemoryMerkleTree();
      for (const l of leaves.slice(0, probe.treeSize)) proof.appendLeafHash(l);
      expect(proof.inclusionProof(probe.leafIdx).map((b) => Buffer.from(b).toString('base64'))).toEqual(
        probe.proof ?? [],
      );
    }
    for (const { probe } of consistencyProbes.filter((p) => !p.probe.wantErr)) {
      const small = new MemoryMerkleTree();
      for (const l of leaves.slice(0, probe.size2)) small.appendLeafHash(l);
      expect(small.consistencyProof(probe.size1).map((b) => Buffer.from(b).toString('base64'))).toEqual(
        probe.proof ?? [],
      );
    }
  });

  test('every inclusion proof of trees of 1 to 70 leaves verifies, and fails for the neighbour leaf', () => {
    const t = treeOf(70);
    for (let size = 1; size <= 70; size++) {
      const root = t.root(size);
      for (let i = 0; i < size; i++) {
        const proof = t.inclusionProof(i, size);
        const leaf = t.readNodes([{ level: 0, index: i }])[0] as Uint8Array;
        expect(verifyInclusion(leaf, i, size, proof, root)).toEqual({ ok: true });
        if (size > 1) expect(verifyInclusion(leaf, (i + 1) % size, size, proof, root).ok).toBe(false);
      }
    }
  });

  test('every consistency proof between trees of 0 to 70 leaves verifies, and fails against a wrong root', () => {
    const t = treeOf(70);
    for (let size2 = 0; size2 <= 70; size2++) {
      for (let size1 = 0; size1 <= size2; size1++) {
        const proof = t.consistencyProof(size1, size2);
        expect(verifyConsistency(size1, size2, proof, t.root(size1), t.root(size2))).toEqual({ ok: true });
        if (size1 > 0 && size1 < size2) {
          expect(verifyConsistency(size1, size2, proof, t.root(size1 - 1), t.root(size2)).ok).toBe(false);
        }
      }
    }
  });

  test('proofs from leaf hashes alone equal proofs from stored subtrees', async () => {
    const t = treeOf(37);
    const fromLeaves = leafNodeReader((i) => t.readNodes([{ level: 0, index: i }])[0] as Uint8Array);
    for (let i = 0; i < 37; i++) {
      expect(await proveInclusion(fromLeaves, i, 37)).toEqual(t.inclusionProof(i, 37));
      expect(await proveConsistency(fromLeaves, i, 37)).toEqual(t.consistencyProof(i, 37));
    }
    expect(await rootAt(fromLeaves, 37)).toEqual(t.root());
    expect(await rootAt(t, 0)).toEqual(EMPTY_ROOT);
  });

  test('a proof in a tree of 2^50 + 12345 leaves reads at most 2 log2 n stored subtrees', () => {
    const size = 2 ** 50 + 12345;
    for (const index of [0, 1, 2 ** 49, size - 1, size - 12345]) {
      expect(inclusionProofPlan(index, size).flat().length).toBeLessThanOrEqual(2 * 51);
    }
    expect(consistencyProofPlan(2 ** 40 + 7, size).flat().length).toBeLessThanOrEqual(2 * 51);
  });

  test('verifyInclusion() names a leaf outside the tree and sizes that are not safe integers', () => {
    const h = new Uint8Array(32);
    expect(verifyInclusion(h, 3, 3, [], h)).toMatchObject({ ok: false, code: 'INVALID_RANGE' });
    expect(verifyInclusion(h, 0, 2 ** 60, [], h)).toMatchObject({ ok: false, code: 'INVALID_RANGE' });
    expect(verifyConsistency(5, 4, [], h, h)).toMatchObject({ ok: false, code: 'INVALID_RANGE' });
  });
});

describe('compact ranges', () => {
  test('folding entries onto the compact range of the prefix gives the root of the whole tree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (a, b) => {
        const [prefix, total] = a <= b ? [a, b] : [b, a];
        const t = treeOf(total);
        const range = CompactRange.fromHashes(prefix, t.readNodes(compactRangeNodes(prefix)));
        expect(range.root()).toEqual(t.root(prefix));
        for (let i = prefix; i < total; i++)
          range.append(t.readNodes([{ level: 0, index: i }])[0] as Uint8Array);
        expect(range.root()).toEqual(t.root(total));
        expect(range.hashes()).toEqual(t.compactRange(total).hashes());
      }),
      { numRuns: 60 },
    );
  });

  test('append() reports each leaf and every subtree it completes, exactly once', () => {
    const range = CompactRange.empty();
    const seen: string[] = [];
    for (let i = 0; i < 8; i++)
      range.append(leaves[i] as Uint8Array, (id) => seen.push(`${id.level}/${id.index}`));
    expect(seen).toEqual([
      '0/0',
      '0/1',
      '1/0',
      '0/2',
      '0/3',
      '1/1',
      '2/0',
      '0/4',
      '0/5',
      '1/2',
      '0/6',
      '0/7',
      '1/3',
      '2/1',
      '3/0',
    ]);
  });

  test('CompactRange.fromHashes() refuses a hash list of the wrong length for the size', () => {
    expect(() => CompactRange.fromHashes(3, [new Uint8Array(32)])).toThrow(RangeError);
  });
});
