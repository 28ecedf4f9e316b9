import type { PolicyIssue } from '../document/check.ts';
import { organizationPatternProblem, vendoredRules } from './rules.ts';

/**
 * What the schema cannot check in `redaction`: each pattern compiles as RE2 (the engine it runs
 * on), pattern ids are unique, and `disable` names rules that exist. Runs on documents that failed
 * the schema too, so it assumes no shape.
 */
export function checkRedaction(section: unknown, issues: PolicyIssue[]): void {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) return;
  const { patterns, disable } = section as { patterns?: unknown; disable?: unknown };
  const seen = new Map<string, number>();
  if (Array.isArray(patterns))
    patterns.forEach((pattern, index) => {
      if (pattern === null || typeof pattern !== 'object') return;
      const { id, regex } = pattern as { id?: unknown; regex?: unknown };
      if (typeof regex === 'string' && regex.length > 0) {
        const problem = organizationPatternProblem(regex);
        if (problem)
          issues.push({
            code: 'INVALID_VALUE',
            path: ['redaction', 'patterns', index, 'regex'],
            message: `Pattern is not a valid RE2 regular expression: ${problem}`,
          });
      }
      if (typeof id === 'string') {
        const first = seen.get(id);
        if (first !== undefined)
          issues.push({
            code: 'DUPLICATE_ID',
            path: ['redaction', 'patterns', index, 'id'],
            message: `Pattern id "${id}" is already used by redaction.patterns[${first}]`,
          });
        else seen.set(id, index);
      }
    });
  if (Array.isArray(disable)) {
    const known = new Set(vendoredRules().rules.map((r) => r.id));
    disable.forEach((id, index) => {
      if (typeof id === 'string' && !known.has(id))
        issues.push({
          code: 'INVALID_VALUE',
          path: ['redaction', 'disable', index],
          message: `No vendored rule is named "${id}"`,
        });
    });
  }
}
