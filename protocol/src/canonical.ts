import canonicalize from 'canonicalize';
import { ProtocolError } from './errors.ts';

/** A value that survives RFC 8785 canonicalization unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * RFC 8785 (JCS) canonical JSON. Throws `NOT_CANONICAL` for values JCS cannot encode; run
 * untrusted data through `toJsonValue` first.
 */
export function canonicalJson(value: JsonValue): string {
  try {
    const text = canonicalize(value);
    if (text === undefined) throw new Error('value has no JSON form');
    return text;
  } catch (error) {
    throw new ProtocolError('NOT_CANONICAL', `Cannot canonicalize value: ${(error as Error).message}`);
  }
}

/**
 * Turns any value (hook payloads, API bodies, tool output) into a JsonValue that JCS accepts,
 * without losing what can be kept: lone surrogates become U+FFFD (RFC 8785 3.2.2.2 forbids them),
 * non-finite numbers become null, undefined and functions are dropped, bigints become strings.
 * Never throws; cycles become the string "[cycle]".
 */
export function toJsonValue(value: unknown, seen: Set<object> = new Set()): JsonValue {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? value : value.toWellFormed();
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return null;
      if (seen.has(value)) return '[cycle]';
      seen.add(value);
      try {
        if (Array.isArray(value)) return value.map((item) => toJsonValue(item, seen) ?? null);
        if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
        const out: { [key: string]: JsonValue } = {};
        for (const [key, item] of Object.entries(value)) {
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
          out[key.isWellFormed() ? key : key.toWellFormed()] = toJsonValue(item, seen);
        }
        return out;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return null;
  }
}
