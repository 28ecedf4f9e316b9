import { canonicalJson, type JsonValue, sha256Hex } from '@ceros/protocol';
import { type PolicyIssue, TOOL_CLASSES } from '../document/check.ts';
import { parsePolicyObject } from '../document/parse-policy.ts';
import type {
  Condition,
  Effect,
  McpServerEntry,
  Mode,
  PolicyDocument,
  PolicyRule,
  PostureValue,
} from '../document/schema.ts';
import { PolicyError } from '../errors.ts';
import {
  compileHostMatcher,
  compileNameMatcher,
  type NameMatcher,
  nameGlobToRegex,
} from '../glob/name-glob.ts';
import { compilePathGlob, type PathGlob } from '../glob/path-glob.ts';

/**
 * A policy prepared for evaluation: globs compiled, rules indexed by tool name, program name and
 * host, so evaluate() looks at the few rules that can match instead of all of them.
 */
export interface CompiledPolicy {
  readonly hash: string;
  readonly name: string | undefined;
  readonly document: PolicyDocument;
  readonly defaultEffect: Effect;
  readonly defaultReason: string | undefined;
  readonly mode: Mode;
  readonly opaque: { effect: Effect; reason: string | undefined; mode: Mode };
  readonly rules: readonly CompiledRule[];
  readonly toolIndex: RuleIndex;
  readonly pathRules: readonly CompiledRule[];
  readonly commandIndex: RuleIndex;
  readonly hostRules: readonly CompiledRule[];
  readonly mcp: CompiledMcp | undefined;
  readonly posture: readonly CompiledPosture[];
  /** The `session` section with its defaults filled in. */
  readonly session: CompiledSession;
  /** Per-session path instances (placeholders resolved); see instantiate.ts. */
  readonly instances: Map<string, unknown>;
  /** Candidate rules per tool, program and host name, filled as names are seen. */
  readonly caches: {
    tools: Map<string, CompiledRule[]>;
    programs: Map<string, CompiledRule[]>;
    hosts: Map<string, CompiledRule[]>;
  };
}

export interface RuleIndex {
  byName: Map<string, CompiledRule[]>;
  /** Rules whose selector is a pattern or an except list: checked for every subject. */
  always: CompiledRule[];
}

export type RuleKind = 'tool' | 'path' | 'command' | 'host';

export interface CompiledRule {
  readonly id: string;
  readonly index: number;
  readonly kind: RuleKind;
  readonly effect: Effect;
  readonly mode: Mode;
  readonly reason: string | undefined;
  readonly tools: NameMatcher | undefined;
  readonly sessionModes: ReadonlySet<string> | undefined;
  readonly when: readonly CompiledCondition[];
  readonly access: 'read' | 'write' | 'any';
  readonly paths: readonly string[];
  readonly exceptPaths: readonly string[];
  readonly programs: ProgramMatcher | undefined;
  readonly exceptPrograms: ProgramMatcher | undefined;
  readonly args: readonly RegExp[];
  readonly hosts: NameMatcher | undefined;
  readonly exceptHosts: NameMatcher | undefined;
}

export interface CompiledCondition {
  readonly field: readonly string[];
  readonly test: (value: unknown) => boolean;
}

export interface ProgramMatcher {
  readonly names: NameMatcher;
  readonly paths: readonly PathGlob[];
}

export interface CompiledMcp {
  readonly allow: readonly McpServerEntry[] | undefined;
  readonly deny: readonly McpServerEntry[];
  readonly reason: string | undefined;
  readonly mode: Mode;
}

export interface CompiledPosture {
  readonly fact: string;
  readonly accepted: ReadonlySet<PostureValue>;
  readonly refuse: boolean;
  readonly denyTools: NameMatcher | undefined;
  readonly reason: string | undefined;
  readonly mode: Mode;
}

/**
 * What a session may load besides tool calls. Absent fields take the closed default: skill shell
 * denied, hooks and MCP servers of other sources need the user's approval; nested sessions are
 * allowed (they run under ceros, marked nested in the journal) unless denied.
 */
export interface CompiledSession {
  readonly skillShell: 'deny' | 'allow';
  readonly nestedSessions: 'allow' | 'deny';
  readonly configApproval: 'required' | 'off';
}

export const DEFAULT_SESSION: CompiledSession = {
  skillShell: 'deny',
  nestedSessions: 'allow',
  configApproval: 'required',
};

export interface CompileOptions {
  /** The hash decisions carry; pass the bundle hash when the policy came from a signed bundle. */
  hash?: string;
}

/** Compiles a parsed policy. Re-validates, so a hand-built object cannot skip the checks. */
export function compilePolicy(document: PolicyDocument, options: CompileOptions = {}): CompiledPolicy {
  const checked = parsePolicyObject(document);
  if (!checked.ok)
    throw new PolicyError('INVALID_POLICY', `Cannot compile policy: ${formatIssues(checked.issues)}`);
  const doc = checked.value;
  const mode = doc.mode ?? 'enforce';
  const rules = (doc.rules ?? []).map((rule, index) => compileRule(rule, index, mode));
  const opaque =
    typeof doc.opaque === 'string' || doc.opaque === undefined
      ? { effect: doc.opaque ?? DEFAULT_OPAQUE_EFFECT, reason: undefined, mode }
      : { effect: doc.opaque.effect, reason: doc.opaque.reason, mode: doc.opaque.mode ?? mode };
  return {
    hash: options.hash ?? policyHash(doc),
    name: doc.name,
    document: doc,
    defaultEffect: doc.default,
    defaultReason: doc.defaultReason,
    mode,
    opaque,
    rules,
    toolIndex: buildIndex(
      rules.filter((rule) => rule.kind === 'tool'),
      (rule) => (rule.tools ? exactNames(rule.tools) : undefined),
    ),
    pathRules: rules.filter((rule) => rule.kind === 'path'),
    commandIndex: buildIndex(
      rules.filter((rule) => rule.kind === 'command'),
      (rule) =>
        rule.exceptPrograms || !rule.programs || rule.programs.paths.length > 0
          ? undefined
          : exactNames(rule.programs.names),
    ),
    hostRules: rules.filter((rule) => rule.kind === 'host'),
    mcp: doc.mcp
      ? { allow: doc.mcp.allow, deny: doc.mcp.deny ?? [], reason: doc.mcp.reason, mode: doc.mcp.mode ?? mode }
      : undefined,
    posture: Object.entries(doc.posture ?? {}).map(([fact, requirement]) => ({
      fact,
      accepted: new Set(
        typeof requirement.require === 'string' ? [requirement.require] : (requirement.require ?? ['ok']),
      ),
      refuse: requirement.onUnmet === 'refuse',
      denyTools:
        requirement.onUnmet === 'refuse'
          ? undefined
          : compileNameMatcher(expandToolClasses(requirement.onUnmet.deny)),
      reason: requirement.reason,
      mode: requirement.mode ?? mode,
    })),
    session: {
      skillShell: doc.session?.skillShell ?? DEFAULT_SESSION.skillShell,
      nestedSessions: doc.session?.nestedSessions ?? DEFAULT_SESSION.nestedSessions,
      configApproval: doc.session?.configApproval ?? DEFAULT_SESSION.configApproval,
    },
    instances: new Map(),
    caches: { tools: new Map(), programs: new Map(), hosts: new Map() },
  };
}

/** What an opaque command gets when the policy does not say: a person decides. */
export const DEFAULT_OPAQUE_EFFECT: Effect = 'ask';

export function policyHash(doc: PolicyDocument): string {
  return sha256Hex(canonicalJson(doc as unknown as JsonValue));
}

export function formatIssues(issues: readonly PolicyIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(policy)'}: ${issue.message}`)
    .join('; ');
}

export function expandToolClasses(tools: readonly string[]): string[] {
  return tools.flatMap((tool) => TOOL_CLASSES[tool] ?? [tool]);
}

function exactNames(matcher: NameMatcher): string[] | undefined {
  if (matcher.matchesAll || matcher.patterns.length > 0) return undefined;
  return [...matcher.exact];
}

function buildIndex(rules: CompiledRule[], keys: (rule: CompiledRule) => string[] | undefined): RuleIndex {
  const byName = new Map<string, CompiledRule[]>();
  const always: CompiledRule[] = [];
  for (const rule of rules) {
    const names = keys(rule);
    if (!names) {
      always.push(rule);
      continue;
    }
    for (const name of names) {
      const list = byName.get(name);
      if (list) list.push(rule);
      else byName.set(name, [rule]);
    }
  }
  return { byName, always };
}

function compileRule(rule: PolicyRule, index: number, policyMode: Mode): CompiledRule {
  const kind: RuleKind = rule.paths ? 'path' : rule.programs ? 'command' : rule.hosts ? 'host' : 'tool';
  return {
    id: rule.id,
    index,
    kind,
    effect: rule.effect,
    mode: rule.mode ?? policyMode,
    reason: rule.reason,
    tools: rule.tools ? compileNameMatcher(expandToolClasses(rule.tools)) : undefined,
    sessionModes: rule.sessionModes ? new Set(rule.sessionModes) : undefined,
    when: Object.entries(rule.when ?? {}).map(([field, condition]) => ({
      field: field.split('.'),
      test: compileCondition(condition),
    })),
    access: rule.access ?? 'any',
    paths: rule.paths ?? [],
    exceptPaths: kind === 'path' ? (rule.except ?? []) : [],
    programs: rule.programs ? compilePrograms(rule.programs) : undefined,
    exceptPrograms: kind === 'command' && rule.except ? compilePrograms(rule.except) : undefined,
    args: (rule.args ?? []).map((glob) => nameGlobToRegex(glob)),
    hosts: rule.hosts ? compileHostMatcher(rule.hosts) : undefined,
    exceptHosts: kind === 'host' && rule.except ? compileHostMatcher(rule.except) : undefined,
  };
}

function compilePrograms(entries: readonly string[]): ProgramMatcher {
  const names = entries.filter((entry) => !entry.includes('/'));
  const paths = entries
    .filter((entry) => entry.includes('/') && entry.startsWith('/'))
    .map((entry) => compilePathGlob(entry));
  return { names: compileNameMatcher(names), paths };
}

function compileCondition(condition: Condition): (value: unknown) => boolean {
  if (typeof condition === 'string') {
    const re = nameGlobToRegex(condition);
    return (value) => typeof value === 'string' && re.test(value);
  }
  const tests: Array<(value: unknown) => boolean> = [];
  if (condition.equals !== undefined) {
    const expected = condition.equals;
    tests.push((value) => value === expected);
  }
  if (condition.in !== undefined) {
    const allowed = new Set<unknown>(condition.in);
    tests.push((value) => allowed.has(value));
  }
  if (condition.glob !== undefined) {
    const re = nameGlobToRegex(condition.glob);
    tests.push((value) => typeof value === 'string' && re.test(value));
  }
  if (condition.regex !== undefined) {
    const re = new RegExp(condition.regex, 'u');
    tests.push((value) => typeof value === 'string' && re.test(value));
  }
  if (condition.contains !== undefined) {
    const needle = condition.contains;
    tests.push(
      (value) =>
        (typeof value === 'string' && value.includes(needle)) ||
        (Array.isArray(value) && value.includes(needle)),
    );
  }
  if (condition.exists !== undefined) {
    const expected = condition.exists;
    tests.push((value) => (value !== undefined) === expected);
  }
  if (condition.not !== undefined) {
    const inner = compileCondition(condition.not);
    tests.push((value) => !inner(value));
  }
  return (value) => tests.every((test) => test(value));
}
