import { type NodeId, type NodeReader, nodeHash } from '@ceros/protocol';
import { EdgeError } from '../errors.ts';
import type { LedgerStore } from '../store/ledger-store.ts';
import { STORED_NODE_LEVEL } from './log-append.ts';

/**
 * The `NodeReader` proofs and compact ranges read an organization's tree through: subtrees of
 * level >= STORED_NODE_LEVEL from `merkle_nodes`, smaller ones hashed from their leaf hashes
 * (RFC 9162 2.1.1), all in two queries. Throws when the log lacks a subtree asked for.
 */
export function storedNodeReader(store: LedgerStore, orgId: string): NodeReader {
  return {
    async readNodes(ids: readonly NodeId[]) {
      const stored = ids.filter((id) => id.level >= STORED_NODE_LEVEL);
      const leafIndexes = new Set<number>();
      for (const id of ids) {
        if (id.level >= STORED_NODE_LEVEL) continue;
        const width = 2 ** id.level;
        for (let i = id.index * width; i < (id.index + 1) * width; i++) leafIndexes.add(i);
      }
      const indexes = [...leafIndexes];
      const [nodeHashes, leafHashes] = await Promise.all([
        stored.length > 0 ? store.readLogNodes(orgId, stored) : [],
        indexes.length > 0 ? store.readLeafHashes(orgId, indexes) : [],
      ]);
      const leaves = new Map(indexes.map((index, i) => [index, leafHashes[i]]));
      const nodes = new Map(stored.map((id, i) => [`${id.level}/${id.index}`, nodeHashes[i]]));
      const missing = (id: NodeId) =>
        new EdgeError(
          'INTERNAL',
          `Cannot read subtree ${id.level}/${id.index} of the log of organization "${orgId}"`,
        );
      return ids.map((id) => {
        if (id.level >= STORED_NODE_LEVEL) {
          const hash = nodes.get(`${id.level}/${id.index}`);
          if (!hash) throw missing(id);
          return hash;
        }
        const width = 2 ** id.level;
        let level: Uint8Array[] = [];
        for (let i = id.index * width; i < (id.index + 1) * width; i++) {
          const hash = leaves.get(i);
          if (!hash) throw missing(id);
          level.push(hash);
        }
        while (level.length > 1) {
          const up: Uint8Array[] = [];
          for (let i = 0; i < level.length; i += 2)
            up.push(nodeHash(level[i] as Uint8Array, level[i + 1] as Uint8Array));
          level = up;
        }
        return level[0] as Uint8Array;
      });
    },
  };
}
