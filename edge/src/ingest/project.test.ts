import { describe, expect, test } from 'bun:test';
import type { JournalEntry, JsonValue } from '@ceros/protocol';
import { mcpServerOfTool, postureVerdict, projectEntry } from './project.ts';

const entry = (type: string, payload: JsonValue): JournalEntry => ({
  v: 1,
  device: 'd',
  seq: 7,
  prev: '0'.repeat(64),
  time: '2026-01-15T12:00:00.000Z',
  session: 's',
  type,
  payload,
  sig: 'x'.repeat(86),
});

describe('projectEntry()', () => {
  test.each([
    ['prompt', { text: 'hi' }, { kind: 'prompt', text: 'hi' }],
    ['session.end', { exitCode: 2 }, { kind: 'session.end', exitCode: 2 }],
    ['session.end', { exitCode: 'two' }, { kind: 'session.end', exitCode: null }],
    [
      'mcp.server',
      { name: 'gh', identity: { command: 'npx' }, status: 'blocked' },
      { kind: 'mcp.server', name: 'gh', identity: '{"command":"npx"}', status: 'blocked' },
    ],
    ['mcp.server', { identity: 'x' }, { kind: 'none' }],
    ['alert', { kind: 'posture', message: 'disk' }, { kind: 'alert', alertKind: 'posture', message: 'disk' }],
    ['hook.notification', { message: 'x' }, { kind: 'none' }],
    ['api.request', null, { kind: 'none' }],
  ] as [string, JsonValue, unknown][])('projects %s %j', (type, payload, expected) => {
    expect(projectEntry(entry(type, payload))).toEqual(expected as never);
  });

  test('a tool decision with missing fields still projects, keyed by seq when it has no tool-use id', () => {
    expect(projectEntry(entry('tool.decision', { toolName: 'mcp__gh__list' }))).toMatchObject({
      kind: 'tool.decision',
      toolUseId: 'seq:7',
      toolName: 'mcp__gh__list',
      mcpServer: 'gh',
      effect: null,
      input: '',
    });
  });

  test('a tool definition without a hash is hashed over its name, description and schema', () => {
    const a = projectEntry(entry('tool.definition', { name: 'T', inputSchema: { type: 'object' } }));
    const b = projectEntry(entry('tool.definition', { name: 'T', inputSchema: { type: 'array' } }));
    expect(a.kind === 'tool.definition' && b.kind === 'tool.definition' && a.hash !== b.hash).toBe(true);
  });

  test('a huge tool result is clipped for the search index', () => {
    const p = projectEntry(
      entry('tool.result', { toolUseId: 't', toolName: 'Read', response: 'x'.repeat(100_000) }),
    );
    expect(p.kind === 'tool.result' && p.response.length).toBe(8192);
  });
});

describe('postureVerdict()', () => {
  test.each([
    [{ ok: true }, true],
    [{ ok: false }, false],
    [{ status: 'FAIL' }, false],
    [{ status: 'pass' }, true],
    [{ failures: [] }, true],
    [{ failures: ['fw'] }, false],
    [{ checks: [{ status: 'pass' }, { status: 'fail' }] }, false],
    [{ checks: [{ ok: true }] }, true],
    [{ something: 1 }, null],
    ['ok', null],
  ] as [JsonValue, boolean | null][])('reads %j as %p', (posture, verdict) => {
    expect(postureVerdict(posture)).toBe(verdict);
  });
});

test('mcpServerOfTool() reads the server out of mcp__server__tool names only', () => {
  expect(mcpServerOfTool('mcp__github__create_issue')).toBe('github');
  expect(mcpServerOfTool('Bash')).toBeNull();
});
