import { expandBraces } from '../glob/braces.ts';
import {
  compilePathGlob,
  escapeGlob,
  globsMayIntersect,
  isWithin,
  literalDirMayContainMatch,
  mayContainMatch,
  mayMatchDotDirs,
  type PathGlob,
  type Segment,
  splitSegments,
  subtreeRoot,
} from '../glob/path-glob.ts';
import { normaliseAbsolute, resolvePhysical, safeRealpath } from '../paths/resolve.ts';
import { analyzeShell, listingFolder } from '../shell/analyze.ts';
import type { CommandFact, HostFact, OpaqueFact, PathFact, PathOp } from '../shell/facts.ts';
import { scanForPaths } from '../shell/path-literals.ts';
import type { Decision, DecisionMatch, Effect, EvaluationContext, EvaluationInput, Mode } from '../types.ts';
import type { CompiledPolicy, CompiledRule } from './compile-policy.ts';
import { type DiskBudget, expandGlob, linksBelow, listedLinks, MAX_LISTED_ENTRIES } from './filesystem.ts';
import {
  cachedCandidates,
  candidateEntries,
  candidateEntriesForGlob,
  instantiate,
  type PathEntry,
  type PathInstance,
  type ProtectedGlob,
} from './instantiate.ts';
import { mcpServerCandidates, mcpVerdicts } from './mcp.ts';
import { secretVerdict } from './secrets.ts';

/** evaluate() never throws: an internal failure becomes this decision (fail closed, STYLE.md 7). */
export const ON_EVALUATION_ERROR: Effect = 'deny';

const RANK: Record<Effect, number> = { allow: 1, ask: 2, deny: 3 };
const MAX_MATCHES = 32;

/**
 * Decides one tool call. Pure and total: no I/O (realpath is injected), no awaits, no throws.
 * Deny beats ask beats allow; when no enforced rule matches, the policy default applies.
 */
export function evaluate(policy: CompiledPolicy, input: EvaluationInput, ctx: EvaluationContext): Decision {
  try {
    return decide(policy, input, ctx);
  } catch (error) {
    return {
      effect: ON_EVALUATION_ERROR,
      rule: 'internal-error',
      reason: `ceros could not evaluate this call, so it is blocked: ${error instanceof Error ? error.message : String(error)}`,
      policyHash: hashOf(policy),
      mode: 'enforce',
      opaque: false,
      matches: [],
    };
  }
}

function hashOf(policy: unknown): string {
  try {
    const hash = (policy as { hash?: unknown } | null)?.hash;
    return typeof hash === 'string' ? hash : 'unknown';
  } catch {
    return 'unknown';
  }
}

interface Match {
  rule: string;
  effect: Effect;
  mode: Mode;
  reason: string;
  detail: string;
  order: number;
}

class Verdict {
  best: Match | undefined;
  bestMonitor: Match | undefined;
  readonly matches: DecisionMatch[] = [];
  opaque = false;

  add(match: Match): void {
    if (this.matches.length < MAX_MATCHES)
      this.matches.push({ rule: match.rule, effect: match.effect, mode: match.mode, subject: match.detail });
    const slot = match.mode === 'enforce' ? 'best' : 'bestMonitor';
    const current = this[slot];
    if (
      !current ||
      RANK[match.effect] > RANK[current.effect] ||
      (RANK[match.effect] === RANK[current.effect] && match.order < current.order)
    ) {
      this[slot] = match;
    }
  }

  /**
   * True when `rule` can no longer change the outcome: an enforced deny already won and this
   * rule would lose the tie (deny is the strongest effect; ties go to the earlier rule).
   * `matches` then lists the rules consulted, not every rule that would have matched.
   */
  settled(rule: CompiledRule): boolean {
    const best = this.best;
    return (
      best !== undefined &&
      best.effect === 'deny' &&
      (rule.effect !== 'deny' || rule.mode !== 'enforce' || rule.index >= best.order)
    );
  }

  addRule(rule: CompiledRule, detail: string): void {
    // The default reason is built only for the winner (see finish()).
    this.add({
      rule: rule.id,
      effect: rule.effect,
      mode: rule.mode,
      reason: rule.reason ?? '',
      detail,
      order: rule.index,
    });
  }
}

function ruleReason(id: string, effect: Effect): string {
  if (effect === 'deny') return `Blocked by policy rule "${id}"`;
  if (effect === 'ask') return `Policy rule "${id}" requires confirmation`;
  return `Allowed by policy rule "${id}"`;
}

interface Call {
  policy: CompiledPolicy;
  input: EvaluationInput;
  ctx: EvaluationContext;
  instance: PathInstance;
  verdict: Verdict;
  /** What is left of the folder listings this call may do (globs, recursions that follow links). */
  disk?: DiskBudget;
  /** The call's path facts, to know whether a glob's folder is written earlier in the same command. */
  facts?: readonly PathFact[];
}

/**
 * evaluate() with the facts already extracted: for the benchmark of rule matching alone.
 * Not part of the public surface.
 */
export function evaluateFacts(
  policy: CompiledPolicy,
  input: EvaluationInput,
  ctx: EvaluationContext,
  facts: CallFacts,
): Decision {
  return decide(policy, input, ctx, facts);
}

/** The facts evaluate() extracts from one call (shell analysis included); for the benchmark. */
export function extractFacts(
  policy: CompiledPolicy,
  input: EvaluationInput,
  ctx: EvaluationContext,
): CallFacts {
  return factsOf({
    policy,
    input,
    ctx,
    instance: instantiate(policy, ctx, input.projectDir),
    verdict: new Verdict(),
  });
}

function decide(
  policy: CompiledPolicy,
  input: EvaluationInput,
  ctx: EvaluationContext,
  precomputed?: CallFacts,
): Decision {
  const problem = invalidInput(input, ctx);
  if (problem) {
    return {
      effect: 'deny',
      rule: 'invalid-input',
      reason: `ceros blocked a call it could not read: ${problem}`,
      policyHash: policy.hash,
      mode: 'enforce',
      opaque: false,
      matches: [],
    };
  }
  const cwd = normaliseAbsolute(input.cwd);
  const projectDir = normaliseAbsolute(input.projectDir);
  const normalised: EvaluationInput = { ...input, cwd, projectDir };
  const call: Call = {
    policy,
    input: normalised,
    ctx,
    instance: instantiate(policy, ctx, projectDir),
    verdict: new Verdict(),
  };

  checkPosture(call);
  checkToolRules(call);
  const secret = secretVerdict(policy, input.toolInput);
  if (secret) call.verdict.add({ ...secret, order: -1 });
  const facts = precomputed ?? factsOf(call);
  call.facts = facts.paths;
  for (const fact of facts.paths) checkPath(call, fact);
  for (const fact of facts.commands) {
    checkCommand(call, fact);
    checkApproval(call, fact);
  }
  for (const fact of facts.hosts) checkHost(call, fact);
  for (const fact of facts.opaque) checkOpaque(call, fact);
  for (const verdict of mcpVerdicts(policy.mcp, facts.mcpServers, ctx.mcpServers)) {
    call.verdict.add({ ...verdict, order: -1 });
  }
  return finish(call);
}

function invalidInput(input: EvaluationInput, ctx: EvaluationContext): string | undefined {
  if (input === null || typeof input !== 'object') return 'the input is not an object';
  if (typeof input.toolName !== 'string' || input.toolName === '') return 'the tool name is missing';
  if (input.toolInput === null || typeof input.toolInput !== 'object' || Array.isArray(input.toolInput))
    return 'the tool input is not an object';
  if (typeof input.cwd !== 'string' || !input.cwd.startsWith('/'))
    return 'the working folder is not an absolute path';
  if (typeof input.projectDir !== 'string' || !input.projectDir.startsWith('/'))
    return 'the project folder is not an absolute path';
  if (ctx === null || typeof ctx !== 'object' || typeof ctx.home !== 'string' || !ctx.home.startsWith('/'))
    return 'the home folder is not an absolute path';
  if (typeof ctx.realpath !== 'function' || typeof ctx.shell?.parse !== 'function')
    return 'the evaluation context lacks realpath or the shell parser';
  if (typeof ctx.cerosHome !== 'string' || typeof ctx.cerosBinary !== 'string')
    return 'the evaluation context lacks CEROS_HOME or the ceros binary path';
  return undefined;
}

function finish(call: Call): Decision {
  const { policy, verdict } = call;
  let winner = verdict.best;
  let monitorCandidate = verdict.bestMonitor;
  if (!winner) {
    const fallback: Match = {
      rule: 'default',
      effect: policy.defaultEffect,
      mode: policy.mode,
      reason:
        policy.defaultReason ??
        (policy.defaultEffect === 'allow'
          ? 'Allowed by the policy default'
          : policy.defaultEffect === 'ask'
            ? 'No rule allows this; the policy asks by default'
            : 'No rule allows this; the policy denies by default'),
      detail: `${call.input.toolName} call`,
      order: Number.MAX_SAFE_INTEGER,
    };
    if (policy.mode === 'enforce') winner = fallback;
    else {
      winner = { ...fallback, effect: 'allow', reason: 'Allowed: the policy is in monitor mode' };
      if (!monitorCandidate || RANK[fallback.effect] > RANK[monitorCandidate.effect])
        monitorCandidate = fallback;
    }
  }
  const decision: Decision = {
    effect: winner.effect,
    rule: winner.rule,
    reason: winner.reason || ruleReason(winner.rule, winner.effect),
    detail: winner.detail,
    policyHash: policy.hash,
    mode: winner.mode,
    opaque: verdict.opaque,
    matches: [...verdict.matches].sort((a, b) => RANK[b.effect] - RANK[a.effect]),
  };
  if (monitorCandidate && RANK[monitorCandidate.effect] > RANK[winner.effect]) {
    decision.monitor = {
      effect: monitorCandidate.effect,
      rule: monitorCandidate.rule,
      reason: monitorCandidate.reason || ruleReason(monitorCandidate.rule, monitorCandidate.effect),
      detail: monitorCandidate.detail,
    };
  }
  return decision;
}

// ---------------------------------------------------------------------------------------------
// Rule filters

function applies(rule: CompiledRule, input: EvaluationInput): boolean {
  if (rule.tools && !rule.tools.test(input.toolName)) return false;
  if (rule.sessionModes && !(input.sessionMode !== undefined && rule.sessionModes.has(input.sessionMode)))
    return false;
  return true;
}

function checkPosture(call: Call): void {
  for (const requirement of call.policy.posture) {
    const value = call.input.posture?.[requirement.fact] ?? 'unknown';
    if (requirement.accepted.has(value)) continue;
    if (!requirement.refuse && !requirement.denyTools?.test(call.input.toolName)) continue;
    call.verdict.add({
      rule: `posture/${requirement.fact}`,
      effect: 'deny',
      mode: requirement.mode,
      reason: requirement.reason ?? `Device posture requirement "${requirement.fact}" is not met (${value})`,
      detail: `${requirement.fact} is ${value}`,
      order: -2,
    });
  }
}

/** Rules whose name selector can match `name`, memoised per policy (names repeat all session). */
function candidatesFor(
  cache: Map<string, CompiledRule[]>,
  name: string,
  compute: () => CompiledRule[],
): CompiledRule[] {
  let rules = cache.get(name);
  if (rules) return rules;
  rules = compute();
  if (cache.size >= 4096) cache.clear();
  cache.set(name, rules);
  return rules;
}

function byIndex(rules: CompiledRule[]): CompiledRule[] {
  return rules.sort((a, b) => a.index - b.index);
}

function checkToolRules(call: Call): void {
  const { toolIndex } = call.policy;
  const name = call.input.toolName;
  const rules = candidatesFor(call.policy.caches.tools, name, () =>
    byIndex(
      [...(toolIndex.byName.get(name) ?? []), ...toolIndex.always].filter(
        (rule) => !rule.tools || rule.tools.test(name),
      ),
    ),
  );
  for (const rule of rules) {
    if (call.verdict.settled(rule) || !applies(rule, call.input)) continue;
    if (!rule.when.every((condition) => condition.test(fieldAt(call.input.toolInput, condition.field))))
      continue;
    call.verdict.addRule(rule, `${call.input.toolName} call`);
  }
}

function fieldAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Facts from the tool input

export interface CallFacts {
  paths: PathFact[];
  commands: CommandFact[];
  hosts: HostFact[];
  opaque: OpaqueFact[];
  mcpServers: string[][];
}

const READ_TOOLS = new Set(['Read', 'NotebookRead', 'LS']);
const WRITE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
const PATH_KEYS = [
  'file_path',
  'notebook_path',
  'path',
  'filePath',
  'filename',
  'file',
  'directory',
  'dir',
  'source',
  'destination',
  'target',
  'paths',
  'files',
];

function factsOf(call: Call): CallFacts {
  const { input, ctx } = call;
  const facts: CallFacts = { paths: [], commands: [], hosts: [], opaque: [], mcpServers: [] };
  const tool = input.toolName;
  const args = input.toolInput;
  const text = (key: string) => (typeof args[key] === 'string' ? (args[key] as string) : undefined);
  const addPath = (value: string | undefined, op: PathOp, recursive: boolean, source: string) => {
    if (value === undefined || value === '') return;
    for (const raw of toolPathForms(value, input.cwd, ctx.home))
      facts.paths.push({ op, recursive, source, target: { kind: 'path', raw } });
  };
  if (tool === 'Bash') {
    const command = text('command');
    if (command === undefined) {
      facts.opaque.push({ reason: 'Bash call without a command string', text: '' });
      return facts;
    }
    const analysis = analyzeShell(ctx.shell, command, {
      cwd: input.cwd,
      home: ctx.home,
      ...(ctx.userHomes ? { userHomes: ctx.userHomes } : {}),
    });
    return { ...analysis, mcpServers: [] };
  }
  if (READ_TOOLS.has(tool))
    addPath(
      text('file_path') ?? text('notebook_path') ?? text('path') ?? (tool === 'LS' ? input.cwd : undefined),
      'read',
      false,
      tool,
    );
  else if (WRITE_TOOLS.has(tool)) addPath(text('file_path') ?? text('notebook_path'), 'write', false, tool);
  else if (tool === 'Grep') {
    const root = text('path') ?? input.cwd;
    addPath(root, 'read', true, 'Grep');
    // Grep's `glob` is a search filter: `glob: ".env"` reads the .env files below the path.
    const filter = text('glob');
    if (filter !== undefined)
      for (const alternative of expandBraces(filter) ?? [filter]) {
        const name = alternative.replace(/^(?:\*\*\/)+/, '');
        if (name.includes('/')) continue;
        for (const raw of toolPathForms(root, input.cwd, ctx.home))
          facts.paths.push({
            op: 'read',
            recursive: true,
            source: 'Grep glob',
            target: { kind: 'search', root: raw, name },
          });
      }
  } else if (tool === 'Glob') {
    // Glob lists names under the pattern's literal folder: checked as a recursive read of it.
    const base = text('path') ?? input.cwd;
    const pattern = text('pattern') ?? '*';
    for (const alternative of expandBraces(pattern) ?? [pattern]) {
      const homeExpanded =
        alternative === '~' || alternative.startsWith('~/')
          ? `${escapeGlob(ctx.home)}${alternative.slice(1)}`
          : alternative;
      for (const root of toolPathForms(base, input.cwd, ctx.home)) {
        const raw = homeExpanded.startsWith('/') ? homeExpanded : `${escapeGlob(root)}/${homeExpanded}`;
        facts.paths.push({
          op: 'read',
          recursive: true,
          source: 'Glob',
          target: { kind: 'path', raw: listingFolder(raw) },
        });
      }
    }
  } else if (tool === 'WebFetch') {
    const url = text('url');
    if (url === undefined) facts.hosts.push({ host: undefined, source: 'WebFetch URL' });
    else if (/^file:/i.test(url))
      addPath(
        safeDecode(url.replace(/^file:(?:\/\/[^/]*)?/i, '')) || '/',
        'read',
        false,
        'WebFetch file:// URL',
      );
    else facts.hosts.push({ host: hostOfUrl(url), source: 'WebFetch URL' });
  } else if (tool === 'WebSearch') {
    const domains = args.allowed_domains;
    if (Array.isArray(domains))
      for (const domain of domains)
        facts.hosts.push({
          host: typeof domain === 'string' ? domain.toLowerCase() : undefined,
          source: 'WebSearch domain',
        });
  } else if (tool === 'ReadMcpResourceTool' || tool === 'ListMcpResourcesTool') {
    const server = text('server');
    if (server !== undefined) facts.mcpServers.push([server]);
    scanArguments(args, facts, input.cwd, ctx.home, 0);
  } else if (tool.startsWith('mcp__')) {
    facts.mcpServers.push(mcpServerCandidates(tool));
    scanArguments(args, facts, input.cwd, ctx.home, 0);
  } else if (!KNOWN_PATHLESS_TOOLS.has(tool)) scanArguments(args, facts, input.cwd, ctx.home, 0);
  return facts;
}

const KNOWN_PATHLESS_TOOLS = new Set([
  'Task',
  'Agent',
  'TodoWrite',
  'TodoRead',
  'ExitPlanMode',
  'BashOutput',
  'KillShell',
  'KillBash',
  'SlashCommand',
  'Skill',
  'AskUserQuestion',
  'EnterPlanMode',
]);

/**
 * Paths in the arguments of tools ceros does not model (MCP tools, unknown tools), under any key
 * and at any depth: a value that is a path (`/x`, `~/x`, `./x`, `../x`, `file://...`) is checked
 * like a tool's path, under the path-like keys and elsewhere; paths named inside other text
 * (`"cat ~/.aws/credentials"`, `"select load_file('/etc/shadow')"`) against the deny lists.
 */
function scanArguments(value: unknown, facts: CallFacts, cwd: string, home: string, depth: number): void {
  if (depth > 6 || value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const values = Array.isArray(item) ? item : [item];
    for (const entry of values) {
      if (typeof entry === 'string') scanArgument(key, entry, facts, cwd, home);
      else if (entry && typeof entry === 'object') scanArguments(entry, facts, cwd, home, depth + 1);
    }
  }
}

const MAX_SCANNED_ARGUMENT = 64 * 1024;

function scanArgument(key: string, entry: string, facts: CallFacts, cwd: string, home: string): void {
  if (facts.paths.length >= 512 || entry === '') return;
  const text = entry.length > MAX_SCANNED_ARGUMENT ? entry.slice(0, MAX_SCANNED_ARGUMENT) : entry;
  const whole = text.trim();
  if (/^(?:\/|~\/|~$|\.\.?\/|file:)/i.test(whole) && !/[\n\s]/.test(whole)) {
    const path = /^file:/i.test(whole)
      ? safeDecode(whole.replace(/^file:(?:\/\/[^/]*)?/i, '')) || '/'
      : whole;
    for (const raw of toolPathForms(path, cwd, home))
      facts.paths.push({
        op: 'any',
        recursive: false,
        source: `argument ${key}`,
        target: { kind: 'path', raw },
      });
    return;
  }
  // A bare name under a path key (`{"path": "id_rsa"}`) is relative to the working folder.
  if (PATH_KEYS.includes(key) && !/[\s]/.test(whole) && !/^[a-z][a-z0-9+.-]*:/i.test(whole)) {
    for (const raw of toolPathForms(whole, cwd, home))
      facts.paths.push({
        op: 'any',
        recursive: false,
        source: `argument ${key}`,
        target: { kind: 'path', raw },
      });
    return;
  }
  for (const raw of scanForPaths(text, cwd, home, { quoted: false }))
    facts.paths.push({
      op: 'any',
      recursive: false,
      source: `path in argument ${key}`,
      target: { kind: 'path', raw },
      denyListsOnly: true,
    });
}

/** A path from a tool argument: absolute, relative to cwd, or `~/`-prefixed (checked both ways). */
function toolPathForms(value: string, cwd: string, home: string): string[] {
  if (value === '~' || value.startsWith('~/')) return [`${home}${value.slice(1)}`, `${cwd}/${value}`];
  // `/proc/self/cwd` is the tool process's own folder: the agent's realpath would resolve its own.
  const proc = /^\/proc\/(?:self|thread-self)\/(cwd|root)(\/.*)?$/.exec(value);
  if (proc) return [proc[1] === 'root' ? proc[2] || '/' : `${cwd}${proc[2] ?? ''}`];
  return [value.startsWith('/') ? value : `${cwd}/${value}`];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hostOfUrl(url: string): string | undefined {
  try {
    const parsed = new URL(/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `https://${url}`);
    return parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Paths

interface PathForms {
  literal: string[];
  /** `literal`, split into segments (computed once per access, used for every glob). */
  literalParts: LiteralParts[];
  globs: PathGlob[];
  mayEscape: boolean;
  display: string;
}

function formsOf(call: Call, fact: PathFact): PathForms | undefined {
  const target = fact.target;
  const ci = call.instance.caseInsensitive;
  if (target.kind === 'path') {
    const lexical = normaliseAbsolute(target.raw);
    const physical = fact.noFollow
      ? physicalParent(target.raw, call.ctx.realpath)
      : resolvePhysical('/', target.raw, call.ctx.realpath);
    const literal = unique([lexical, physical]);
    return {
      literal,
      literalParts: literal.map(partsOf),
      globs: [],
      mayEscape: false,
      display: physical === lexical ? lexical : `${lexical} (resolves to ${physical})`,
    };
  }
  if (target.kind === 'search') return undefined;
  const source = target.kind === 'glob' ? target.raw : target.hint;
  if (source === undefined) return undefined;
  const { normal, mayEscape } = normaliseShellGlob(source);
  const glob = compilePathGlob(normal, {
    shell: target.kind === 'glob' ? !target.dot : false,
    caseInsensitive: ci,
  });
  if (glob.literal) {
    const path = normaliseAbsolute(glob.staticPrefix);
    const literal = unique([path, resolvePhysical('/', path, call.ctx.realpath)]);
    return { literal, literalParts: literal.map(partsOf), globs: [], mayEscape, display: path };
  }
  const globs = [glob];
  const real = safeRealpath(glob.staticPrefix, call.ctx.realpath);
  if (real !== glob.staticPrefix) {
    const literalCount = glob.segments.findIndex((segment) => segment.kind !== 'literal');
    const rest = splitSegments(normal).slice(literalCount);
    globs.push(
      compilePathGlob(`${escapeGlob(real)}/${rest.join('/')}`, {
        shell: target.kind === 'glob' ? !target.dot : false,
        caseInsensitive: ci,
      }),
    );
  }
  return { literal: [], literalParts: [], globs, mayEscape, display: normal };
}

/** The physical path of a link itself: its folder resolved, its own name kept (`rm link`). `link/` follows. */
function physicalParent(raw: string, realpath: EvaluationContext['realpath']): string {
  const slash = raw.replace(/\/+$/, '').lastIndexOf('/');
  const name = raw.replace(/\/+$/, '').slice(slash + 1);
  if (raw.endsWith('/') || name === '' || name === '.' || name === '..' || slash < 0)
    return resolvePhysical('/', raw, realpath);
  const parent = resolvePhysical('/', raw.slice(0, slash) || '/', realpath);
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

interface LiteralParts {
  path: string;
  names: string[];
  segments: Segment[];
}

function partsOf(path: string): LiteralParts {
  const names = path.split('/').filter(Boolean);
  return { path, names, segments: names.map((text) => ({ kind: 'literal', text })) };
}

/** Collapses `.` and `..` in an escaped glob; a `..` after a wildcard may climb anywhere. */
function normaliseShellGlob(source: string): { normal: string; mayEscape: boolean } {
  const out: string[] = [];
  let mayEscape = false;
  for (const segment of splitSegments(source)) {
    if (segment === '.') continue;
    if (segment === '..') {
      const previous = out.pop();
      if (previous !== undefined && /(?<!\\)[*?[]/.test(previous)) mayEscape = true;
      continue;
    }
    out.push(segment);
  }
  return { normal: `/${out.join('/')}`, mayEscape };
}

function opMatches(access: 'read' | 'write' | 'any', op: PathOp): boolean {
  return access === 'any' || op === 'any' || access === op;
}

function describePath(fact: PathFact, display: string): string {
  const verb = fact.op === 'read' ? 'reads' : fact.op === 'write' ? 'writes' : 'touches';
  return `${fact.source}: ${verb} ${display}${fact.recursive ? ' (recursively)' : ''}`;
}

function checkPath(call: Call, fact: PathFact): void {
  if (fact.target.kind === 'search') {
    checkSearch(call, fact, fact.target);
    return;
  }
  if (fact.target.kind === 'unknown') {
    call.verdict.opaque = true;
    addOpaque(
      call,
      `${fact.source}: the path is not statically known (${fact.target.text || 'dynamic'})`,
      fact.target.text,
    );
    if (!fact.target.hint) return;
  }
  const forms = formsOf(call, fact);
  if (!forms) return;
  const subject = describePath(fact, forms.display);
  const deniesOnly = fact.denyListsOnly === true || fact.target.kind === 'unknown';
  // Self-protection first: always enforced, whatever the policy says.
  const writeLike = fact.op !== 'read';
  const ci = call.instance.caseInsensitive;
  const protectedHit = (list: ProtectedGlob[]) =>
    list.find((item) =>
      forms.literalParts.length > 0
        ? forms.literalParts.some((parts) => literalHits(parts, item.glob, fact.recursive, ci))
        : forms.globs.some((glob) => globHits(glob, item.glob, fact.recursive)),
    );
  const lookup = () =>
    (fact.deletes ? protectedHit(call.instance.protectedDelete) : undefined) ??
    (writeLike ? protectedHit(call.instance.protectedWrite) : undefined) ??
    protectedHit(call.instance.protectedRead);
  let hit: ProtectedGlob | undefined;
  if (forms.literal.length > 0) {
    // Keyed by the resolved forms: realpath runs on every call, only the glob arithmetic is reused.
    const key = `${writeLike ? 'w' : 'r'}${fact.recursive ? 'R' : ''}${fact.deletes ? 'D' : ''}\u0000${forms.literal.join('\u0000')}`;
    const cached = call.instance.protectedHits.get(key);
    if (cached !== undefined) hit = cached ?? undefined;
    else {
      hit = lookup();
      if (call.instance.protectedHits.size >= 4096) call.instance.protectedHits.clear();
      call.instance.protectedHits.set(key, hit ?? null);
    }
  } else hit = lookup();
  if (hit) {
    call.verdict.add({
      rule: 'self-protection',
      effect: 'deny',
      mode: 'enforce',
      reason: `ceros protects ${hit.what}: no tool may ${hit.deletion ? 'delete or move' : writeLike && hit.what !== 'ceros state (CEROS_HOME)' ? 'modify' : 'touch'} it`,
      detail: subject,
      order: -3,
    });
  }
  if (fact.protectionOnly) return;
  // With the file system at hand, a glob is the names it expands to: when every folder it looks in
  // was listed and nothing in the same command writes there, those names are all it can match and
  // the pattern itself is not weighed against the rules (`du -sh *` does not count as reading a
  // `prod.env` that is not there).
  if (fact.target.kind === 'glob' && call.ctx.readdir) {
    const complete = expandOnDisk(call, fact, forms);
    if (complete && !writtenNear(call, fact, forms)) return;
  }
  const entries = call.instance.entries;
  let indices: number[];
  if (forms.mayEscape) indices = [...entries.keys()];
  else if (forms.literalParts.length > 0) {
    const key = `${fact.recursive ? 'r' : 'l'}\u0000${forms.literal.join('\u0000')}`;
    indices = cachedCandidates(call.instance, key, (found) => {
      for (const parts of forms.literalParts)
        candidateEntries(call.instance, parts.names, fact.recursive, found);
    });
  } else {
    const key = `g\u0000${forms.globs.map((glob) => glob.source).join('\u0000')}`;
    indices = cachedCandidates(call.instance, key, (found) => {
      for (const glob of forms.globs) candidateEntriesForGlob(call.instance, glob, found);
    });
  }
  for (const index of indices) {
    const entry = entries[index];
    if (!entry) continue;
    const rule = entry.rule;
    if (call.verdict.settled(rule)) continue;
    if (!opMatches(rule.access, fact.op) || !applies(rule, call.input)) continue;
    if (deniesOnly && (rule.effect === 'allow' || entry.except.length > 0)) continue;
    if (entryMatches(entry, forms, fact.recursive, rule.effect !== 'allow', ci))
      call.verdict.addRule(rule, subject);
  }
  if (call.ctx.readdir) followLinks(call, fact, forms);
}

/**
 * A glob checked as the names it expands to on disk: that is where `PROJ/*` with
 * `PROJ/keys -> ~/.ssh` reaches a protected file through a link below the glob's literal
 * prefix. True when the expansion is complete; past the listing budget the rest is unknown.
 */
function expandOnDisk(call: Call, fact: PathFact, forms: PathForms): boolean {
  const readdir = call.ctx.readdir;
  const [glob] = forms.globs;
  if (!readdir || !glob) return false;
  call.disk ??= { entries: MAX_LISTED_ENTRIES };
  const reach = expandGlob(glob, readdir, call.disk);
  for (const path of reach.paths)
    checkPath(call, {
      ...fact,
      target: { kind: 'path', raw: path },
      source: `${fact.source} (matches ${path})`,
    });
  if (reach.truncated) {
    call.verdict.opaque = true;
    addOpaque(call, `${fact.source}: the glob matches more files than ceros lists`, forms.display);
  }
  // A folder that cannot be listed may still appear (or be unreadable to ceros only): not conclusive.
  return !reach.truncated && reach.listed === true;
}

/** Does another fact of the same call write at or below the glob's folder (or somewhere unknown)? */
function writtenNear(call: Call, fact: PathFact, forms: PathForms): boolean {
  const [glob] = forms.globs;
  if (!glob) return true;
  const folder = normaliseAbsolute(glob.staticPrefix);
  return (call.facts ?? []).some((other) => {
    if (other === fact || other.op === 'read') return false;
    const target = other.target;
    if (target.kind === 'unknown') return true;
    const written =
      target.kind === 'path'
        ? normaliseAbsolute(target.raw)
        : target.kind === 'glob'
          ? normaliseAbsolute(compilePathGlob(target.raw).staticPrefix)
          : normaliseAbsolute(target.root);
    return (
      isWithin(written, folder) || (isWithin(folder, written) && (other.recursive || target.kind !== 'path'))
    );
  });
}

/** A recursion that follows links is checked again at each symlink it meets (`grep -R x .` through `PROJ/keys`). */
function followLinks(call: Call, fact: PathFact, forms: PathForms): void {
  const readdir = call.ctx.readdir;
  const listing = fact.listedLinks;
  if (readdir && listing && forms.literal.length > 0) {
    call.disk ??= { entries: MAX_LISTED_ENTRIES };
    const name = listing.name === undefined ? undefined : compilePathGlob(`/${listing.name}`).segments[0];
    const accepts = (entry: string) =>
      name === undefined ||
      (name.kind === 'literal' ? name.text === entry : name.kind === 'pattern' ? name.re.test(entry) : true);
    for (const root of forms.literal) {
      const reach = listedLinks(root, readdir, accepts, listing.depth, listing.folders, call.disk);
      for (const link of reach.paths) {
        const { listedLinks: _, ...rest } = fact;
        checkPath(call, {
          ...rest,
          recursive: listing.folders,
          target: { kind: 'path', raw: link },
          source: `${fact.source} (opens ${link})`,
        });
      }
      // Past the budget the rest of a listing is not looked at: this check only narrows what
      // `find . -exec cat {} +` may open, and a big tree (node_modules) is ordinary.
    }
  }
  if (!readdir || !fact.recursive || !fact.followsLinks || forms.literal.length === 0) return;
  call.disk ??= { entries: MAX_LISTED_ENTRIES };
  for (const root of forms.literal) {
    const reach = linksBelow(root, readdir, call.ctx.realpath, call.disk);
    for (const link of reach.paths)
      checkPath(call, {
        ...fact,
        followsLinks: false,
        target: { kind: 'path', raw: link },
        source: `${fact.source} (follows ${link})`,
      });
    if (reach.truncated) {
      call.verdict.opaque = true;
      addOpaque(call, `${fact.source}: the recursion follows more links than ceros lists`, root);
    }
  }
}

/**
 * A search filter (`grep -r --include=.env`, `rg -g .env`, Grep's `glob`) reads the files of that
 * name below its root. It selects a path pattern when the root may hold the pattern's folder and
 * the filter accepts the pattern's file name: a literal name as is, a wildcard name by its
 * shortest instance (`.env.*` as `.env.`, `*.pem` as `.pem`), so `--include='*.ts'` does not
 * count as reading `.env.ts`-shaped secrets while `--include='*.env'` counts as reading `.env`.
 * Only deny and ask rules count; allow rules and allowlists see the recursive read of the root.
 */
function checkSearch(
  call: Call,
  fact: PathFact,
  target: Extract<PathFact['target'], { kind: 'search' }>,
): void {
  const ci = call.instance.caseInsensitive || target.nocase === true;
  const include = compilePathGlob(`/${target.name}`, { caseInsensitive: ci });
  const [name] = include.segments;
  if (!name || include.segments.length !== 1 || name.kind === 'globstar') return;
  const roots = unique([
    normaliseAbsolute(target.root),
    resolvePhysical('/', target.root, call.ctx.realpath),
  ]).map((root) => compilePathGlob(`${escapeGlob(root)}/**`).segments);
  const accepts = (last: Segment) => {
    if (name.kind === 'literal') return segmentMatches(last, name.text, ci);
    const sample =
      last.kind === 'literal' ? last.text : last.kind === 'pattern' ? shortestInstance(last) : undefined;
    return sample !== undefined && name.re.test(sample);
  };
  const subject = `${fact.source}: reads files named ${target.name} below ${normaliseAbsolute(target.root)}`;
  for (const entry of call.instance.entries) {
    const rule = entry.rule;
    if (rule.effect === 'allow' || (entry.except.length > 0 && fact.denyListsOnly)) continue;
    if (call.verdict.settled(rule) || !opMatches(rule.access, fact.op) || !applies(rule, call.input))
      continue;
    const hit = entry.paths.some((glob) => {
      const last = glob.segments[glob.segments.length - 1];
      if (!last || last.kind === 'globstar' || !accepts(last)) return false;
      const folder = glob.segments.slice(0, -1);
      return roots.some((root) => globsMayIntersect(root, folder));
    });
    if (!hit) continue;
    // A literal name is a file we can place: `rg -g .env.example` is excepted like the file itself.
    const sample = `${normaliseAbsolute(target.root)}/${name.kind === 'literal' ? name.text : ''}`;
    if (name.kind === 'literal' && entry.except.some((glob) => glob.regex.test(sample))) continue;
    call.verdict.addRule(rule, subject);
  }
}

function segmentMatches(segment: Segment, text: string, ci: boolean): boolean {
  if (segment.kind === 'globstar') return true;
  if (segment.kind === 'literal')
    return ci ? segment.text.toLowerCase() === text.toLowerCase() : segment.text === text;
  return (
    segment.re.test(text) ||
    (ci && (segment.re.test(text.toLowerCase()) || segment.re.test(text.toUpperCase())))
  );
}

/** The shortest name a pattern segment matches, when one is easy to find (`*` empty, `?` one character). */
function shortestInstance(segment: Extract<Segment, { kind: 'pattern' }>): string | undefined {
  let out = '';
  for (const token of segment.tokens) {
    if (token.kind === 'char') out += token.ch;
    else if (token.kind === 'any') out += 'x';
    else if (token.kind === 'class') {
      const ch = ['a', 'x', '0', 'A', '.', '_', '-'].find((candidate) => token.re.test(candidate));
      if (ch === undefined) return undefined;
      out += ch;
    }
  }
  return segment.re.test(out) ? out : undefined;
}

function literalHits(parts: LiteralParts, glob: PathGlob, recursive: boolean, ci: boolean): boolean {
  return (
    glob.regex.test(parts.path) ||
    (recursive && literalDirMayContainMatch(parts.names, parts.segments, glob, ci))
  );
}

function globHits(pattern: PathGlob, glob: PathGlob, recursive: boolean): boolean {
  return (
    globsMayIntersect(pattern.segments, glob.segments) ||
    (recursive && mayContainMatch(pattern.segments, glob.segments))
  );
}

/** Every expansion of `pattern` lies inside `root` (a `/prefix/**` glob or a literal). */
function patternWithin(pattern: PathGlob, root: PathGlob, mayEscape: boolean, ci: boolean): boolean {
  if (mayEscape) return false;
  const base = subtreeRoot(root);
  if (base === undefined) return false;
  const prefix = ci ? pattern.staticPrefix.toLowerCase() : pattern.staticPrefix;
  return isWithin(prefix, ci ? base.toLowerCase() : base) && !mayMatchDotDirs(pattern.segments);
}

/**
 * `may` (deny and ask rules): some form of the path could be selected. `must` (allow rules):
 * every form is selected for certain; an allow rule never vouches for a maybe.
 */
function entryMatches(
  entry: PathEntry,
  forms: PathForms,
  recursive: boolean,
  may: boolean,
  ci: boolean,
): boolean {
  if (forms.literalParts.length > 0) {
    const selected = (parts: LiteralParts, allowRecursion: boolean) => {
      let hit = false;
      for (const glob of entry.paths) {
        if (literalHits(parts, glob, allowRecursion && recursive, ci)) {
          hit = true;
          break;
        }
      }
      if (!hit) return false;
      for (const glob of entry.except) if (glob.regex.test(parts.path)) return false;
      return true;
    };
    if (may) {
      for (const parts of forms.literalParts) if (selected(parts, true)) return true;
      return false;
    }
    for (const parts of forms.literalParts) if (!selected(parts, false)) return false;
    return true;
  }
  if (may) {
    return forms.globs.some(
      (pattern) =>
        entry.paths.some((glob) => globHits(pattern, glob, recursive)) &&
        !entry.except.some((glob) => patternWithin(pattern, glob, forms.mayEscape, ci)),
    );
  }
  return forms.globs.every(
    (pattern) =>
      entry.paths.some((glob) => patternWithin(pattern, glob, forms.mayEscape, ci)) &&
      !entry.except.some((glob) => globsMayIntersect(pattern.segments, glob.segments)),
  );
}

// ---------------------------------------------------------------------------------------------
// Commands, hosts, opaque

function checkCommand(call: Call, fact: CommandFact): void {
  const { commandIndex } = call.policy;
  const rules = candidatesFor(call.policy.caches.programs, fact.name, () =>
    byIndex(
      [...(commandIndex.byName.get(fact.name) ?? []), ...commandIndex.always].filter(
        (rule) =>
          rule.exceptPrograms !== undefined ||
          (rule.programs !== undefined &&
            (rule.programs.paths.length > 0 || rule.programs.names.test(fact.name))),
      ),
    ),
  );
  if (rules.length === 0) return;
  const subject = `program ${fact.name}${fact.via.length > 0 ? ` (via ${fact.via.join(' > ')})` : ''}`;
  for (const rule of rules) {
    if (!rule.programs || call.verdict.settled(rule) || !applies(rule, call.input)) continue;
    const may = rule.effect !== 'allow';
    const selected = may ? programMay(rule.programs, fact) : programMust(rule.programs, fact);
    if (!selected) continue;
    if (
      rule.exceptPrograms &&
      (may ? programMust(rule.exceptPrograms, fact) : programMay(rule.exceptPrograms, fact))
    )
      continue;
    if (
      !rule.args.every((re) => fact.args.some((arg) => (arg.kind === 'dynamic' ? may : re.test(arg.value))))
    )
      continue;
    call.verdict.addRule(rule, subject);
  }
}

/**
 * Self-protection: approving hooks and MCP servers for later sessions (`ceros approve`) is the
 * user's act, never a tool's: a session that could approve what it planted would load it next time.
 * A ceros program whose first argument is `approve`, or not statically known, is denied.
 */
function checkApproval(call: Call, fact: CommandFact): void {
  const binary = normaliseAbsolute(call.ctx.cerosBinary);
  const isCeros =
    fact.name === 'ceros' ||
    fact.name === binary.slice(binary.lastIndexOf('/') + 1) ||
    (fact.path?.startsWith('/') === true && normaliseAbsolute(fact.path) === binary);
  if (!isCeros) return;
  const first = fact.args.find((arg) => arg.kind === 'dynamic' || !arg.value.startsWith('-'));
  if (!first || (first.kind === 'static' && first.value !== 'approve')) return;
  call.verdict.add({
    rule: 'self-protection',
    effect: 'deny',
    mode: 'enforce',
    reason:
      'Only you can approve hooks and MCP servers for later sessions: run `ceros approve` yourself, outside the session',
    detail: `program ${fact.name}${first.kind === 'static' ? ' approve' : ' with an argument not known statically'}`,
    order: -3,
  });
}

function programMay(matcher: NonNullable<CompiledRule['programs']>, fact: CommandFact): boolean {
  if (matcher.names.test(fact.name)) return true;
  return (
    fact.path?.startsWith('/') === true &&
    matcher.paths.some((glob) => glob.regex.test(normaliseAbsolute(fact.path as string)))
  );
}

/** Only a trusted resolution vouches: `./ls` or `PATH=. ls` is not the `ls` the allowlist meant. */
function programMust(matcher: NonNullable<CompiledRule['programs']>, fact: CommandFact): boolean {
  if (matcher.names.test(fact.name) && fact.trusted) return true;
  return (
    fact.path?.startsWith('/') === true &&
    matcher.paths.some((glob) => glob.regex.test(normaliseAbsolute(fact.path as string)))
  );
}

function checkHost(call: Call, fact: HostFact): void {
  const rules = call.policy.hostRules;
  if (rules.length === 0) return;
  if (fact.host === undefined) {
    call.verdict.opaque = true;
    addOpaque(call, `${fact.source}: the host is not statically known`, fact.source);
    return;
  }
  const host = fact.host;
  const candidates = candidatesFor(call.policy.caches.hosts, host, () =>
    rules.filter((rule) => rule.hosts?.test(host) && !rule.exceptHosts?.test(host)),
  );
  for (const rule of candidates) {
    if (call.verdict.settled(rule) || !applies(rule, call.input)) continue;
    call.verdict.addRule(rule, `${fact.source} ${host}`);
  }
}

function checkOpaque(call: Call, fact: OpaqueFact): void {
  call.verdict.opaque = true;
  addOpaque(call, fact.reason, fact.text);
  // Literals in code we cannot analyse still count against deny lists and self-protection.
  for (const raw of scanForPaths(fact.text, call.input.cwd, call.ctx.home)) {
    checkPath(call, {
      op: 'any',
      recursive: raw !== '/',
      source: 'path in opaque code',
      target: { kind: 'path', raw },
      denyListsOnly: true,
    });
  }
}

function addOpaque(call: Call, reason: string, text: string): void {
  const { opaque } = call.policy;
  const detail = text ? `${reason}: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}` : reason;
  call.verdict.add({
    rule: 'opaque',
    effect: opaque.effect,
    mode: opaque.mode,
    reason: opaque.reason ?? `This command cannot be analysed statically (${reason})`,
    detail,
    order: 1_000_000,
  });
  if (opaque.effect === 'allow') {
    // Self-protection floor: code nobody can read might rewrite ceros's or Claude Code's settings.
    call.verdict.add({
      rule: 'self-protection',
      effect: 'ask',
      mode: 'enforce',
      reason: `This command cannot be analysed statically (${reason}) and could modify protected files`,
      detail,
      order: 1_000_001,
    });
  }
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
