/**
 * Approving an MCP server means adding it to the `mcp.allow` list (policy/README.md: a name,
 * `{ name }`, `{ command }` or `{ url }`) of the organization's active policy (the edge's signed
 * bundle carries exactly one: the version published last) and publishing that as a new version.
 *
 * The console approves a server by what it runs, `{ command: [...] }` or `{ url }`, not by its
 * name: a name is whatever a developer's configuration says, so approving "github" by name would
 * also allow any other command someone calls "github". Names are used only when the identity is
 * unknown. Only JSON sources are edited here: YAML would need a YAML printer in the bundle, so a
 * YAML policy is edited in the Policies view instead.
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

export function parseJsonPolicy(source: string): Obj | null {
  if (!/^\s*\{/.test(source)) return null;
  try {
    const value: unknown = JSON.parse(source);
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
  const doc = parseJsonPolicy(source);
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

/** The policy source with the server added to `mcp.allow`, or null when it cannot be edited as JSON. */
export function withServerAllowed(source: string, server: ServerRef): string | null {
  const doc = parseJsonPolicy(source);
  if (!doc) return null;
  if (allowlistAllows(source, server)) return source;
  const mcp: Obj = isObj(doc.mcp) ? { ...doc.mcp } : {};
  mcp.allow = [...(Array.isArray(mcp.allow) ? mcp.allow : []), allowEntryFor(server)];
  return `${JSON.stringify({ ...doc, mcp }, null, 2)}\n`;
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
 * the source cannot be read here (YAML).
 */
export function allowlistMisses(source: string, server: ServerRef): boolean | null {
  const doc = parseJsonPolicy(source);
  if (!doc) return null;
  const hasList = isObj(doc.mcp) && Array.isArray(doc.mcp.allow);
  return hasList && !allowlistAllows(source, server);
}

/** A managed server's identity line, as the edge would write it for the devices that run it. */
export function managedIdentity(
  input: { transport: 'stdio'; command: string; args: string[] } | { transport: 'http'; url: string },
): string {
  if (input.transport === 'http') return input.url;
  return [input.command, ...input.args]
    .map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part))
    .join(' ');
}
