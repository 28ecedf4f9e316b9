import { checkRedaction } from '../redaction/check-redaction.ts';
import { type Condition, PATH_PATTERN, type PolicyDocument, type PolicyRule } from './schema.ts';

/** A problem in a policy document: where (path into the document), what, and a machine code. */
export interface PolicyIssue {
  code: PolicyIssueCode;
  path: Array<string | number>;
  message: string;
  /** 1-based, for YAML and JSON sources. */
  line?: number;
  column?: number;
}

export type PolicyIssueCode =
  | 'SYNTAX'
  | 'UNKNOWN_FIELD'
  | 'MISSING_FIELD'
  | 'WRONG_TYPE'
  | 'INVALID_VALUE'
  | 'INVALID_RULE'
  | 'DUPLICATE_ID'
  | 'CONFLICT';

/** Tool classes usable wherever tool names are: `@shell`, `@write`... */
export const TOOL_CLASSES: Readonly<Record<string, readonly string[]>> = {
  '@shell': ['Bash', 'BashOutput', 'KillShell', 'KillBash'],
  '@write': ['Write', 'Edit', 'MultiEdit', 'NotebookEdit'],
  '@read': ['Read', 'Grep', 'Glob', 'LS', 'NotebookRead'],
  '@network': ['WebFetch', 'WebSearch'],
  '@mcp': ['mcp__*', 'ListMcpResourcesTool', 'ReadMcpResourceTool'],
  '@agent': ['Task', 'Agent'],
};

/** Checks what the schema cannot: rule shapes, duplicate ids, contradicting rules, bad regexes. */
export function checkPolicy(doc: PolicyDocument): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  // Also run on documents that failed the schema (to list every problem), so nothing here may
  // assume a shape: malformed parts are skipped, the schema already reported them.
  const rules = (Array.isArray(doc.rules) ? doc.rules : []).map(wellFormed);
  const ids = new Map<string, number>();
  const selectors = new Map<string, number>();
  rules.forEach((rule, index) => {
    if (!rule) return;
    const at = ['rules', index];
    const first = ids.get(rule.id);
    if (first !== undefined) {
      issues.push({
        code: 'DUPLICATE_ID',
        path: [...at, 'id'],
        message: `Rule id "${rule.id}" is already used by rules[${first}]`,
      });
    } else ids.set(rule.id, index);
    checkRuleShape(rule, at, issues);
    const key = selectorKey(rule);
    const other = selectors.get(key);
    const otherRule = other === undefined ? undefined : rules[other];
    if (otherRule && otherRule.effect !== rule.effect) {
      issues.push({
        code: 'CONFLICT',
        path: at,
        message: `Rule "${rule.id}" selects exactly what rule "${otherRule.id}" (rules[${other}]) selects but says ${rule.effect} where it says ${otherRule.effect}; keep one`,
      });
    } else if (other === undefined) selectors.set(key, index);
  });
  checkTools(doc, issues);
  checkRedaction(doc.redaction, issues);
  checkTestPosture(doc, issues);
  const mcp = isObject(doc.mcp) ? doc.mcp : {};
  const allow = Array.isArray(mcp.allow) ? mcp.allow.filter(isMcpEntry) : [];
  const allowKeys = new Set(allow.map(mcpKey));
  (Array.isArray(mcp.deny) ? mcp.deny : []).forEach((entry, index) => {
    if (isMcpEntry(entry) && allowKeys.has(mcpKey(entry))) {
      issues.push({
        code: 'CONFLICT',
        path: ['mcp', 'deny', index],
        message: `MCP server ${describeMcp(entry)} is both allowed and denied`,
      });
    }
  });
  return issues;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isMcpEntry(value: unknown): value is McpEntry {
  if (typeof value === 'string') return true;
  if (!isObject(value)) return false;
  return (
    typeof value.name === 'string' ||
    typeof value.url === 'string' ||
    (Array.isArray(value.command) && value.command.every((part) => typeof part === 'string'))
  );
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

/** The rule's fields that have the right types; undefined when it is not an object with an id. */
function wellFormed(value: unknown): PolicyRule | undefined {
  if (!isObject(value) || typeof value.id !== 'string') return undefined;
  const rule: Record<string, unknown> = {
    id: value.id,
    effect: typeof value.effect === 'string' ? value.effect : 'deny',
  };
  for (const key of ['tools', 'sessionModes', 'paths', 'programs', 'args', 'hosts', 'except'] as const) {
    if (value[key] !== undefined) rule[key] = strings(value[key]) ?? [];
  }
  if (typeof value.access === 'string') rule.access = value.access;
  if (isObject(value.when)) rule.when = value.when;
  return rule as unknown as PolicyRule;
}

function checkRuleShape(rule: PolicyRule, at: Array<string | number>, issues: PolicyIssue[]): void {
  const subjects = (['paths', 'programs', 'hosts'] as const).filter((key) => rule[key] !== undefined);
  if (subjects.length > 1) {
    issues.push({
      code: 'INVALID_RULE',
      path: at,
      message: `Rule "${rule.id}" combines ${subjects.join(' and ')}; write one rule for each`,
    });
  }
  if (
    subjects.length === 0 &&
    rule.tools === undefined &&
    rule.when === undefined &&
    rule.sessionModes === undefined
  ) {
    issues.push({
      code: 'INVALID_RULE',
      path: at,
      message: `Rule "${rule.id}" selects nothing; give it tools, paths, programs or hosts`,
    });
  }
  if (rule.except && subjects.length === 0) {
    issues.push({
      code: 'INVALID_RULE',
      path: [...at, 'except'],
      message: 'except needs paths, programs or hosts to except from',
    });
  }
  if (rule.access && !rule.paths) {
    issues.push({
      code: 'INVALID_RULE',
      path: [...at, 'access'],
      message: 'access applies to paths; this rule has none',
    });
  }
  if (rule.args && !rule.programs) {
    issues.push({
      code: 'INVALID_RULE',
      path: [...at, 'args'],
      message: 'args applies to programs; this rule has none',
    });
  }
  if (rule.when && subjects.length > 0) {
    issues.push({
      code: 'INVALID_RULE',
      path: [...at, 'when'],
      message: `when tests the tool call's arguments and cannot be combined with ${subjects.join(', ')}`,
    });
  }
  if (rule.except && rule.paths) {
    rule.except.forEach((pattern, k) => {
      if (!PATH_PATTERN.test(pattern)) {
        issues.push({
          code: 'INVALID_VALUE',
          path: [...at, 'except', k],
          message: 'must be absolute or start with ~/, ${project}, ${home}, ${cerosHome} or **/',
        });
      }
    });
  }
  for (const [field, condition] of Object.entries(rule.when ?? {}))
    checkCondition(condition, [...at, 'when', field], issues);
}

function checkCondition(condition: Condition, at: Array<string | number>, issues: PolicyIssue[]): void {
  if (!isObject(condition)) return;
  if (typeof condition.regex === 'string') {
    try {
      new RegExp(condition.regex, 'u');
    } catch (error) {
      issues.push({
        code: 'INVALID_VALUE',
        path: [...at, 'regex'],
        message: `is not a valid regular expression: ${(error as Error).message}`,
      });
    }
  }
  if (condition.not !== undefined) checkCondition(condition.not, [...at, 'not'], issues);
}

function checkTools(doc: PolicyDocument, issues: PolicyIssue[]): void {
  const check = (tools: readonly string[] | undefined, at: Array<string | number>) => {
    tools?.forEach((tool, k) => {
      if (tool.startsWith('@') && !TOOL_CLASSES[tool]) {
        issues.push({
          code: 'INVALID_VALUE',
          path: [...at, k],
          message: `Unknown tool class "${tool}" (known: ${Object.keys(TOOL_CLASSES).join(', ')})`,
        });
      }
    });
  };
  (Array.isArray(doc.rules) ? doc.rules : []).forEach((rule, index) => {
    if (isObject(rule)) check(strings(rule.tools), ['rules', index, 'tools']);
  });
  for (const [fact, requirement] of Object.entries(isObject(doc.posture) ? doc.posture : {})) {
    if (isObject(requirement) && isObject(requirement.onUnmet))
      check(strings(requirement.onUnmet.deny), ['posture', fact, 'onUnmet', 'deny']);
  }
}

/**
 * A case's posture may set only facts the policy requires: any other fact changes no decision, so
 * a misspelt `firewal: ok` would leave the case deciding on an unknown firewall without a word.
 */
function checkTestPosture(doc: PolicyDocument, issues: PolicyIssue[]): void {
  const required = Object.keys(isObject(doc.posture) ? doc.posture : {});
  (Array.isArray(doc.tests) ? doc.tests : []).forEach((test, index) => {
    if (!isObject(test) || !isObject(test.posture)) return;
    for (const fact of Object.keys(test.posture)) {
      if (required.includes(fact)) continue;
      issues.push({
        code: 'INVALID_VALUE',
        path: ['tests', index, 'posture', fact],
        message:
          required.length > 0
            ? `Posture fact "${fact}" is not one the policy requires (it requires ${required.map((f) => `"${f}"`).join(', ')})`
            : `Posture fact "${fact}" changes nothing: the policy has no posture requirements`,
      });
    }
  });
}

function sorted(values: readonly string[] | undefined): string[] | null {
  return values ? [...new Set(values)].sort() : null;
}

function selectorKey(rule: PolicyRule): string {
  return JSON.stringify([
    sorted(rule.tools),
    sorted(rule.sessionModes),
    rule.when ? Object.entries(rule.when).sort(([a], [b]) => (a < b ? -1 : 1)) : null,
    sorted(rule.paths),
    rule.paths ? (rule.access ?? 'any') : null,
    sorted(rule.programs),
    sorted(rule.args),
    sorted(rule.hosts),
    sorted(rule.except),
  ]);
}

type McpEntry = NonNullable<NonNullable<PolicyDocument['mcp']>['allow']>[number];

export function mcpKey(entry: McpEntry): string {
  if (typeof entry === 'string') return `name:${entry}`;
  if ('name' in entry) return `name:${entry.name}`;
  if ('command' in entry) return `command:${JSON.stringify(entry.command)}`;
  return `url:${entry.url}`;
}

function describeMcp(entry: McpEntry): string {
  const key = mcpKey(entry);
  return `"${key.slice(key.indexOf(':') + 1)}"`;
}
