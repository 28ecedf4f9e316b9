import { expect, test } from 'bun:test';
import { describeNcryptStatus, toWideString } from './ncrypt.ts';

test('toWideString() encodes LPCWSTR: UTF-16LE with a two-byte NUL', () => {
  expect([...toWideString('ECDSA_P256').subarray(0, 4)]).toEqual([0x45, 0, 0x43, 0]);
  expect([...toWideString('a').subarray(-2)]).toEqual([0, 0]);
  expect(toWideString('Microsoft Platform Crypto Provider').length).toBe(2 * 35);
});

const statuses: Array<[number, string]> = [
  [0x80090016 | 0, '0x80090016 (the key does not exist)'],
  [0x80090030, '0x80090030 (the TPM is not ready (disabled in the firmware, or not provisioned by Windows))'],
  [0x80280921, '0x80280921 (0x00000921, tpm: the TPM is in dictionary-attack lockout)'],
  [0x80091234, '0x80091234'],
];
for (const [status, text] of statuses) {
  test(`describeNcryptStatus(0x${(status >>> 0).toString(16)}) is "${text}"`, () => {
    expect(describeNcryptStatus(status)).toBe(text);
  });
}
