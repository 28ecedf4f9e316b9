import { expect, test } from 'bun:test';
import { describeTss2Rc, isKeyRejected, isTpmUnreachable, TSS2_RC, tss2RcLayer } from './tss2-rc.ts';

const cases: Array<[number, string]> = [
  [0xa000a, '0x000a000a, tcti: cannot talk to the TPM'],
  [0x60025, '0x00060025, fapi: the TPM has no endorsement key certificate'],
  [0x60034, "0x00060034, fapi: FAPI's keystore is not provisioned"],
  [0x1df, '0x000001df, tpm: integrity check failed'],
  [0x98e, '0x0000098e, tpm: authorization failed'],
  [0x921, '0x00000921, tpm: the TPM is in dictionary-attack lockout'],
  [0x80001, '0x00080001, sys: unknown error'],
];
for (const [rc, start] of cases) {
  test(`describeTss2Rc(0x${rc.toString(16)}) starts with "${start}"`, () => {
    expect(describeTss2Rc(rc).startsWith(start)).toBe(true);
  });
}

test('describeTss2Rc() falls back to the text libtss2-rc decoded for codes it does not know', () => {
  expect(describeTss2Rc(0x70001, 'esapi:Catch all for all errors not otherwise specified')).toBe(
    '0x00070001, esapi:Catch all for all errors not otherwise specified',
  );
  expect(describeTss2Rc(0x70001, 'some text')).toBe('0x00070001, esapi: some text');
});

test('tss2RcLayer() names the layer in bits 16-23', () => {
  expect([0x1df, 0x60001, 0x70001, 0xa000a, 0x0d0001].map(tss2RcLayer)).toEqual([
    'tpm',
    'fapi',
    'esapi',
    'tcti',
    'layer 13',
  ]);
});

test('isTpmUnreachable() is true for TCTI failures and false for key-level failures', () => {
  expect(isTpmUnreachable(TSS2_RC.TCTI_IO_ERROR)).toBe(true);
  expect(isTpmUnreachable(TSS2_RC.TCTI_NOT_SUPPORTED)).toBe(true);
  expect(isTpmUnreachable(TSS2_RC.FAPI_NO_TPM)).toBe(true);
  expect(isTpmUnreachable(TSS2_RC.FAPI_KEY_NOT_FOUND)).toBe(false);
  expect(isTpmUnreachable(0x1df)).toBe(false);
});

test('isKeyRejected() is true for integrity failures on any handle or parameter', () => {
  expect(isKeyRejected(0x1df)).toBe(true);
  expect(isKeyRejected(0x9f)).toBe(true);
  expect(isKeyRejected(0x98e)).toBe(false);
  expect(isKeyRejected(0x6001f)).toBe(false);
});
