import { describe, expect, test } from 'bun:test';
import {
  createNoteSigner,
  encodeBase64,
  formatCheckpoint,
  MemoryMerkleTree,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  proveInclusion,
  rootAt,
  signNote,
} from '@ceros/protocol';
import { checkInclusion, type InclusionAnswer, openCheckpoint } from './verify-inclusion.ts';

// The console's WebCrypto checks against the protocol package's own log, proofs and notes.
const log = createNoteSigner('edge.acme.test/acme', NOTE_ED25519, new Uint8Array(32).fill(3));
const witness = createNoteSigner('w.example/w1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(4));
const lines = Array.from(
  { length: 13 },
  (_, i) => `{"seq":${i},"type":"prompt","payload":{"text":"entry ${i}"}}`,
);

async function answerFor(index: number, size = lines.length): Promise<InclusionAnswer> {
  const tree = new MemoryMerkleTree();
  for (const line of lines.slice(0, size)) tree.append(new TextEncoder().encode(line));
  const text = formatCheckpoint({
    origin: log.name,
    size,
    rootHash: await rootAt(tree, size),
    extensions: [],
  });
  const leaf = tree.readNodes([{ level: 0, index }])[0] as Uint8Array;
  return {
    index,
    size,
    leafHash: encodeBase64(leaf),
    proof: (await proveInclusion(tree, index, size)).map(encodeBase64),
    checkpoint: signNote(text, [log, witness], { timestamp: 1_767_600_000 }),
  };
}

describe('checkInclusion() in WebCrypto', () => {
  test('proves every leaf of trees of several sizes against the signed checkpoint', async () => {
    for (const size of [1, 2, 5, 8, 13])
      for (let index = 0; index < size; index++) {
        const result = await checkInclusion(
          lines[index] as string,
          await answerFor(index, size),
          log.verifierKey,
        );
        expect(result).toEqual({ ok: true, index, size, origin: log.name });
      }
  });

  test('an edited entry, a proof for another leaf, a changed proof hash and a foreign key each fail with their reason', async () => {
    const answer = await answerFor(6);
    expect(
      await checkInclusion(lines[6]?.replace('entry 6', 'entry 7') ?? '', answer, log.verifierKey),
    ).toMatchObject({
      ok: false,
      code: 'LEAF_MISMATCH',
    });
    const other = await answerFor(7);
    expect(
      await checkInclusion(lines[6] as string, { ...other, leafHash: answer.leafHash }, log.verifierKey),
    ).toMatchObject({
      ok: false,
      code: 'BAD_PROOF',
    });
    const flipped = [...answer.proof];
    flipped[0] = encodeBase64(new Uint8Array(32).fill(9));
    expect(
      await checkInclusion(lines[6] as string, { ...answer, proof: flipped }, log.verifierKey),
    ).toMatchObject({
      ok: false,
      code: 'BAD_PROOF',
    });
    const stranger = createNoteSigner('edge.acme.test/acme', NOTE_ED25519, new Uint8Array(32).fill(5));
    expect(await checkInclusion(lines[6] as string, answer, stranger.verifierKey)).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });

  test('log keys whose base64 holds "+" or "/" open checkpoints too', async () => {
    let tried = 0;
    for (let seed = 1; seed < 60 && tried < 5; seed++) {
      const signer = createNoteSigner('edge.acme.test/acme', NOTE_ED25519, new Uint8Array(32).fill(seed));
      const key = signer.verifierKey.slice(signer.verifierKey.indexOf('+', signer.name.length + 1) + 1);
      if (!/[+/]/.test(key)) continue;
      tried++;
      const text = formatCheckpoint({
        origin: signer.name,
        size: 1,
        rootHash: new Uint8Array(32),
        extensions: [],
      });
      expect(await openCheckpoint(signNote(text, [signer]), signer.verifierKey)).toMatchObject({
        ok: true,
        size: 1,
      });
    }
    expect(tried).toBe(5);
  });

  test('a checkpoint whose text was changed after signing is refused', async () => {
    const answer = await answerFor(2);
    const forged = answer.checkpoint.replace(`\n${lines.length}\n`, `\n${lines.length + 1}\n`);
    expect(await openCheckpoint(forged, log.verifierKey)).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    expect(await openCheckpoint(answer.checkpoint, 'not-a-key')).toMatchObject({
      ok: false,
      code: 'BAD_KEY',
    });
  });
});
