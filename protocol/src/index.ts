export { canonicalJson, type JsonValue, toJsonValue } from './canonical.ts';
export { fromBase64Url, fromHex, sha256, sha256Hex, toBase64Url, toHex, ZERO_HASH } from './encoding.ts';
export { ProtocolError, type ProtocolErrorCode } from './errors.ts';
export {
  ENTRY_SIGNING_PREFIX,
  type EntryBody,
  ed25519PrivateKeyFromPkcs8,
  ed25519PublicKeyFromRaw,
  ed25519PublicKeyToRaw,
  entryBody,
  entryBytes,
  entryHash,
  entrySigningBytes,
  type JournalEntry,
  journalEntrySchema,
  type ParseResult,
  parseJournalEntry,
  signEntry,
  verifyEntrySignature,
} from './journal-entry.ts';
export {
  CERTIFICATE_SIGNING_PREFIX,
  certificateSigningBytes,
  type DigestSigner,
  devicePublicKeyFromSpki,
  type KeyProtection,
  parseSessionCertificate,
  type SessionCertificate,
  type SessionCertificateBody,
  sessionCertificateSchema,
  signSessionCertificate,
  softwareDeviceSigner,
  type VerifyResult,
  verifySessionCertificate,
} from './session-certificate.ts';
export {
  SESSION_KEY_ENTRY,
  type SessionKeyPayload,
  type VerifyJournalFailure,
  type VerifyJournalOptions,
  type VerifyJournalResult,
  verifyJournal,
} from './verify-journal.ts';
