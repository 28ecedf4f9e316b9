import { describe, expect, test } from 'bun:test';
import { parsePolicy, parsePolicyObject } from './parse-policy.ts';

describe('parsePolicy()', () => {
  test('accepts the minimal JSON policy the agent spine uses', () => {
    const result = parsePolicy(
      '{ "version": 1, "default": "allow", "rules": [ { "id": "no-bash", "tools": ["Bash"], "effect": "deny", "reason": "Bash is disabled for this team" } ] }',
      { format: 'json' },
    );
    expect(result.ok).toBe(true);
  });

  test('lists every problem at once, each with path, line and column', () => {
    const result = parsePolicy(
      [
        'version: 2',
        'default: allow',
        'rules:',
        '  - id: a',
        '    effect: nope',
        '    tool: [Bash]',
        '',
      ].join('\n'),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(
      result.issues.map((issue) => [issue.code, issue.path.join('.'), issue.line, issue.column]),
    ).toEqual([
      ['INVALID_VALUE', 'version', 1, 10],
      ['INVALID_VALUE', 'rules.0.effect', 5, 13],
      ['UNKNOWN_FIELD', 'rules.0.tool', 6, 5],
      ['INVALID_RULE', 'rules.0', 4, 5],
    ]);
    expect(result.issues[2]?.message).toBe('Unknown field "tool"; did you mean "tools"?');
  });

  test('rejects duplicate keys and several documents as syntax errors', () => {
    expect(parsePolicy('version: 1\nversion: 1\ndefault: allow\n').ok).toBe(false);
    expect(parsePolicy('version: 1\ndefault: allow\n---\nversion: 1\n').ok).toBe(false);
  });

  test('requires strict JSON for .json files', () => {
    const result = parsePolicy('{ version: 1, default: allow }', { format: 'json' });
    expect(result.ok ? [] : result.issues.map((issue) => issue.code)).toEqual(['SYNTAX']);
  });

  test('rejects contradicting rules and says which', () => {
    const result = parsePolicyObject({
      version: 1,
      default: 'allow',
      rules: [
        { id: 'a', tools: ['Bash'], effect: 'deny' },
        { id: 'b', tools: ['Bash'], effect: 'allow' },
      ],
    });
    expect(result.ok ? [] : result.issues.map((issue) => issue.code)).toEqual(['CONFLICT']);
  });

  test('rejects unanchored path patterns and unknown placeholders', () => {
    const result = parsePolicyObject({
      version: 1,
      default: 'allow',
      rules: [{ id: 'a', paths: ['secrets/**', '${repo}/x'], effect: 'deny' }],
    });
    expect(result.ok ? [] : result.issues.map((issue) => issue.path.join('.'))).toEqual([
      'rules.0.paths.0',
      'rules.0.paths.1',
    ]);
  });

  test('rejects a non-object', () => {
    expect(parsePolicyObject([1, 2]).ok).toBe(false);
    expect(parsePolicy('just a string').ok).toBe(false);
  });
});
