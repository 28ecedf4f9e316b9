/**
 * Approving an MCP server means adding it to the `mcp.allow` list (policy/README.md: a name,
 * `{ name }`, `{ command }` or `{ url }`) of the organization's active policy (the edge's signed
 * bundle carries exactly one: the version published last) and publishing that as a new version.
 * Only JSON sources are edited here: YAML would need a YAML printer in the bundle, so a YAML policy
 * is edited in the Policies view instead.
 */
export const FIRST_POLICY_NAME = 'default';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseJsonPolicy(source: string): Obj | null {
  if (!/^\s*\{/.test(source)) return null;
  try {
    const value: unknown = JSON.parse(source);
    return isObj(value) ? value : null;
  } catch {
    return null;
  }
}

/** Server names a policy source allows by name (identity entries are not names). */
export function allowedServerNames(source: string): string[] {
  const doc = parseJsonPolicy(source);
  const allow = isObj(doc?.mcp) && Array.isArray(doc.mcp.allow) ? doc.mcp.allow : [];
  return allow.flatMap((entry) =>
    typeof entry === 'string' ? [entry] : isObj(entry) && typeof entry.name === 'string' ? [entry.name] : [],
  );
}

/** The policy source with `name` added to `mcp.allow`, or null when it cannot be edited as JSON. */
export function withServerAllowed(source: string, name: string): string | null {
  const doc = parseJsonPolicy(source);
  if (!doc) return null;
  if (allowedServerNames(source).includes(name)) return source;
  const mcp: Obj = isObj(doc.mcp) ? { ...doc.mcp } : {};
  mcp.allow = [...(Array.isArray(mcp.allow) ? mcp.allow : []), name];
  return `${JSON.stringify({ ...doc, mcp }, null, 2)}\n`;
}

/** The organization's first policy, when none is active yet: tools allowed, MCP servers listed. */
export function newAllowlistPolicy(name: string): string {
  return `${JSON.stringify(
    {
      version: 1,
      name: 'Organization default',
      description: 'Allows tools by default; MCP servers only when approved in the ceros console',
      default: 'allow',
      mcp: { allow: [name], reason: 'This MCP server is not approved by your organization' },
    },
    null,
    2,
  )}\n`;
}

/**
 * Whether the policy restricts MCP servers to an allowlist that does not name `name`: then a
 * server the organization manages is still blocked on devices until it is approved too. Null
 * when the source cannot be read here (YAML).
 */
export function allowlistMisses(source: string, name: string): boolean | null {
  const doc = parseJsonPolicy(source);
  if (!doc) return null;
  const hasList = isObj(doc.mcp) && Array.isArray(doc.mcp.allow);
  return hasList && !allowedServerNames(source).includes(name);
}
