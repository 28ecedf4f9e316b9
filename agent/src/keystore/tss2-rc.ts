/**
 * TSS2 return codes (tpm2-tss include/tss2/tss2_common.h and the TPM 2.0 spec Part 2, 6.6): the
 * ones the TPM keystore meets, with what they mean for a ceros user. Everything else is described by
 * libtss2-rc's Tss2_RC_Decode when that library is present, else by its layer alone.
 */

export const TSS2_RC = {
  SUCCESS: 0,
  FAPI_IO_ERROR: 0x6000a,
  FAPI_BAD_VALUE: 0x6000b,
  FAPI_NO_CONFIG: 0x6001c,
  FAPI_BAD_PATH: 0x6001d,
  FAPI_PATH_ALREADY_EXISTS: 0x6001f,
  FAPI_KEY_NOT_FOUND: 0x60020,
  FAPI_PATH_NOT_FOUND: 0x60024,
  FAPI_NO_CERT: 0x60025,
  FAPI_AUTHORIZATION_FAILED: 0x60029,
  FAPI_NO_TPM: 0x60031,
  FAPI_NOT_PROVISIONED: 0x60034,
  FAPI_ALREADY_PROVISIONED: 0x60035,
  ESAPI_IO_ERROR: 0x7000a,
  TCTI_NO_CONNECTION: 0xa0008,
  TCTI_IO_ERROR: 0xa000a,
  TCTI_NOT_SUPPORTED: 0xa0015,
  TPM_INITIALIZE: 0x100,
  TPM_FAILURE: 0x101,
  TPM_LOCKOUT: 0x921,
} as const;

const LAYERS: Record<number, string> = {
  0: 'tpm',
  5: 'app',
  6: 'fapi',
  7: 'esapi',
  8: 'sys',
  9: 'mu',
  10: 'tcti',
  11: 'resmgr-tpm',
  12: 'resmgr',
};

const MEANINGS: Record<number, string> = {
  [TSS2_RC.FAPI_IO_ERROR]: "cannot read or write FAPI's keystore files",
  [TSS2_RC.FAPI_BAD_VALUE]: 'FAPI rejected a value (for example its config or profile)',
  [TSS2_RC.FAPI_NO_CONFIG]: 'FAPI found no usable config file',
  [TSS2_RC.FAPI_BAD_PATH]: 'bad FAPI key path',
  [TSS2_RC.FAPI_PATH_ALREADY_EXISTS]: 'a key with this name already exists',
  [TSS2_RC.FAPI_KEY_NOT_FOUND]: 'the key was not found',
  [TSS2_RC.FAPI_PATH_NOT_FOUND]: 'the key path was not found',
  [TSS2_RC.FAPI_NO_CERT]:
    'the TPM has no endorsement key certificate FAPI can verify; set CEROS_TPM_EK_CERT_LESS=1 to provision without it',
  [TSS2_RC.FAPI_AUTHORIZATION_FAILED]:
    'the TPM refused the authorization (is an owner or endorsement hierarchy password set?)',
  [TSS2_RC.FAPI_NO_TPM]: 'no TPM available',
  [TSS2_RC.FAPI_NOT_PROVISIONED]: "FAPI's keystore is not provisioned",
  [TSS2_RC.FAPI_ALREADY_PROVISIONED]: "FAPI's keystore is already provisioned",
  [TSS2_RC.ESAPI_IO_ERROR]: 'the TPM connection failed',
  [TSS2_RC.TCTI_NO_CONNECTION]: 'cannot connect to the TPM',
  [TSS2_RC.TCTI_IO_ERROR]:
    'cannot talk to the TPM: the device is absent, not readable by this user (join the "tss" group) or the simulator is not running',
  [TSS2_RC.TCTI_NOT_SUPPORTED]:
    'the TCTI is unknown or its library is missing (install libtss2-tcti-device0, or libtss2-tcti-swtpm0 for swtpm)',
  [TSS2_RC.TPM_INITIALIZE]: 'the TPM was not started (TPM2_Startup missing)',
  [TSS2_RC.TPM_FAILURE]: 'the TPM is in failure mode',
  [TSS2_RC.TPM_LOCKOUT]: 'the TPM is in dictionary-attack lockout',
};

// TPM 2.0 Part 2, 6.6.3: format-one response codes (bit 7 set), number in bits 0-5.
const TPM_FORMAT_ONE: Record<number, string> = {
  14: 'authorization failed',
  31: 'integrity check failed: the key blob was not made by this TPM, or the TPM was cleared since',
  34: 'authorization value is wrong',
  11: 'bad handle',
  4: 'value out of range',
};

/** Layer name of `rc` ("fapi", "tcti", "tpm", ...). */
export function tss2RcLayer(rc: number): string {
  const level = (rc >>> 16) & 0xff;
  return LAYERS[level] ?? `layer ${level}`;
}

/**
 * "0x000a000a, tcti: cannot talk to the TPM: ..." for messages. `decoded` is libtss2-rc's own text,
 * used when this table does not know the code.
 */
export function describeTss2Rc(rc: number, decoded?: string): string {
  const hex = `0x${(rc >>> 0).toString(16).padStart(8, '0')}`;
  const layer = tss2RcLayer(rc);
  let meaning = MEANINGS[rc];
  if (meaning === undefined && layer === 'tpm' && rc & 0x80) meaning = TPM_FORMAT_ONE[rc & 0x3f];
  if (meaning === undefined && decoded) {
    return `${hex}, ${decoded.startsWith(`${layer}:`) ? decoded : `${layer}: ${decoded}`}`;
  }
  return `${hex}, ${layer}: ${meaning ?? 'unknown error'}`;
}

/** The TPM refused the key blob itself: made by another TPM, or this one was cleared. Re-enroll. */
export function isKeyRejected(rc: number): boolean {
  return tss2RcLayer(rc) === 'tpm' && (rc & 0x80) !== 0 && (rc & 0x3f) === 0x1f;
}

/** Codes that mean "this TPM cannot be reached or used at all", as opposed to a key-level failure. */
export function isTpmUnreachable(rc: number): boolean {
  const layer = tss2RcLayer(rc);
  return (
    layer === 'tcti' ||
    rc === TSS2_RC.FAPI_NO_TPM ||
    rc === TSS2_RC.ESAPI_IO_ERROR ||
    rc === TSS2_RC.TPM_FAILURE ||
    rc === TSS2_RC.TPM_INITIALIZE
  );
}
