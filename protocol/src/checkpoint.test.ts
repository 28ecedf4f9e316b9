import { describe, expect, test } from 'bun:test';
import {
  checkCheckpointConsistency,
  cosignCheckpoint,
  formatAddCheckpointRequest,
  formatCheckpoint,
  openCheckpoint,
  parseAddCheckpointRequest,
  parseCheckpoint,
  signCheckpoint,
} from './checkpoint.ts';
import { EMPTY_ROOT, MemoryMerkleTree } from './merkle.ts';
import { createNoteSigner, NOTE_COSIGNATURE_V1, NOTE_ED25519 } from './note.ts';

const log = createNoteSigner('example.com/log', NOTE_ED25519, new Uint8Array(32).fill(1));
const witness = createNoteSigner('witness.example/w1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(2));
const root = new Uint8Array(Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64'));
const checkpoint = { origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: root, extensions: [] };

describe('checkpoint body (c2sp.org/tlog-checkpoint)', () => {
  test('formatCheckpoint() writes the C2SP example body', () => {
    expect(formatCheckpoint(checkpoint)).toBe(
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual({ ok: true, value: checkpoint });
  });

  test('parseCheckpoint() keeps extension lines', () => {
    const parsed = parseCheckpoint('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx-ext 1\n');
    expect(parsed.ok && parsed.value.extensions).toEqual(['x-ext 1']);
  });

  test.each([
    ['no final newline', 'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'does not end in a newline'],
    ['two lines', 'o\n1\n', 'not at least 3'],
    ['an empty origin', '\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'origin line is empty'],
    ['a leading zero', 'o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'without leading zeros'],
    ['a negative size', 'o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'without leading zeros'],
    [
      'a size over 2^53',
      'o\n18446744073709551615\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
      'larger than ceros supports',
    ],
    ['a short root', 'o\n1\nV3JvbmdSb290\n', 'not the base64 of 32 bytes'],
    ['unpadded base64', 'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n', 'not the base64 of 32 bytes'],
    [
      'an empty extension line',
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n',
      'empty extension line',
    ],
  ])('parseCheckpoint() rejects %s as MALFORMED_CHECKPOINT', (_what, text, message) => {
    const parsed = parseCheckpoint(text);
    expect(parsed).toMatchObject({ ok: false, code: 'MALFORMED_CHECKPOINT' });
    expect(!parsed.ok && parsed.error).toContain(message);
  });
});

describe('signed checkpoints and cosignatures', () => {
  const note =
    signCheckpoint(checkpoint, log) + cosignCheckpoint(signCheckpoint(checkpoint, log), witness, 1679315147);

  test('openCheckpoint() checks the log signature and reports the witness cosignature with its time', () => {
    const opened = openCheckpoint(note, {
      logKey: log.verifierKey,
      witnessKeys: [witness.verifierKey],
      origin: checkpoint.origin,
      requireCosignatures: 1,
    });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.value.checkpoint.size).toBe(20852163);
    expect(opened.value.cosignatures).toEqual([
      { name: 'witness.example/w1', keyId: witness.keyId, timestamp: 1679315147 },
    ]);
  });

  test('openCheckpoint() names a checkpoint the log did not sign, another origin, and a missing cosignature', () => {
    const other = createNoteSigner('example.com/log', NOTE_ED25519, new Uint8Array(32).fill(9));
    expect(openCheckpoint(note, { logKey: other.verifierKey })).toMatchObject({
      ok: false,
      code: 'BAD_LOG_SIGNATURE',
    });
    expect(openCheckpoint(note, { logKey: log.verifierKey, origin: 'example.com/other' })).toMatchObject({
      ok: false,
      code: 'ORIGIN_MISMATCH',
    });
    expect(
      openCheckpoint(signCheckpoint(checkpoint, log), { logKey: log.verifierKey, requireCosignatures: 1 }),
    ).toMatchObject({
      ok: false,
      code: 'MISSING_COSIGNATURE',
    });
    expect(openCheckpoint(note.replace('20852163', '20852164'), { logKey: log.verifierKey })).toMatchObject({
      ok: false,
      code: 'BAD_LOG_SIGNATURE',
    });
    expect(openCheckpoint('not a note', { logKey: log.verifierKey })).toMatchObject({
      ok: false,
      code: 'MALFORMED_NOTE',
    });
    expect(openCheckpoint(note, { logKey: witness.verifierKey })).toMatchObject({
      ok: false,
      code: 'UNKNOWN_KEY_TYPE',
    });
  });

  test('a cosignature covers its timestamp: changing the time breaks it', () => {
    const line = cosignCheckpoint(note, witness, 100);
    const raw = Buffer.from(line.split(' ')[2] ?? '', 'base64');
    raw.writeBigUInt64BE(101n, 4);
    const forged = `${signCheckpoint(checkpoint, log)}— witness.example/w1 ${raw.toString('base64')}\n`;
    expect(
      openCheckpoint(forged, { logKey: log.verifierKey, witnessKeys: [witness.verifierKey] }),
    ).toMatchObject({
      ok: false,
      code: 'BAD_COSIGNATURE',
    });
  });
});

describe('consistency between checkpoints', () => {
  test('checkCheckpointConsistency() accepts growth with a proof and names what it cannot prove', () => {
    const t = new MemoryMerkleTree();
    for (let i = 0; i < 9; i++) t.append(new Uint8Array([i]));
    const at = (size: number) => ({ origin: 'o', size, rootHash: t.root(size), extensions: [] });
    expect(checkCheckpointConsistency(at(4), at(9), t.consistencyProof(4, 9))).toEqual({ ok: true });
    expect(checkCheckpointConsistency(at(4), at(9))).toMatchObject({ ok: false, code: 'UNPROVEN' });
    expect(checkCheckpointConsistency(at(4), { ...at(4), rootHash: EMPTY_ROOT })).toMatchObject({
      ok: false,
      code: 'SPLIT_VIEW',
    });
    expect(checkCheckpointConsistency(at(4), { ...at(9), origin: 'p' })).toMatchObject({
      ok: false,
      code: 'ORIGIN_MISMATCH',
    });
  });
});

describe('add-checkpoint requests (c2sp.org/tlog-witness)', () => {
  test('formatAddCheckpointRequest() and parseAddCheckpointRequest() round-trip the C2SP layout', () => {
    const note = signCheckpoint(checkpoint, log);
    const proof = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const body = formatAddCheckpointRequest({ oldSize: 20852014, proof, checkpoint: note });
    expect(body.startsWith('old 20852014\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n')).toBe(true);
    expect(body).toContain(`=\n\n${note}`);
    expect(parseAddCheckpointRequest(body)).toEqual({
      ok: true,
      value: { oldSize: 20852014, proof, checkpoint: note },
    });
  });

  test.each([
    ['no old line', 'new 1\n\nx'],
    ['a leading zero', 'old 01\n\nx'],
    ['a bad proof line', 'old 1\nnot-base64\n\nx'],
    ['no blank line', 'old 1\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE='],
    ['64 proof lines', `old 1\n${'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n'.repeat(64)}\nx`],
  ])('parseAddCheckpointRequest() rejects %s', (_what, body) => {
    expect(parseAddCheckpointRequest(body).ok).toBe(false);
  });
});
