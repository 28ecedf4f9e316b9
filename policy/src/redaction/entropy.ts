/** Shannon entropy of the characters of `text`, in bits per character (0 for the empty string). */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export interface EntropySettings {
  /** Bits per character at or above which a token counts as a secret. */
  threshold: number;
  /** Shortest token looked at (shorter random strings are ids, not keys). */
  minLength: number;
  /** Longest token looked at: longer runs are encoded blobs (images, archives), not credentials. */
  maxLength: number;
}

export const DEFAULT_ENTROPY: EntropySettings = { threshold: 4.5, minLength: 32, maxLength: 1024 };

/**
 * Whether a token of base64/base64url characters looks like a random credential: long enough,
 * upper and lower case and digits all present (hex digests and UUIDs have no upper case, words
 * have no digits or low entropy), few - and _ (file names and dates), and entropy at or above the
 * threshold.
 */
export function isHighEntropyToken(token: string, settings: EntropySettings): boolean {
  if (token.length < settings.minLength || token.length > settings.maxLength) return false;
  if (!/[A-Z]/.test(token) || !/[a-z]/.test(token) || !/[0-9]/.test(token)) return false;
  // Names, dates and ids are joined with - and _; random base64url has one in 32 characters.
  if ((token.match(/[-_]/g)?.length ?? 0) * 10 > token.length) return false;
  return shannonEntropy(token) >= settings.threshold;
}
