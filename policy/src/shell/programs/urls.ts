import type { Analyzer, Invocation } from '../analyze.ts';
import type { Field } from '../words.ts';
import { field, isStatic } from './helpers.ts';

// Hosts and URLs in arguments: `user@host`, `file://` (a read), curl-style `{a,b}` and `[1-3]` globs.

export function hostOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let text = value.trim();
  const at = text.lastIndexOf('@');
  if (at >= 0 && !text.includes('://')) text = text.slice(at + 1);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  try {
    const url = new URL(text);
    return url.hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/** A URL argument: `file://` is a file read, anything else a host. Globs and braces are expanded. */
export function urlArgument(a: Analyzer, call: Invocation, arg: Field): void {
  if (!isStatic(arg)) {
    a.host(undefined, `${call.name} URL`);
    return;
  }
  const value = arg.value;
  const alternatives = /[{[]/.test(value) ? (expandUrlGlob(value) ?? [value]) : [value];
  for (const alternative of alternatives) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(alternative)?.[1]?.toLowerCase();
    if (scheme === 'file') {
      let path = alternative.replace(/^file:(?:\/\/[^/]*)?/i, '');
      try {
        path = decodeURIComponent(path);
      } catch {
        // keep the raw text
      }
      a.path(field(path || '/'), 'read', false, `${call.name} file:// URL`, call.env);
      continue;
    }
    if (scheme === 'dict' || scheme === 'gopher' || scheme === 'telnet' || scheme === 'ldap')
      a.opaque(`${call.name} ${scheme}:// URL can talk to arbitrary services`, alternative);
    a.host(hostOf(alternative), `${call.name} URL`);
  }
}

function expandUrlGlob(value: string): string[] | undefined {
  const out: string[] = [];
  const brace = /\{([^{}]*)\}/.exec(value);
  if (brace) {
    for (const part of (brace[1] ?? '').split(',')) {
      const expanded = expandUrlGlob(
        value.slice(0, brace.index) + part + value.slice(brace.index + brace[0].length),
      );
      if (!expanded) return undefined;
      out.push(...expanded);
      if (out.length > 64) return undefined;
    }
    return out;
  }
  const range = /\[([a-z0-9])-([a-z0-9])(?::\d+)?\]/i.exec(value);
  if (range) {
    const from = (range[1] ?? 'a').charCodeAt(0);
    const to = (range[2] ?? 'a').charCodeAt(0);
    if (to - from > 64) return undefined;
    for (let c = from; c <= to; c++) {
      const expanded = expandUrlGlob(
        value.slice(0, range.index) + String.fromCharCode(c) + value.slice(range.index + range[0].length),
      );
      if (!expanded) return undefined;
      out.push(...expanded);
    }
    return out;
  }
  return [value];
}
