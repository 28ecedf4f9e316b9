/** One error class with a machine code (STYLE.md 6); messages name what was wrong and where. */
export type ProtocolErrorCode =
  | 'NOT_CANONICAL'
  | 'BAD_ENTRY'
  | 'BAD_SIGNATURE'
  | 'BAD_CHAIN'
  | 'BAD_CERTIFICATE'
  | 'BAD_ENCODING';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
