import { type Document, isMap, isNode, isScalar, isSeq, parseDocument, stringify } from 'yaml';

/**
 * Approving an MCP server means adding it to the `mcp.allow` list (policy/README.md: a name,
 * `{ name }`, `{ command }` or `{ url }`) of the organization's active policy (the edge's signed
 * bundle carries exactly one: the version published last) and publishing that as a new version.
 *
 * The console approves a server by what it runs, `{ command: [...] }` or `{ url }`, not by its
 * name: a name is whatever a developer's configuration says, so approving "github" by name would
 * also allow any other command someone calls "github". Names are used only when the identity is
 * unknown. Sources are read as the edge reads them (YAML 1.2, of which JSON is a subset); a JSON
 * source is edited as JSON, a YAML one (the CLI starters, with comments) by finding the list in
 * the `yaml` package's document model and inserting one line into the text, so nothing else moves.
 */
export const FIRST_POLICY_NAME = 'default';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a server runs: its command line as an argument list, or its URL. */
export type ServerIdentity = { command: string[] } | { url: string };

/** A server as the console knows it: its configured name and its identity line, if any. */
export interface ServerRef {
  name: string;
  /** The edge's one-line identity (edge/src/ingest/project.ts mcpIdentityText), or '' when unknown. */
  identity: string;
}

/** The edge's reading of a policy source (policy/src/document/parse-policy.ts). */
const YAML_OPTIONS = { uniqueKeys: true, strict: true, version: '1.2', prettyErrors: false } as const;

function parseYamlDocument(source: string): Document.Parsed | null {
  const doc = parseDocument(source, YAML_OPTIONS);
  return doc.errors.length > 0 || doc.warnings.length > 0 ? null : doc;
}

const looksLikeJson = (source: string) => /^\s*\{/.test(source);

/** The policy as a plain object, from JSON or YAML; null when it is neither or not a mapping. */
export function readPolicySource(source: string): Obj | null {
  const doc = parseYamlDocument(source);
  if (!doc) return null;
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    return isObj(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The identity line back into an entry: a URL stays a URL; a command line is split where the edge
 * joined it (bare parts hold no space or quote, the others are JSON strings). Null when the line
 * is not one the edge writes that way.
 */
export function parseIdentity(line: string): ServerIdentity | null {
  const text = line.trim();
  if (text === '') return null;
  if (/^https?:\/\/\S+$/.test(text)) return { url: text };
  const parts: string[] = [];
  const token = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"']+))/y;
  while (token.lastIndex < text.length) {
    const at = token.lastIndex;
    const match = token.exec(text);
    if (!match || token.lastIndex === at) return null;
    if (match[1] !== undefined) {
      try {
        parts.push(JSON.parse(`"${match[1]}"`) as string);
      } catch {
        return null;
      }
    } else parts.push(match[2] as string);
  }
  return parts.length > 0 ? { command: parts } : null;
}

function allowEntries(source: string): unknown[] {
  const doc = readPolicySource(source);
  return isObj(doc?.mcp) && Array.isArray(doc.mcp.allow) ? doc.mcp.allow : [];
}

const sameIdentity = (entry: unknown, identity: ServerIdentity): boolean => {
  if (!isObj(entry)) return false;
  if ('url' in identity) return entry.url === identity.url;
  const command = entry.command;
  return (
    Array.isArray(command) &&
    command.length === identity.command.length &&
    command.every((part, k) => part === identity.command[k])
  );
};

/** Server names a policy source allows by name (identity entries are not names). */
export function allowedServerNames(source: string): string[] {
  return allowEntries(source).flatMap((entry) =>
    typeof entry === 'string' ? [entry] : isObj(entry) && typeof entry.name === 'string' ? [entry.name] : [],
  );
}

/** Does the policy's allowlist name this server, or list what it runs? */
export function allowlistAllows(source: string, server: ServerRef): boolean {
  if (allowedServerNames(source).includes(server.name)) return true;
  const identity = parseIdentity(server.identity);
  return identity !== null && allowEntries(source).some((entry) => sameIdentity(entry, identity));
}

/** The allowlist entry that approves this server: what it runs, or its name when that is unknown. */
export function allowEntryFor(server: ServerRef): ServerIdentity | string {
  return parseIdentity(server.identity) ?? server.name;
}

/**
 * The policy source with the server added to `mcp.allow`: the source itself when it already
 * allows the server, null when it cannot be edited here (unreadable, or `mcp` or its list is an
 * alias or not a list).
 */
export function withServerAllowed(source: string, server: ServerRef): string | null {
  if (readPolicySource(source) === null) return null;
  if (allowlistAllows(source, server)) return source;
  return looksLikeJson(source) ? withJsonEntry(source, server) : withYamlEntry(source, server);
}

function withJsonEntry(source: string, server: ServerRef): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch {
    // JSON-looking YAML (a comment, a trailing comma): edited as YAML keeps what JSON would drop.
    return withYamlEntry(source, server);
  }
  if (!isObj(doc)) return null;
  const mcp: Obj = isObj(doc.mcp) ? { ...doc.mcp } : {};
  mcp.allow = [...(Array.isArray(mcp.allow) ? mcp.allow : []), allowEntryFor(server)];
  return `${JSON.stringify({ ...doc, mcp }, null, 2)}\n`;
}

/**
 * A YAML source with one more `mcp.allow` entry, spliced into the text so every other byte, and so
 * every comment, stays as written (printing the document model again would re-space flow lists
 * and maps). The result is read back: unless it is the original policy plus exactly this entry, the
 * edit is refused.
 */
function withYamlEntry(source: string, server: ServerRef): string | null {
  const doc = parseYamlDocument(source);
  const root = doc?.contents;
  if (!doc || !isMap(root)) return null;
  const entry = allowEntryFor(server);
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const column = (offset: number) => offset - (source.lastIndexOf('\n', offset - 1) + 1);
  // The end of the line a node ends on (a collection's range runs on over the newlines after it).
  const lineEnd = (offset: number) => {
    let end = offset;
    while (end > 0 && /\s/.test(source[end - 1] as string)) end--;
    const at = source.indexOf('\n', end);
    return at === -1 ? source.length : source[at - 1] === '\r' ? at - 1 : at;
  };
  const splice = (at: number, text: string, until = at) => source.slice(0, at) + text + source.slice(until);

  let edited: string | null = null;
  const mcp = root.get('mcp', true);
  if (mcp === undefined && root.flow && root.range) {
    const close = root.range[1] - 1;
    edited = splice(close, `${root.items.length > 0 ? ', ' : ''}mcp: {allow: [${flowText(entry)}]}`);
  } else if (mcp === undefined) {
    const end = root.range?.[1];
    if (end === undefined) return null;
    const indent = ' '.repeat(column(root.range?.[0] ?? 0));
    const at = lineEnd(end);
    const lead = at === 0 ? '' : eol;
    edited = splice(
      at,
      `${lead}${indent}mcp:${eol}${indent}  allow:${eol}${indent}    - ${blockEntry(entry)}`,
    );
  } else if (isMap(mcp) && mcp.range) {
    const pair = mcp.items.find((item) => isScalar(item.key) && item.key.value === 'allow');
    const allow = pair?.value;
    if (pair === undefined) {
      if (mcp.flow) {
        const close = mcp.range[1] - 1;
        edited = splice(close, `${mcp.items.length > 0 ? ', ' : ''}allow: [${flowText(entry)}]`);
      } else {
        const indent = ' '.repeat(column(mcp.range[0]));
        edited = splice(
          lineEnd(mcp.range[1]),
          `${eol}${indent}allow:${eol}${indent}  - ${blockEntry(entry)}`,
        );
      }
    } else if (isSeq(allow) && allow.range && isScalar(pair.key) && pair.key.range) {
      const last = allow.items[allow.items.length - 1];
      if (allow.flow && last === undefined && !mcp.flow) {
        // `allow: []` (the strict starter) becomes a block list, one server a line.
        const indent = ' '.repeat(column(pair.key.range[0]) + 2);
        edited = splice(allow.range[0], `${eol}${indent}- ${blockEntry(entry)}`, allow.range[1]);
      } else if (allow.flow) {
        edited = splice(allow.range[1] - 1, `${last === undefined ? '' : ', '}${flowText(entry)}`);
      } else if (isNode(last) && last.range) {
        const indent = ' '.repeat(column(allow.range[0]));
        edited = splice(lineEnd(last.range[1]), `${eol}${indent}- ${blockEntry(entry)}`);
      }
    }
  }
  if (edited === null) return null;
  const before = readPolicySource(source);
  const after = readPolicySource(edited);
  const mcpBefore = isObj(before?.mcp) ? before.mcp : {};
  const allowBefore = Array.isArray(mcpBefore.allow) ? mcpBefore.allow : [];
  const expected = { ...before, mcp: { ...mcpBefore, allow: [...allowBefore, entry] } };
  return after !== null && sameValue(after, expected) ? edited : null;
}

/**
 * One string as YAML prints it inside a flow list, on one line: plain where that reads back the
 * same, else quoted. YAML folds a string with line breaks over several lines, which a one-line
 * splice cannot hold; JSON's escaped form is a YAML 1.2 double-quoted scalar and stays on one line.
 */
function scalarText(value: string): string {
  const flow = stringify([value], { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 });
  const line = flow.trimEnd();
  return /^\[[^\n]*\]$/.test(line) ? line.slice(1, -1) : JSON.stringify(value);
}

function flowText(entry: ServerIdentity | string | string[]): string {
  if (typeof entry === 'string') return scalarText(entry);
  if (Array.isArray(entry)) return `[${entry.map(scalarText).join(', ')}]`;
  return 'url' in entry ? `{url: ${scalarText(entry.url)}}` : `{command: ${flowText(entry.command)}}`;
}

/** The entry inside a block list: `command: [npx, -y, pkg]`, `url: https://...` or a name. */
function blockEntry(entry: ServerIdentity | string): string {
  if (typeof entry === 'string') return flowText(entry);
  return 'url' in entry ? `url: ${flowText(entry.url)}` : `command: ${flowText(entry.command)}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, k) => sameValue(v, b[k]))
    );
  if (isObj(a) && isObj(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return Object.is(a, b);
}

/** The organization's first policy, when none is active yet: tools allowed, MCP servers listed. */
export function newAllowlistPolicy(server: ServerRef): string {
  return `${JSON.stringify(
    {
      version: 1,
      name: 'Organization default',
      description: 'Allows tools by default; MCP servers only when approved in the ceros console',
      default: 'allow',
      mcp: { allow: [allowEntryFor(server)], reason: 'This MCP server is not approved by your organization' },
    },
    null,
    2,
  )}\n`;
}

/**
 * Whether the policy restricts MCP servers to an allowlist that leaves this server out: then a
 * server the organization manages is still blocked on devices until it is approved too. Null when
 * the source cannot be read.
 */
export function allowlistMisses(source: string, server: ServerRef): boolean | null {
  const doc = readPolicySource(source);
  if (!doc) return null;
  return hasAllowlist(doc) && !allowlistAllows(source, server);
}

/** Does the policy list the MCP servers it allows? Without a list every server not denied runs. */
export function restrictsMcpServers(source: string): boolean | null {
  const doc = readPolicySource(source);
  return doc ? hasAllowlist(doc) : null;
}

const hasAllowlist = (doc: Obj) => isObj(doc.mcp) && Array.isArray(doc.mcp.allow);

/** A managed server's identity line, as the edge would write it for the devices that run it. */
export function managedIdentity(
  input: { transport: 'stdio'; command: string; args: string[] } | { transport: 'http'; url: string },
): string {
  if (input.transport === 'http') return input.url;
  return [input.command, ...input.args]
    .map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part))
    .join(' ');
}
