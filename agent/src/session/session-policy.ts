import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUNDLE_FORMAT,
  type CompiledPolicy,
  compilePolicy,
  type EvaluationContext,
  evaluate,
  type PostureValue,
  parsePolicy,
  parsePolicyObject,
  type StarterName,
  starterPolicy,
  type TrustedKey,
  verifyBundle,
} from '@ceros/policy';
import type { Decide } from '../decide/decision.ts';
import { writePrivateFile } from '../state/secure-fs.ts';

/** Where a session's policy came from; journaled in session.start and said in the start banner. */
export interface PolicySource {
  /** `starter`: no policy is configured, so the shipped baseline applies (never nothing at all). */
  kind: 'bundle' | 'unsigned-file' | 'last-good-bundle' | 'edge' | 'starter';
  file: string | null;
  hash: string;
  version: number | null;
  /** The shipped starter in force (kind `starter`). */
  starter?: StarterName;
  /** Why this policy stands in: a newer one was refused (last good bundle), or none is configured (starter). */
  fallbackReason?: string;
}

/** The policy a session enforces when none is configured: open by default is not an option. */
export const FALLBACK_STARTER: StarterName = 'baseline';

/** The shipped starter as the session's policy, saying why it stands in. */
export function starterSessionPolicy(reason: string, name: StarterName = FALLBACK_STARTER): SessionPolicy {
  const parsed = parsePolicy(starterPolicy(name));
  // The starters are tested to parse (policy/test); a failure here is a build defect, so it throws.
  if (!parsed.ok) throw new Error(`The shipped "${name}" starter policy does not parse`);
  const compiled = compilePolicy(parsed.value);
  return {
    compiled,
    source: {
      kind: 'starter',
      file: null,
      hash: compiled.hash,
      version: null,
      starter: name,
      fallbackReason: reason,
    },
  };
}

/**
 * The start banner's one line: which policy is in force and where it came from (null: the
 * development flag `--no-policy-dev`, the only way to run with no policy).
 */
export function policyBanner(policy: SessionPolicy | null, edgeUrl: string | null): string {
  if (!policy) return 'ceros: Running with no policy (--no-policy-dev): tool calls are recorded, not checked';
  const { source, compiled } = policy;
  const name = compiled.name ? `"${compiled.name}"` : 'unnamed';
  const hash = source.hash.slice(0, 12);
  const version = source.version !== null ? ` version ${source.version}` : '';
  switch (source.kind) {
    case 'starter':
      return `ceros: Enforcing the ${source.starter ?? FALLBACK_STARTER} starter policy (${hash}): ${source.fallbackReason ?? 'no policy is configured'}`;
    case 'edge':
      return `ceros: Enforcing policy ${name}${version} from the edge "${edgeUrl ?? 'unknown'}" (${hash})`;
    case 'bundle':
      return `ceros: Enforcing policy ${name}${version} from the signed bundle "${source.file}" (${hash})`;
    case 'unsigned-file':
      return `ceros: Enforcing policy ${name} from the unsigned file "${source.file}" (${hash}; --allow-unsigned-policy, journaled)`;
    case 'last-good-bundle':
      return `ceros: Enforcing policy ${name}${version} from the last good bundle (${hash})${source.fallbackReason ? ', in place of a policy that was refused' : ''}`;
  }
}

export interface SessionPolicy {
  compiled: CompiledPolicy;
  source: PolicySource;
}

export type LoadPolicyResult =
  | { ok: true; value: SessionPolicy | null; warnings: string[] }
  | { ok: false; error: string };

const lastGoodPath = (home: string) => join(home, 'policy', 'last-good-bundle.json');

/** The last bundle that verified, kept for offline use and as the floor against rollback. */
export function readLastGoodBundle(home: string, trustedKeys: readonly TrustedKey[]): SessionPolicy | null {
  const path = lastGoodPath(home);
  if (!existsSync(path)) return null;
  try {
    const verified = verifyBundle(JSON.parse(readFileSync(path, 'utf8')), trustedKeys, undefined);
    if (!verified.ok) return null;
    return {
      compiled: compilePolicy(verified.value.policy, { hash: verified.value.hash }),
      source: {
        kind: 'last-good-bundle',
        file: path,
        hash: verified.value.hash,
        version: verified.value.version,
      },
    };
  } catch {
    return null;
  }
}

export function saveLastGoodBundle(home: string, raw: unknown): void {
  writePrivateFile(lastGoodPath(home), `${JSON.stringify(raw)}\n`);
}

/**
 * Loads `--policy FILE`: a signed bundle (verified against the organization's keys, never older
 * than the last good one), or, with the explicit development flag only, an unsigned policy
 * document. A policy that fails is refused with every problem; when a last good bundle exists
 * the session runs under it, and says so.
 */
export function loadPolicyFile(
  file: string,
  options: { home: string; trustedKeys: readonly TrustedKey[]; allowUnsigned: boolean },
): LoadPolicyResult {
  const lastGood = readLastGoodBundle(options.home, options.trustedKeys);
  const fallback = (problem: string): LoadPolicyResult => {
    if (!lastGood) return { ok: false, error: problem };
    return {
      ok: true,
      value: { ...lastGood, source: { ...lastGood.source, fallbackReason: problem } },
      warnings: [
        `${problem}\nceros: Using the last good policy bundle instead (version ${lastGood.source.version}, ${lastGood.source.hash.slice(0, 12)})`,
      ],
    };
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fallback(`Cannot read policy "${file}": ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (typeof json === 'object' && json !== null && (json as { format?: unknown }).format === BUNDLE_FORMAT) {
    const verified = verifyBundle(json, options.trustedKeys, lastGood?.source.version ?? undefined);
    if (!verified.ok) return fallback(`Refusing policy bundle "${file}": ${verified.message}`);
    saveLastGoodBundle(options.home, json);
    return {
      ok: true,
      value: {
        compiled: compilePolicy(verified.value.policy, { hash: verified.value.hash }),
        source: { kind: 'bundle', file, hash: verified.value.hash, version: verified.value.version },
      },
      warnings: [],
    };
  }
  if (!options.allowUnsigned) {
    return fallback(
      `Refusing unsigned policy "${file}": policies must be bundles signed by your organization. For local development, add --allow-unsigned-policy (the session journal records that you did)`,
    );
  }
  const parsed = json === undefined ? parsePolicy(text) : parsePolicyObject(json);
  if (!parsed.ok)
    return fallback(
      `Policy "${file}" has problems:\n${parsed.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    );
  const compiled = compilePolicy(parsed.value);
  return {
    ok: true,
    value: { compiled, source: { kind: 'unsigned-file', file, hash: compiled.hash, version: null } },
    warnings: [],
  };
}

function formatIssue(issue: { path?: unknown; message?: unknown; line?: unknown; column?: unknown }): string {
  const where = [
    issue.path ? String(issue.path) : '',
    issue.line ? `line ${String(issue.line)}` : '',
    issue.column ? `column ${String(issue.column)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${where ? `${where}: ` : ''}${String(issue.message ?? issue)}`;
}

/** The hook path's decision function over a compiled policy; pure and synchronous per call. */
export function policyDecide(
  policy: CompiledPolicy,
  ctx: EvaluationContext,
  posture: () => Readonly<Record<string, PostureValue | undefined>> | undefined,
): Decide {
  return (call) => {
    const facts = posture();
    return evaluate(policy, facts ? { ...call, posture: facts } : call, ctx);
  };
}
