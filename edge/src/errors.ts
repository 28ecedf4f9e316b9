/**
 * One error class with a machine code (STYLE.md 6). Route code throws `EdgeError`; `app.onError`
 * is the only place that turns a code into an HTTP status, and tests assert on `code`.
 */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  MALFORMED_BODY: 400,
  ORG_REQUIRED: 400,
  UNAUTHENTICATED: 401,
  SIGNATURE_MISSING: 401,
  BAD_SIGNATURE: 401,
  STALE_REQUEST: 401,
  REPLAYED_REQUEST: 401,
  UNKNOWN_DEVICE: 401,
  CODE_INCORRECT: 401,
  CODE_EXPIRED: 401,
  CODE_USED: 401,
  FORBIDDEN_ROLE: 403,
  CSRF_FAILED: 403,
  DEVICE_REVOKED: 403,
  DEVICE_PENDING: 403,
  USER_REVOKED: 403,
  EMAIL_DOMAIN_NOT_ALLOWED: 403,
  CROSS_DEVICE: 403,
  NOT_FOUND: 404,
  UNKNOWN_ORG: 404,
  CONFLICT: 409,
  KEY_IN_USE: 409,
  CHAIN_GAP: 409,
  CHAIN_CONFLICT: 409,
  INGEST_CONFLICT: 409,
  ENROLLMENT_EXPIRED: 410,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VERIFY_FAILED: 422,
  POLICY_INVALID: 422,
  SIEM_TEST_FAILED: 422,
  CODE_LOCKED: 429,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;

export type EdgeErrorCode = keyof typeof ERROR_STATUS;

/** Extra machine-readable fields returned next to `code` and `message` (e.g. `expectedSeq`). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null | readonly unknown[]>>;

export class EdgeError extends Error {
  readonly code: EdgeErrorCode;
  readonly details: ErrorDetails;
  constructor(code: EdgeErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'EdgeError';
    this.code = code;
    this.details = details;
  }

  get status(): (typeof ERROR_STATUS)[EdgeErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

/** The JSON body of every error response: `{ error: { code, message, ...details } }`. */
export interface ErrorBody {
  error: { code: EdgeErrorCode; message: string } & Record<string, unknown>;
}

export function errorBody(error: EdgeError): ErrorBody {
  return { error: { ...error.details, code: error.code, message: error.message } };
}
