/**
 * The `ceros verify` command line an auditor runs on an audit export, as the edge CLI prints it
 * and the console shows it. Pure (no imports), so the console bundles it without the edge.
 */
export interface VerifyKeys {
  /** The log's C2SP verifier key. */
  readonly verifierKey: string;
  /** Verifier keys of the witnesses the edge asks to cosign. */
  readonly witnesses: readonly string[];
}

/** Verifier keys hold no spaces or quotes (C2SP: name+hash+base64); quoting keeps shells out of them. */
const quote = (text: string): string =>
  /^[A-Za-z0-9._/+=:@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;

export function verifyCommand(file: string, keys: VerifyKeys): string {
  return [
    'ceros verify',
    quote(file),
    '--log-key',
    quote(keys.verifierKey),
    ...keys.witnesses.flatMap((key) => ['--witness-key', quote(key)]),
  ].join(' ');
}
