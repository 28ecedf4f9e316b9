import { expandBraces } from '../glob/braces.ts';
import {
  compilePathGlob,
  escapeGlob,
  type PathGlob,
  splitSegments,
  unescapeGlob,
} from '../glob/path-glob.ts';
import { normaliseAbsolute, type RealpathFn, safeRealpath } from '../paths/resolve.ts';
import type { EvaluationContext } from '../types.ts';
import type { CompiledPolicy, CompiledRule } from './compile-policy.ts';

/**
 * Path patterns with their placeholders resolved for one session (home, project, CEROS_HOME),
 * each in two forms: as written and with its fixed prefix passed through realpath (on macOS
 * `/etc` is `/private/etc`, `/tmp` is `/private/tmp`). Built once per session and cached.
 */
export interface PathInstance {
  entries: PathEntry[];
  /** Globs anchored at a literal prefix, by prefix. */
  trie: TrieNode;
  /** `**\/name/...` globs, by the literal segment a matching path must contain. */
  anywhere: Map<string, number[]>;
  /** Globs with no literal anchor at all: always candidates. */
  floating: number[];
  /** Self-protection: never written (ceros state and binary, Claude Code settings and hooks). */
  protectedWrite: ProtectedGlob[];
  /** Self-protection: never read (ceros state: keys, journal). */
  protectedRead: ProtectedGlob[];
  /** Self-protection: never deleted or moved away (the project folder, any `.claude` folder). */
  protectedDelete: ProtectedGlob[];
  caseInsensitive: boolean;
  /** Sorted candidate lists by path (or glob), reused across calls: sessions revisit the same paths. */
  candidates: Map<string, number[]>;
  /** Self-protection results by resolved path forms and access kind. */
  protectedHits: Map<string, ProtectedGlob | null>;
}

export interface PathEntry {
  rule: CompiledRule;
  paths: PathGlob[];
  except: PathGlob[];
}

export interface ProtectedGlob {
  glob: PathGlob;
  what: string;
  /** A deletion guard (protectedDelete): the message says "delete or move". */
  deletion?: boolean;
}

export interface TrieNode {
  children: Map<string, TrieNode>;
  entries: number[];
  subtree?: number[];
}

const realpathIds = new WeakMap<RealpathFn, number>();
let nextRealpathId = 1;
const MAX_INSTANCES = 16;

export function instantiate(
  policy: CompiledPolicy,
  ctx: EvaluationContext,
  projectDir: string,
): PathInstance {
  let realpathId = realpathIds.get(ctx.realpath);
  if (realpathId === undefined) {
    realpathId = nextRealpathId++;
    realpathIds.set(ctx.realpath, realpathId);
  }
  const key = [
    realpathId,
    ctx.home,
    projectDir,
    ctx.cerosHome,
    ctx.cerosBinary,
    ctx.claudeConfigDir ?? '',
    (ctx.protectedFiles ?? []).join('\u0001'),
    ctx.caseInsensitivePaths ? 'i' : '',
  ].join('\u0000');
  const cached = policy.instances.get(key) as PathInstance | undefined;
  if (cached) return cached;
  const instance = build(policy, ctx, projectDir);
  if (policy.instances.size >= MAX_INSTANCES) policy.instances.clear();
  policy.instances.set(key, instance);
  return instance;
}

function build(policy: CompiledPolicy, ctx: EvaluationContext, projectDir: string): PathInstance {
  const caseInsensitive = ctx.caseInsensitivePaths === true;
  const variants = (path: string) =>
    unique([normaliseAbsolute(path), safeRealpath(normaliseAbsolute(path), ctx.realpath)]);
  const vars: Placeholders = {
    project: variants(projectDir),
    home: variants(ctx.home),
    cerosHome: variants(ctx.cerosHome),
  };
  const compile = (patterns: readonly string[]) =>
    patterns.flatMap((pattern) => instantiatePattern(pattern, vars, ctx.realpath, caseInsensitive));
  const entries = policy.pathRules.map((rule) => ({
    rule,
    paths: compile(rule.paths),
    except: compile(rule.exceptPaths),
  }));
  const trie: TrieNode = { children: new Map(), entries: [] };
  const anywhere = new Map<string, number[]>();
  const floating: number[] = [];
  const addTo = (list: number[], index: number) => {
    if (!list.includes(index)) list.push(index);
  };
  entries.forEach((entry, index) => {
    for (const glob of entry.paths) {
      const [first, second] = glob.segments;
      if (first?.kind !== 'literal') {
        if (first?.kind === 'globstar' && second?.kind === 'literal') {
          const key = caseInsensitive ? second.text.toLowerCase() : second.text;
          const list = anywhere.get(key);
          if (list) addTo(list, index);
          else anywhere.set(key, [index]);
        } else addTo(floating, index);
        continue;
      }
      let node = trie;
      for (const segment of glob.segments) {
        if (segment.kind !== 'literal') break;
        const part = caseInsensitive ? segment.text.toLowerCase() : segment.text;
        let child = node.children.get(part);
        if (!child) {
          child = { children: new Map(), entries: [] };
          node.children.set(part, child);
        }
        node = child;
      }
      if (!node.entries.includes(index)) node.entries.push(index);
    }
  });
  const claudeDir = ctx.claudeConfigDir ?? `${ctx.home}/.claude`;
  const protect = (pattern: string, what: string) =>
    instantiatePattern(pattern, vars, ctx.realpath, caseInsensitive).map((glob) => ({ glob, what }));
  const protectedWrite = [
    ...protect('${cerosHome}/**', 'ceros state (CEROS_HOME)'),
    ...protect(escapeGlob(normaliseAbsolute(ctx.cerosBinary)), 'the ceros binary'),
    ...protect('**/.claude/settings*.json', 'Claude Code settings'),
    ...protect(`${escapeGlob(normaliseAbsolute(claudeDir))}/settings*.json`, 'Claude Code user settings'),
    ...protect(`${escapeGlob(normaliseAbsolute(claudeDir))}/.claude.json*`, 'Claude Code configuration'),
    ...protect('${home}/.claude.json*', 'Claude Code configuration (~/.claude.json)'),
    ...protect('/etc/claude-code/**', 'Claude Code managed settings'),
    ...protect('/Library/Application Support/ClaudeCode/**', 'Claude Code managed settings'),
    ...(ctx.protectedFiles ?? []).flatMap((file) =>
      protect(escapeGlob(normaliseAbsolute(file)), `the policy file in force ("${file}")`),
    ),
  ];
  const protectedRead = protect('${cerosHome}/**', 'ceros state (CEROS_HOME)');
  const protectedDelete = [
    ...protect('${project}', 'the project folder'),
    ...protect('**/.claude', 'the .claude folder (Claude Code settings, agents, commands)'),
  ].map((item) => ({ ...item, deletion: true }));
  return {
    entries,
    trie,
    anywhere,
    floating,
    protectedWrite,
    protectedRead,
    protectedDelete,
    caseInsensitive,
    candidates: new Map(),
    protectedHits: new Map(),
  };
}

interface Placeholders {
  project: string[];
  home: string[];
  cerosHome: string[];
}

/** Resolves placeholders and braces, normalises, and adds the realpath'd-prefix form. */
export function instantiatePattern(
  pattern: string,
  vars: Placeholders,
  realpath: RealpathFn,
  caseInsensitive: boolean,
): PathGlob[] {
  const sources = new Set<string>();
  for (const alternative of expandBraces(pattern) ?? [pattern]) {
    for (const absolute of substitute(alternative, vars)) {
      const normal = normaliseGlobSource(absolute);
      sources.add(normal);
      const glob = compilePathGlob(normal);
      if (glob.staticPrefix !== '/') {
        const real = safeRealpath(glob.staticPrefix, realpath);
        if (real !== glob.staticPrefix) {
          const literalCount = glob.segments.findIndex((segment) => segment.kind !== 'literal');
          const rest = splitSegments(normal).slice(literalCount < 0 ? glob.segments.length : literalCount);
          sources.add(`${escapeGlob(real)}${rest.length > 0 ? `/${rest.join('/')}` : ''}`);
        }
      }
    }
  }
  return [...sources].map((source) => compilePathGlob(source, { caseInsensitive }));
}

function substitute(pattern: string, vars: Placeholders): string[] {
  const withRest = (values: string[], rest: string) => values.map((value) => `${escapeGlob(value)}${rest}`);
  if (pattern.startsWith('${project}')) return withRest(vars.project, pattern.slice('${project}'.length));
  if (pattern.startsWith('${home}')) return withRest(vars.home, pattern.slice('${home}'.length));
  if (pattern.startsWith('${cerosHome}'))
    return withRest(vars.cerosHome, pattern.slice('${cerosHome}'.length));
  if (pattern === '~' || pattern.startsWith('~/')) return withRest(vars.home, pattern.slice(1));
  if (pattern.startsWith('**/') || pattern === '**') return [`/${pattern}`];
  return [pattern];
}

/** Collapses `.` and `..` segments of an escaped absolute glob (policy authors may write them). */
export function normaliseGlobSource(source: string): string {
  const out: string[] = [];
  for (const segment of splitSegments(source)) {
    if (segment === '.') continue;
    if (segment === '..') {
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** Indices of entries whose positive patterns may match `path` (or, recursive, anything below it). */
export function candidateEntries(
  instance: PathInstance,
  segments: readonly string[],
  recursive: boolean,
  out: Set<number>,
): void {
  for (const index of instance.floating) out.add(index);
  for (const index of instance.trie.entries) out.add(index);
  let node: TrieNode | undefined = instance.trie;
  for (const raw of segments) {
    const part = instance.caseInsensitive ? raw.toLowerCase() : raw;
    const list = instance.anywhere.get(part);
    if (list) for (const index of list) out.add(index);
    if (node) {
      node = node.children.get(part);
      if (node) for (const index of node.entries) out.add(index);
    }
  }
  if (recursive && node) for (const index of subtree(node)) out.add(index);
}

/** Candidates for a glob access: anything along or below its literal prefix, and anchor-free globs it could reach. */
export function candidateEntriesForGlob(instance: PathInstance, glob: PathGlob, out: Set<number>): void {
  for (const index of instance.floating) out.add(index);
  for (const index of instance.trie.entries) out.add(index);
  let node: TrieNode | undefined = instance.trie;
  for (const raw of glob.prefixSegments) {
    const part = instance.caseInsensitive ? raw.toLowerCase() : raw;
    const list = instance.anywhere.get(part);
    if (list) for (const index of list) out.add(index);
    node = node?.children.get(part);
    if (node) for (const index of node.entries) out.add(index);
  }
  if (node) for (const index of subtree(node)) out.add(index);
  const rest = glob.segments.slice(glob.prefixSegments.length);
  for (const [name, list] of instance.anywhere) {
    if (
      rest.some(
        (segment) =>
          segment.kind === 'globstar' ||
          (segment.kind === 'literal' ? segment.text === name : segment.re.test(name)),
      )
    ) {
      for (const index of list) out.add(index);
    }
  }
}

const MAX_CACHED_CANDIDATES = 4096;

/** Sorted candidate entry indices for literal paths or one glob, memoised on the instance. */
export function cachedCandidates(
  instance: PathInstance,
  key: string,
  collect: (out: Set<number>) => void,
): number[] {
  const cached = instance.candidates.get(key);
  if (cached) return cached;
  const found = new Set<number>();
  collect(found);
  const sorted = [...found].sort((a, b) => a - b);
  if (instance.candidates.size >= MAX_CACHED_CANDIDATES) instance.candidates.clear();
  instance.candidates.set(key, sorted);
  return sorted;
}

function subtree(node: TrieNode): number[] {
  if (node.subtree) return node.subtree;
  const out = new Set<number>(node.entries);
  for (const child of node.children.values()) for (const index of subtree(child)) out.add(index);
  node.subtree = [...out];
  return node.subtree;
}

export function unescapedPrefix(glob: PathGlob): string {
  return unescapeGlob(glob.staticPrefix);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
