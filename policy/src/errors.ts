/** One error class with a machine code (STYLE.md 6). evaluate() never throws; these are for setup calls. */
export type PolicyErrorCode =
  | 'INVALID_POLICY'
  | 'SHELL_PARSER_INIT'
  | 'UNKNOWN_STARTER'
  | 'BAD_BUNDLE'
  | 'BAD_SIGNATURE'
  | 'UNTRUSTED_KEY'
  | 'ROLLBACK';

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string) {
    super(message);
    this.name = 'PolicyError';
    this.code = code;
  }
}
