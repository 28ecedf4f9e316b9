import { describe, expect, test } from 'bun:test';
import vectors from '../../tests/fixtures/merkle/signed-note-vectors.json';
import {
  addSignatureLines,
  createNoteSigner,
  decodeBase64Strict,
  formatSignerKey,
  formatVerifierKey,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  noteKeyId,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.ts';

const peter = vectors.peterNeumann;
const text = vectors.text;
const peterSig = vectors.peterSignatureLine;
// sumdb/note slices these lines at byte 60; the em dash is 3 bytes in UTF-8 and 1 unit here.
const AT = 58;
const enochSig = vectors.enochSignatureLine;

function key(vkey: string) {
  const parsed = parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe('verifier and signer keys (sumdb/note vectors)', () => {
  test('parseVerifierKey() accepts the PeterNeumann key and computes its key ID', () => {
    const k = key(peter.verifierKey);
    expect(k.name).toBe('PeterNeumann');
    expect(k.keyId.toString(16)).toBe(peter.keyId);
    expect(k.type).toBe(NOTE_ED25519);
  });

  test('parseVerifierKey() rejects every substring and every single-byte change of the PeterNeumann key', () => {
    const b = peter.verifierKey;
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i === 0 && j === b.length) continue;
        expect(parseVerifierKey(b.slice(i, j)).ok).toBe(false);
      }
    }
    for (let i = 0; i < b.length; i++) {
      const changed = b.slice(0, i) + String.fromCharCode(b.charCodeAt(i) + 1) + b.slice(i + 1);
      expect(parseVerifierKey(changed).ok).toBe(false);
    }
  });

  test('parseVerifierKey() names a wrong-length key and an unknown algorithm precisely', () => {
    const [wrongLength, unknownAlg] = vectors.badVerifierKeys;
    expect(parseVerifierKey(wrongLength?.key ?? '')).toMatchObject({ ok: false, code: 'MALFORMED_KEY' });
    expect(parseVerifierKey(unknownAlg?.key ?? '')).toMatchObject({ ok: false, code: 'UNKNOWN_KEY_TYPE' });
    expect(
      parseVerifierKey('PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toMatchObject({
      ok: false,
      code: 'KEY_ID_MISMATCH',
    });
  });

  test('parseVerifierKey() accepts the type 0x01 and type 0x04 keys of transparency-dev/formats', () => {
    for (const v of vectors.otherVerifierKeys) expect(key(v.key).type).toBe(v.type as 1 | 4);
  });

  test('parseSignerKey() accepts the PeterNeumann signer key and rejects every substring and change of it', () => {
    const parsed = parseSignerKey(peter.signerKey);
    expect(parsed.ok && parsed.value.verifierKey).toBe(peter.verifierKey);
    const b = peter.signerKey;
    for (let i = 0; i <= b.length; i++) {
      for (let j = i + 1; j <= b.length; j++) {
        if (i === 0 && j === b.length) continue;
        expect(parseSignerKey(b.slice(i, j)).ok).toBe(false);
      }
    }
    for (let i = 0; i < b.length; i++) {
      const changed = b.slice(0, i) + String.fromCharCode(b.charCodeAt(i) + 1) + b.slice(i + 1);
      expect(parseSignerKey(changed).ok).toBe(false);
    }
  });

  test('formatSignerKey() round-trips a seed, and the key ID covers the signature type', () => {
    const seed = new Uint8Array(32).fill(7);
    const skey = formatSignerKey('witness.example/w1', NOTE_COSIGNATURE_V1, seed);
    const signer = parseSignerKey(skey);
    expect(signer.ok && signer.value.type).toBe(NOTE_COSIGNATURE_V1);
    const pub = createNoteSigner('witness.example/w1', NOTE_ED25519, seed).publicKey;
    expect(noteKeyId('witness.example/w1', 1, pub)).not.toBe(noteKeyId('witness.example/w1', 4, pub));
  });
});

describe('signing notes (sumdb/note vectors)', () => {
  test('signNote() with the PeterNeumann key reproduces the sumdb/note signature byte for byte', () => {
    const signer = parseSignerKey(peter.signerKey);
    if (!signer.ok) throw new Error(signer.error);
    expect(signNote(text, [signer.value])).toBe(vectors.signedByPeter);
  });

  test('signNote() replaces an existing signature by the same key instead of repeating it', () => {
    const signer = parseSignerKey(peter.signerKey);
    if (!signer.ok) throw new Error(signer.error);
    const existing = {
      name: 'PeterNeumann',
      keyId: 0xc74f20a3,
      signature: new Uint8Array(0),
      base64: 'BADSIGN=',
    };
    expect(signNote(text, [signer.value], { existing: [existing] })).toBe(vectors.signedByPeter);
  });

  test('signNote() refuses text that does not end in a newline', () => {
    const signer = createNoteSigner('a', NOTE_ED25519, new Uint8Array(32));
    expect(() => signNote('abc', [signer])).toThrow(RangeError);
  });
});

describe('opening notes (sumdb/note TestOpen)', () => {
  const peterKey = key(peter.verifierKey);
  const enochKey = key(vectors.enochRoot.verifierKey);

  test('openNote() verifies the known signature and sets the unknown one aside', () => {
    const n = openNote(`${text}\n${peterSig}${enochSig}`, [peterKey]);
    expect(n.ok).toBe(true);
    if (!n.ok) return;
    expect(n.value.text).toBe(text);
    expect(n.value.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(n.value.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
  });

  test('openNote() verifies both signatures when both keys are known', () => {
    const n = openNote(`${text}\n${peterSig}${enochSig}`, [peterKey, enochKey]);
    expect(n.ok && n.value.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
  });

  test('openNote() rejects a note with no signature by a known key', () => {
    expect(openNote(`${text}\n${peterSig}${enochSig}`, [])).toMatchObject({
      ok: false,
      code: 'NO_VERIFIED_SIGNATURE',
    });
  });

  test('openNote() rejects a duplicated verifier only when its key signed', () => {
    expect(openNote(`${text}\n${enochSig}`, [enochKey, peterKey, enochKey])).toMatchObject({
      ok: false,
      code: 'AMBIGUOUS_KEY',
      error: 'ambiguous key EnochRoot+af0cfe78',
    });
    expect(openNote(`${text}\n${peterSig}`, [enochKey, peterKey, enochKey]).ok).toBe(true);
  });

  test('openNote() rejects more than 100 signatures', () => {
    expect(openNote(`${text}\n${peterSig.repeat(101)}`, [peterKey])).toMatchObject({
      ok: false,
      code: 'MALFORMED_NOTE',
    });
    expect(openNote(`${text}\n${peterSig.repeat(100)}`, [peterKey]).ok).toBe(true);
  });

  test('openNote() rejects an invalid signature by a known key', () => {
    const bad = `${text}\n${peterSig.slice(0, AT)}ABCD${peterSig.slice(AT)}`;
    expect(openNote(bad, [peterKey])).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
      error: 'invalid signature for key PeterNeumann+c74f20a3',
    });
  });

  test('openNote() counts repeated signatures once and keeps distinct unknown ones', () => {
    const enochABCD = `${enochSig.slice(0, AT)}ABCD${enochSig.slice(AT)}`;
    const n = openNote(`${text}\n${peterSig}${peterSig}${enochSig}${enochSig}${enochABCD}`, [peterKey]);
    expect(n.ok).toBe(true);
    if (!n.ok) return;
    expect(n.value.verified.length).toBe(1);
    expect(n.value.unverified.map((s) => s.base64)).toEqual([
      'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=',
      'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=',
    ]);
  });

  test.each([
    ['the text alone', text],
    ['a text and a blank line', `${text}\n`],
    ['a signature line without its newline', `${text}\n${peterSig.slice(0, -1)}`],
    ['a control character', `\x01${text}\n${peterSig}`],
    [
      'a key name with a space',
      `${text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
    ],
    ['a line after the signatures', `${text}\n${peterSig}Unexpected line.\n`],
  ])('openNote() rejects %s as MALFORMED_NOTE', (_what, msg) => {
    expect(openNote(msg, [peterKey])).toMatchObject({ ok: false, code: 'MALFORMED_NOTE' });
  });

  test('parseNote() rejects bytes that are not UTF-8', () => {
    const bytes = new Uint8Array([0xff, ...new TextEncoder().encode(`${text}\n${peterSig}`)]);
    expect(parseNote(bytes)).toMatchObject({ ok: false, code: 'MALFORMED_NOTE' });
  });

  test('openNote() ignores a signature that matches a known key by name but not by key ID', () => {
    const wrongHash = peterSig.replace('x08g', 'xxxx');
    expect(openNote(`${text}\n${wrongHash}`, [peterKey])).toMatchObject({
      ok: false,
      code: 'NO_VERIFIED_SIGNATURE',
    });
  });
});

describe('cosignatures (tlog-cosignature)', () => {
  test('the transparency-dev cosignature carries timestamp 1727964367 after its key ID', () => {
    const [cosig] = vectors.cosignatureTimestamps;
    const raw = decodeBase64Strict(cosig?.base64 ?? '');
    expect(raw?.length).toBe(4 + 8 + 64);
    expect(Number(Buffer.from(raw ?? []).readBigUInt64BE(4))).toBe(1727964367);
  });

  test('a type 0x04 cosignature verifies with its timestamp, and not as a plain note signature', () => {
    const witness = createNoteSigner('witness.example/w1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(1));
    const note = signNote('example.com/log\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n', [witness], {
      timestamp: 1700000000,
    });
    const opened = openNote(note, [key(witness.verifierKey)]);
    expect(opened.ok && opened.value.verified[0]?.timestamp).toBe(1700000000);
    // The same public key as a plain note key has another key ID: the cosignature is not its.
    const asPlain = key(formatVerifierKey('witness.example/w1', NOTE_ED25519, witness.publicKey));
    expect(openNote(note, [asPlain]).ok).toBe(false);
  });

  test('addSignatureLines() appends a witness response to a signed note without repeats', () => {
    const log = createNoteSigner('example.com/log', NOTE_ED25519, new Uint8Array(32).fill(2));
    const witness = createNoteSigner('w.example/1', NOTE_COSIGNATURE_V1, new Uint8Array(32).fill(3));
    const body = 'example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n';
    const note = signNote(body, [log]);
    const line = signNote(body, [witness], { timestamp: 5 }).slice(body.length + 1);
    const combined = addSignatureLines(note, line + line);
    expect(combined.ok).toBe(true);
    if (!combined.ok) return;
    expect(combined.value.split('\n').filter((l) => l.startsWith('—')).length).toBe(2);
    expect(openNote(combined.value, [key(log.verifierKey), key(witness.verifierKey)]).ok).toBe(true);
  });
});
