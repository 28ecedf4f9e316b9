import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { checkPolicy, type PolicyIssue, type PolicyIssueCode } from './check.ts';
import { type PolicyDocument, policyDocumentSchema } from './schema.ts';

export type ParsePolicyResult = { ok: true; value: PolicyDocument } | { ok: false; issues: PolicyIssue[] };

export interface ParsePolicyOptions {
  /** `json` also requires strict JSON; by default the text is read as YAML (JSON is a subset). */
  format?: 'yaml' | 'json';
}

/**
 * Parses a policy file. Returns every problem, each with its path and, from the source text, its
 * line and column: syntax errors, unknown fields, wrong types, invalid values, duplicate ids,
 * contradicting rules.
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): ParsePolicyResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    version: '1.2',
  });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntax: PolicyIssue[] = [...doc.errors, ...doc.warnings].map((error) => ({
    code: 'SYNTAX',
    path: [],
    message: firstLine(error.message),
    ...position(error.pos[0]),
  }));
  if (syntax.length > 0) return { ok: false, issues: syntax };
  if (options.format === 'json') {
    try {
      JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        issues: [
          { code: 'SYNTAX', path: [], message: `Invalid JSON: ${firstLine((error as Error).message)}` },
        ],
      };
    }
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      issues: [{ code: 'SYNTAX', path: [], message: firstLine((error as Error).message) }],
    };
  }
  const result = parsePolicyObject(raw);
  if (result.ok) return result;
  const locate = (path: Array<string | number>, key?: string) => {
    const node = findNode(doc.contents, path, key);
    return node?.range ? position(node.range[0]) : {};
  };
  return {
    ok: false,
    issues: result.issues.map((issue) => {
      const key = issue.code === 'UNKNOWN_FIELD' ? String(issue.path[issue.path.length - 1]) : undefined;
      return { ...issue, ...locate(key === undefined ? issue.path : issue.path.slice(0, -1), key) };
    }),
  };
}

/** Validates an already-decoded value (a bundle payload, a JSON object); issues carry paths only. */
export function parsePolicyObject(raw: unknown): ParsePolicyResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [
        {
          code: 'WRONG_TYPE',
          path: [],
          message: 'A policy must be an object with version, default and rules',
        },
      ],
    };
  }
  const parsed = policyDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    // Report the semantic problems of the parts that are well-formed too: every problem, at once.
    const issues = issuesFromZod(parsed.error.issues, raw);
    const seen = new Set(issues.map((issue) => JSON.stringify(issue.path)));
    for (const extra of checkPolicy(raw as PolicyDocument))
      if (!seen.has(JSON.stringify(extra.path))) issues.push(extra);
    return { ok: false, issues };
  }
  const issues = checkPolicy(parsed.data);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: parsed.data };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/\s+$/, '');
}

type ZodIssue = z.core.$ZodIssue;

function issuesFromZod(zodIssues: readonly ZodIssue[], root: unknown): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of zodIssues) {
    const path = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({
          code: 'UNKNOWN_FIELD',
          path: [...path, key],
          message: `Unknown field "${key}"${hint(path, key)}`,
        });
      continue;
    }
    if (issue.code === 'invalid_union') {
      const branch = bestBranch(issue.errors);
      if (branch) {
        out.push(
          ...issuesFromZod(
            branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })),
            root,
          ),
        );
        continue;
      }
    }
    const present = valueAt(root, path) !== undefined;
    let code: PolicyIssueCode = 'INVALID_VALUE';
    let message = issue.message;
    if (issue.code === 'invalid_type') {
      code = present ? 'WRONG_TYPE' : 'MISSING_FIELD';
      message = present
        ? `must be ${article(issue.expected)}, not ${describe(valueAt(root, path))}`
        : `is required (${article(issue.expected)})`;
    } else if (issue.code === 'invalid_value') {
      message = `must be ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
    } else if (issue.code === 'invalid_union') {
      message = 'has a value of the wrong shape';
    }
    out.push({ code, path, message });
  }
  return out;
}

/** For unions, report the branch that got furthest: the one whose issues are deepest. */
function bestBranch(branches: readonly (readonly ZodIssue[])[]): readonly ZodIssue[] | undefined {
  let best: readonly ZodIssue[] | undefined;
  let bestDepth = 0;
  for (const branch of branches) {
    const depth = Math.min(
      ...branch.map((issue) => issue.path.length + (issue.code === 'invalid_type' ? 0 : 0.5)),
    );
    if (branch.length > 0 && depth > bestDepth) {
      best = branch;
      bestDepth = depth;
    }
  }
  return best;
}

const KNOWN_FIELDS = [
  'id',
  'description',
  'effect',
  'reason',
  'mode',
  'tools',
  'sessionModes',
  'when',
  'paths',
  'access',
  'programs',
  'args',
  'hosts',
  'except',
];

function hint(path: Array<string | number>, key: string): string {
  if (path[0] !== 'rules' || path.length !== 2) return '';
  const close = KNOWN_FIELDS.find((known) => distance(known.toLowerCase(), key.toLowerCase()) <= 2);
  return close ? `; did you mean "${close}"?` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, k) => k);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: Array<string | number>): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** The YAML node at `path` (or, for an unknown field, its key); falls back to the nearest parent. */
function findNode(contents: unknown, path: Array<string | number>, key?: string): Node | undefined {
  let current: unknown = contents;
  let found: Node | undefined = isNode(current) ? current : undefined;
  for (const part of path) {
    if (isMap(current)) {
      const pair = current.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part),
      );
      if (!pair) return found;
      current = pair.value;
    } else if (isSeq(current) && typeof part === 'number') current = current.items[part];
    else return found;
    if (isNode(current)) found = current;
  }
  if (key !== undefined && isMap(current)) {
    const pair = current.items.find(
      (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key,
    );
    if (pair && isNode(pair.key)) return pair.key;
  }
  return found;
}
