/**
 * Captures golden hook payloads from the real Claude Code into tests/fixtures/hooks/, and one real
 * Messages API request into tests/fixtures/api/.
 *
 *   bun tests/src/harness/capture-hook-fixtures.ts [--out tests/fixtures] [--events A,B,...]
 *
 * One `claude -p` run with a `--settings` command hook on every event that copies its stdin to a
 * file, driven by a scripted API through Bash, Read, Grep, Glob, Write, Edit, an MCP tool, a failing
 * Bash command, a Bash command a `permissions.deny` rule blocks, and an Agent subagent that itself runs Bash.
 * Temp paths, ids and timings are then replaced by stable placeholders (see {@link normalise}).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ClaudeVersion, makeSandbox, runClaude } from './claude.ts';

/** The Claude Code version the stored hook fixtures were captured from. */
export const FIXTURE_CLAUDE_VERSION: ClaudeVersion = '2.1.197';

import { mcpConfig, readMcpLog } from './mcp-server.ts';
import type { RecordedRequest, Turn } from './scripted-api.ts';
import { startScriptedApi, toolUseBlock, turn } from './scripted-api.ts';

/** The events captured by default: the ones ceros hooks into. */
export const CAPTURED_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'PostToolUseFailure',
  'PostToolBatch',
  'PermissionDenied',
  'SubagentStart',
  'SubagentStop',
  'Stop',
  'SessionEnd',
] as const;

/** Events whose settings entry takes a tool-name matcher. */
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionDenied']);

/** Stable stand-ins written into the fixtures. */
export const PLACEHOLDER = {
  home: '/home/dev',
  project: '/home/dev/project',
  sessionId: '00000000-0000-4000-8000-000000000001',
  date: '2026-01-01',
  osVersion: 'Linux 6.0.0',
} as const;

/** Tool-use ids chosen by the script; their names become the fixture case names. */
const CASES: Record<string, string> = {
  toolu_01bash: 'bash',
  toolu_01read: 'read',
  toolu_01grep: 'grep',
  toolu_01glob: 'glob',
  toolu_01write: 'write',
  toolu_01edit: 'edit',
  toolu_01mcp: 'mcp',
  toolu_01bashfail: 'bash-failing',
  toolu_01denied: 'denied',
  toolu_01agent: 'agent',
  toolu_01subbash: 'subagent-bash',
};

export interface CaptureResult {
  /** File name (in hooks/) -> normalised payload. */
  hooks: Map<string, unknown>;
  /** The first main-loop request, normalised. */
  apiRequest: unknown;
  mcpCalls: number;
  exitCode: number;
}

/** Runs the capture session and returns normalised payloads; writes nothing. */
export async function captureHookPayloads(
  events: readonly string[] = CAPTURED_EVENTS,
): Promise<CaptureResult> {
  const notes = 'alpha line\nbeta line\ngamma line\n';
  const script = (project: string): Turn[] => [
    turn('Listing.', toolUseBlock('Bash', { command: 'ls -a', description: 'List files' }, 'toolu_01bash')),
    turn(
      toolUseBlock('Read', { file_path: `${project}/notes.txt` }, 'toolu_01read'),
      toolUseBlock('Grep', { pattern: 'beta', path: project, output_mode: 'content' }, 'toolu_01grep'),
      toolUseBlock('Glob', { pattern: '**/*.txt', path: project }, 'toolu_01glob'),
    ),
    turn(toolUseBlock('Write', { file_path: `${project}/hello.txt`, content: 'hello\n' }, 'toolu_01write')),
    turn(
      toolUseBlock(
        'Edit',
        { file_path: `${project}/hello.txt`, old_string: 'hello', new_string: 'hello, world' },
        'toolu_01edit',
      ),
    ),
    turn(toolUseBlock('mcp__alpha__echo', { text: 'ping' }, 'toolu_01mcp')),
    turn(toolUseBlock('Bash', { command: 'exit 3', description: 'Fail on purpose' }, 'toolu_01bashfail')),
    turn(toolUseBlock('Bash', { command: 'rm hello.txt', description: 'Remove a file' }, 'toolu_01denied')),
    turn(
      toolUseBlock(
        'Agent',
        { description: 'Say hi from a subagent', prompt: 'Run echo hi', subagent_type: 'general-purpose' },
        'toolu_01agent',
      ),
    ),
    // The subagent's own loop: its requests consume the next turns.
    turn(toolUseBlock('Bash', { command: 'echo hi', description: 'Say hi' }, 'toolu_01subbash')),
    turn('Subagent finished: hi'),
    turn('All done.'),
  ];

  // The stored fixtures are 2.1.197's (tests/fixtures/hooks/README.md); 2.1.337's script would differ
  // (deferred tools, background agents), so the capture stays on the version it describes.
  const sandbox = makeSandbox({ claudeVersion: FIXTURE_CLAUDE_VERSION });
  const dumpDir = join(sandbox.home, 'hook-dumps');
  mkdirSync(dumpDir);
  const logFile = join(sandbox.home, 'mcp-alpha.log');
  writeFileSync(join(sandbox.project, 'notes.txt'), notes);
  const api = startScriptedApi(script(sandbox.project));
  sandbox.env.ANTHROPIC_BASE_URL = api.url;

  const hooks: Record<string, unknown[]> = {};
  for (const event of events) {
    // Name: <event>.<ns clock>.<pid>.json, so the files sort in firing order.
    const command = `cat > "${dumpDir}/${event}.$(date +%s%N).$$.json"`;
    const entry = { hooks: [{ type: 'command', command, timeout: 30 }] };
    hooks[event] = [TOOL_EVENTS.has(event) ? { matcher: '*', ...entry } : entry];
  }
  // A pattern rule: a bare tool name (`WebFetch`) would drop the tool from the request instead.
  const settings = { hooks, permissions: { deny: ['Bash(rm:*)'] } };

  try {
    const run = await runClaude({
      cmd: [sandbox.claude],
      args: [
        '-p',
        'Exercise the tools',
        '--output-format',
        'json',
        '--settings',
        JSON.stringify(settings),
        '--mcp-config',
        JSON.stringify(mcpConfig('alpha', logFile)),
        '--strict-mcp-config',
        // Naming Grep here also puts Glob and Grep into the tool list: 2.1.197 leaves them out
        // by default (see tests/src/harness/README.md).
        '--allowedTools',
        'Bash,Read,Grep,Glob,Write,Edit,Agent,mcp__alpha__echo',
      ],
      env: sandbox.env,
      cwd: sandbox.project,
      timeoutMs: 90_000,
    });
    if (run.exitCode !== 0) {
      throw new Error(`Cannot capture hooks: claude exited ${run.exitCode}: ${run.stderr}${run.stdout}`);
    }
    const files = readdirSync(dumpDir)
      .filter((f) => f.endsWith('.json'))
      .sort((a, b) => sortKey(a) - sortKey(b));
    const raw = files.map((f) => ({
      file: f,
      payload: JSON.parse(readFileSync(join(dumpDir, f), 'utf8')) as unknown,
    }));
    const ids = collectIds(raw.map((r) => r.payload));
    const normaliser = (value: unknown): unknown => normalise(value, sandbox.home, ids);

    const out = new Map<string, unknown>();
    for (const { payload } of raw) {
      const name = fixtureName(payload);
      let candidate = `${name}.json`;
      for (let n = 2; out.has(candidate); n++) candidate = `${name}-${n}.json`;
      out.set(candidate, normaliser(payload));
    }
    const firstTurn = api.requests.find((r: RecordedRequest) => r.kind === 'turn');
    return {
      hooks: out,
      apiRequest: normaliser(firstTurn?.body),
      mcpCalls: (await readMcpLog(logFile)).filter((e) => e.event === 'call').length,
      exitCode: run.exitCode,
    };
  } finally {
    await api.close();
    sandbox.cleanup();
  }
}

function sortKey(file: string): number {
  return Number(file.split('.')[1] ?? 0);
}

function fixtureName(payload: unknown): string {
  const p = asRecord(payload);
  const event = String(p.hook_event_name);
  const toolCase = typeof p.tool_use_id === 'string' ? CASES[p.tool_use_id] : undefined;
  if (toolCase !== undefined) return `${event}-${toolCase}`;
  switch (event) {
    case 'SessionStart':
      return `${event}-${String(p.source)}`;
    case 'SessionEnd':
      return `${event}-${String(p.reason)}`;
    case 'SubagentStart':
    case 'SubagentStop':
      return `${event}-${String(p.agent_type)}`;
    case 'PostToolBatch': {
      const calls = Array.isArray(p.tool_calls) ? p.tool_calls.map(asRecord) : [];
      const names = calls.map((c) => CASES[String(c.tool_use_id)] ?? String(c.tool_name).toLowerCase());
      return `${event}-${names.join('-') || 'empty'}`;
    }
    case 'UserPromptSubmit':
      return `${event}-prompt`;
    case 'Stop':
      return `${event}-end-turn`;
    default:
      return `${event}-payload`;
  }
}

interface IdMap {
  /** Real id -> placeholder, applied as plain string replacement. */
  replacements: Array<[string, string]>;
}

/** Gathers session, prompt and agent ids in order of first appearance and assigns placeholders. */
export function collectIds(payloads: unknown[]): IdMap {
  const uuids: string[] = [];
  const agents: string[] = [];
  const uuidRe = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  for (const payload of payloads) {
    const text = JSON.stringify(payload);
    for (const m of text.matchAll(uuidRe)) if (!uuids.includes(m[0])) uuids.push(m[0]);
    const agentId = asRecord(payload).agent_id;
    if (typeof agentId === 'string' && !agents.includes(agentId)) agents.push(agentId);
  }
  const replacements: Array<[string, string]> = [];
  uuids.forEach((id, i) => {
    replacements.push([id, `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`]);
  });
  agents.forEach((id, i) => {
    replacements.push([id, `a${String(i + 1).padStart(id.length - 1, '0')}`]);
  });
  return { replacements };
}

/** Keys whose values vary run to run (timings, token counts) and are pinned to a constant. */
const VOLATILE_NUMBER_KEYS =
  /^(duration_ms|durationMs|totalDurationMs|duration_api_ms|totalTokens|totalToolUseCount|input_tokens|output_tokens|cache_creation_input_tokens|cache_read_input_tokens|ephemeral_1h_input_tokens|ephemeral_5m_input_tokens)$/;

/**
 * Makes a payload deterministic: the sandbox HOME becomes `/home/dev` (and its dash-encoded form
 * in transcript paths `-home-dev-project`), ids (session, prompt, agent, device) become
 * placeholders, the date and OS version in the prompt become those of {@link PLACEHOLDER}, and timings and
 * token counts become 0. Everything else is kept byte-for-byte.
 */
export function normalise(value: unknown, home: string, ids: IdMap): unknown {
  let text = JSON.stringify(value ?? null);
  const encodedHome = home.replace(/[^a-zA-Z0-9]/g, '-');
  text = text
    .replaceAll(home, PLACEHOLDER.home)
    .replaceAll(encodedHome, PLACEHOLDER.home.replace(/\//g, '-'));
  for (const [real, placeholder] of ids.replacements) text = text.replaceAll(real, placeholder);
  text = text
    // metadata.user_id is itself JSON, so its quotes arrive escaped (once or more).
    .replace(/(device_id\\+":\\+")[0-9a-f]{64}/g, `$1${'0'.repeat(64)}`)
    // The Agent tool result ends with a usage footer: "duration_ms: 159</usage>".
    .replace(/(duration_ms|subagent_tokens): \d+/g, '$1: 0')
    .replace(/Today's date is \d{4}-\d{2}-\d{2}/g, `Today's date is ${PLACEHOLDER.date}`)
    // The system prompt names the host kernel: "OS Version: Linux 6.18.44-...".
    .replace(/(OS Version: )[^\\"]+/g, `$1${PLACEHOLDER.osVersion}`);
  return JSON.parse(text, (key, v: unknown) =>
    typeof v === 'number' && VOLATILE_NUMBER_KEYS.test(key) ? 0 : v,
  );
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const eventsIndex = args.indexOf('--events');
  const outRoot = resolve(outIndex >= 0 ? (args[outIndex + 1] ?? 'tests/fixtures') : 'tests/fixtures');
  const events = eventsIndex >= 0 ? (args[eventsIndex + 1] ?? '').split(',') : CAPTURED_EVENTS;
  const result = await captureHookPayloads(events);
  const hooksDir = join(outRoot, 'hooks');
  const apiDir = join(outRoot, 'api');
  mkdirSync(hooksDir, { recursive: true });
  mkdirSync(apiDir, { recursive: true });
  for (const old of readdirSync(hooksDir)) if (old.endsWith('.json')) rmSync(join(hooksDir, old));
  for (const [name, payload] of result.hooks) {
    writeFileSync(join(hooksDir, name), `${JSON.stringify(payload, null, 2)}\n`);
  }
  writeFileSync(join(apiDir, 'messages-request.json'), `${JSON.stringify(result.apiRequest, null, 2)}\n`);
  process.stdout.write(
    `Captured ${result.hooks.size} hook payloads (MCP calls: ${result.mcpCalls}) into ${hooksDir}\n` +
      `${[...result.hooks.keys()].join('\n')}\n`,
  );
}
