/**
 * The harness tested against the REAL Claude Code binary (the current version unless a test says
 * otherwise; no ceros involved): if these pass, e2e failures elsewhere are about ceros, not about
 * the harness.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClaudeVersion,
  CURRENT_CLAUDE_VERSION,
  claudeBinaryPath,
  makeSandbox,
  runClaude,
  type Sandbox,
  SUPPORTED_CLAUDE_VERSIONS,
} from './claude.ts';
import { mcpConfig, readMcpLog } from './mcp-server.ts';
import { startPty } from './pty.ts';
import {
  errorTurn,
  loadingDeferredTools,
  parseSse,
  type ScriptedApi,
  type ScriptFn,
  startScriptedApi,
  type Turn,
  textBlock,
  toolUseBlock,
  turn,
} from './scripted-api.ts';

const RUN_TIMEOUT_MS = 30_000;
// A test that runs the real Claude Code is bounded by its own waits (runClaude's RUN_TIMEOUT_MS,
// then SIGKILL 2 s later; the PTY test's waitFor calls), not by the runner's default of 5 s: on a
// loaded machine (one core shared with `yes`) a plain -p run took 5-9 s and every such test failed
// on the runner's limit, the 2.1.197 title test (DNS lookups and one more round trip) first.
setDefaultTimeout(RUN_TIMEOUT_MS + 5_000);
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A scripted API plus a sandbox pointed at it, both cleaned up after the file. */
function setup(
  script: Turn[] | ScriptFn,
  opts: Parameters<typeof startScriptedApi>[1] = {},
  nonessential = false,
  claudeVersion?: ClaudeVersion,
) {
  const api = startScriptedApi(script, opts);
  const sandbox = makeSandbox({
    baseUrl: api.url,
    nonessentialTraffic: nonessential,
    ...(claudeVersion ? { claudeVersion } : {}),
  });
  cleanups.push(
    () => api.close(),
    () => sandbox.cleanup(),
  );
  return { api, sandbox };
}

function print(sandbox: Sandbox, prompt: string, ...extra: string[]) {
  return runClaude({
    cmd: [sandbox.claude],
    args: ['-p', prompt, '--output-format', 'json', ...extra],
    env: sandbox.env,
    cwd: sandbox.project,
    timeoutMs: RUN_TIMEOUT_MS,
  });
}

async function post(api: ScriptedApi, path: string, body: unknown): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const TOOLS = [{ name: 'Bash', input_schema: { type: 'object' } }];

describe('scripted API on its own', () => {
  test('it streams message_start to message_stop with the tool input split over several input_json_delta events', async () => {
    const input = { command: 'echo a-fairly-long-argument-to-split', description: 'split me' };
    const api = startScriptedApi([turn('Running.', toolUseBlock('Bash', input))], { jsonChunks: 5 });
    cleanups.push(() => api.close());
    const res = await post(api, '/v1/messages?beta=true', {
      model: 'm',
      stream: true,
      tools: TOOLS,
      messages: [],
    });

    expect(res.headers.get('content-type')).toStartWith('text/event-stream');
    expect(res.headers.get('request-id')).toStartWith('req_');
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(events.every((e) => e.data.type === e.event)).toBe(true);
    const partials = events
      .map((e) => e.data.delta as { type?: string; partial_json?: string } | undefined)
      .filter((d) => d?.type === 'input_json_delta')
      .map((d) => d?.partial_json ?? '');
    expect(partials.filter((p) => p !== '').length).toBe(5);
    expect(JSON.parse(partials.join(''))).toEqual(input);
    expect(events.at(-2)?.data.delta).toMatchObject({ stop_reason: 'tool_use' });
    expect(api.toolUses[0]?.id).toMatch(/^toolu_/);
  });

  test('it answers HEAD /, count_tokens and non-streaming requests like the real API', async () => {
    const api = startScriptedApi([turn('non-stream reply')]);
    cleanups.push(() => api.close());

    expect((await fetch(`${api.url}/`, { method: 'HEAD' })).status).toBe(200);
    const count = await post(api, '/v1/messages/count_tokens?beta=true', {
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    const res = await post(api, '/v1/messages', { model: 'm', tools: TOOLS, messages: [] });
    expect(await res.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'non-stream reply' }],
      stop_reason: 'end_turn',
    });
    expect(api.requests.map((r) => r.kind)).toEqual(['probe', 'count_tokens', 'turn']);
  });

  test('a tool-less side request gets schema-shaped JSON and does not consume a turn', async () => {
    const api = startScriptedApi([turn('first turn')]);
    cleanups.push(() => api.close());
    const titleSchema = { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] };
    const side = await post(api, '/v1/messages', {
      model: 'm',
      tools: [],
      messages: [],
      output_config: { format: { type: 'json_schema', schema: titleSchema } },
    });
    const sideText = ((await side.json()) as { content: Array<{ text: string }> }).content[0]?.text ?? '';
    expect(JSON.parse(sideText)).toEqual({ title: 'Scripted session' });
    const main = await post(api, '/v1/messages', { model: 'm', tools: TOOLS, messages: [] });
    expect(await main.json()).toMatchObject({ content: [{ text: 'first turn' }] });
    expect(api.turnsUsed()).toBe(1);
  });

  test('firstByteDelayMs sends headers at once and holds back the body', async () => {
    const api = startScriptedApi([], { firstByteDelayMs: 300 });
    cleanups.push(() => api.close());
    const started = performance.now();
    const res = await post(api, '/v1/messages', { model: 'm', stream: true, tools: TOOLS, messages: [] });
    const headersAt = performance.now() - started;
    const events = parseSse(await res.text());
    const bodyAt = performance.now() - started;
    expect(headersAt).toBeLessThan(250);
    expect(bodyAt).toBeGreaterThanOrEqual(290);
    expect(events.find((e) => e.event === 'content_block_delta')?.data.delta).toMatchObject({ text: 'do' });
  });
});

describe('real Claude Code against the scripted API', () => {
  test('claude -p round-trips a Bash "ls -la" call and the tool_result holds the listing', async () => {
    const { api, sandbox } = setup([
      turn('Listing.', toolUseBlock('Bash', { command: 'ls -la', description: 'List' })),
    ]);
    writeFileSync(join(sandbox.project, 'marker-file.txt'), 'x');

    const run = await print(sandbox, 'list files', '--allowedTools', 'Bash');

    expect(run.exitCode).toBe(0);
    expect(run.json?.result).toBe('done');
    expect(run.json?.permission_denials).toEqual([]);
    const id = api.toolUses[0]?.id ?? '';
    const result = api.toolResultFor(id);
    expect(result?.isError).toBe(false);
    expect(result?.content).toContain('marker-file.txt');
    expect(result?.content).toStartWith('total ');
    // The title request is suppressed by CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, so every
    // message request is a turn: the tool call, then the reply to its result.
    expect(api.requests.filter((r) => r.path === '/v1/messages').map((r) => r.kind)).toEqual([
      'turn',
      'turn',
    ]);
    expect(api.requests[1]?.headers['x-claude-code-session-id']).toBe(run.json?.session_id ?? 'missing');
  });

  test('a tool_use whose input arrives in 16 input_json_delta chunks reaches the tool intact', async () => {
    const word = 'chunked-input-'.repeat(8);
    const { api, sandbox } = setup(
      [turn(toolUseBlock('Bash', { command: `echo ${word}`, description: 'Echo' }))],
      {
        jsonChunks: 16,
      },
    );

    const run = await print(sandbox, 'echo', '--allowedTools', 'Bash');

    expect(run.exitCode).toBe(0);
    expect(api.toolResultFor(api.toolUses[0]?.id ?? '')?.content).toBe(word);
  });

  test('an MCP tool call reaches the stdio MCP server, whose log records the start and the call', async () => {
    // 2.1.337 defers MCP tools: the script loads it through ToolSearch first, as a model would.
    const { api, sandbox } = setup(
      loadingDeferredTools([turn(toolUseBlock('mcp__alpha__echo', { text: 'ping' }, 'toolu_echo'))]),
    );
    const log = join(sandbox.home, 'alpha.log');

    const run = await print(
      sandbox,
      'echo through mcp',
      '--mcp-config',
      JSON.stringify(mcpConfig('alpha', log)),
      '--strict-mcp-config',
      '--allowedTools',
      'mcp__alpha__echo',
    );

    expect(run.exitCode).toBe(0);
    const entries = await readMcpLog(log);
    expect(entries.filter((e) => e.event === 'start')).toHaveLength(1);
    expect(entries.filter((e) => e.event === 'call')).toEqual([
      expect.objectContaining({ server: 'alpha', tool: 'echo', args: { text: 'ping' } }),
    ]);
    expect(api.toolResultFor('toolu_echo')).toMatchObject({
      content: 'echo: ping',
      isError: false,
    });
    const offered = api.turnRequests().map((r) => r.body?.tools?.map((t) => t.name) ?? []);
    expect(offered.some((tools) => tools.includes('mcp__alpha__echo'))).toBe(true);
  });

  test('a tool call not allowed in -p is denied, listed in permission_denials and returned as an error', async () => {
    const { api, sandbox } = setup([
      turn(toolUseBlock('Bash', { command: 'touch nope', description: 'Touch' })),
    ]);

    const run = await print(sandbox, 'touch a file');

    expect(run.exitCode).toBe(0);
    const id = api.toolUses[0]?.id ?? '';
    expect(run.json?.permission_denials).toEqual([
      expect.objectContaining({ tool_name: 'Bash', tool_use_id: id }),
    ]);
    expect(api.toolResultFor(id)?.isError).toBe(true);
  });

  test('a 529 overloaded error reaches claude as a non-zero exit with the status and error text', async () => {
    const { sandbox } = setup([errorTurn(529)]);

    const run = await print(sandbox, 'hello');

    expect(run.exitCode).toBe(1);
    expect(run.json?.is_error).toBe(true);
    expect(run.json?.api_error_status).toBe(529);
    expect(run.json?.result).toContain('529');
  });

  test('a 401 authentication error reaches claude as a non-zero exit with "Failed to authenticate"', async () => {
    const { api, sandbox } = setup([], { error: { status: 401 } });

    const run = await print(sandbox, 'hello');

    expect(run.exitCode).toBe(1);
    expect(run.json?.api_error_status).toBe(401);
    expect(run.json?.result).toContain('Failed to authenticate');
    expect(api.turnRequests()).toHaveLength(1);
  });

  test('with non-essential traffic allowed, the session-title side request does not consume a turn [Claude Code 2.1.197]', async () => {
    // 2.1.337 sends no title request in -p, so the classification is tested where one is sent.
    const { api, sandbox } = setup([turn(textBlock('the only turn'))], {}, true, '2.1.197');

    // Claude Code 2.1.197 skips the title for a bare greeting such as "hello".
    const run = await print(sandbox, 'list files');

    expect(run.exitCode).toBe(0);
    expect(run.json?.result).toBe('the only turn');
    const side = api.requests.filter((r) => r.kind === 'side');
    expect(side).toHaveLength(1);
    expect(JSON.stringify(side[0]?.body?.system)).toContain('title');
    expect(api.turnsUsed()).toBe(1);
  });

  test('interactive claude under a PTY shows the prompt UI, answers a typed prompt and exits 0 on Ctrl-C twice', async () => {
    const { api, sandbox } = setup([turn('Hello from the scripted API')]);
    const pty = await startPty([sandbox.claude], sandbox.env, sandbox.project);
    cleanups.push(() => pty.kill());

    await pty.waitFor('❯', 20_000);
    expect(await pty.screen()).toContain(`Claude Code v${CURRENT_CLAUDE_VERSION}`);
    await pty.sendKeys('say hello', 'Enter');
    await pty.waitFor('Hello from the scripted API', 20_000);
    await pty.sendKeys('C-c');
    await pty.waitFor('Press Ctrl-C again to exit');
    await pty.sendKeys('C-c');

    expect(await pty.exitCode(10_000)).toBe(0);
    // Interactive mode, not print mode: the user agent says "cli" rather than "sdk-cli".
    expect(api.turnRequests()[0]?.headers['user-agent']).toContain('(external, cli)');
  }, 60_000);
});

describe('the supported Claude Code versions', () => {
  test.each([...SUPPORTED_CLAUDE_VERSIONS])(
    'npm ci installs %s: a native binary over 1 MB that prints that version',
    (version) => {
      const binary = claudeBinaryPath(version);
      expect(statSync(binary).size).toBeGreaterThan(1_000_000);
      const printed = Bun.spawnSync([binary, '--version'], { stdout: 'pipe', stderr: 'pipe' });
      expect(printed.stdout.toString().trim()).toBe(`${version} (Claude Code)`);
    },
    20_000,
  );

  test('the versions are distinct binaries, and the default is the current one', () => {
    const paths = SUPPORTED_CLAUDE_VERSIONS.map((v) => claudeBinaryPath(v));
    expect(new Set(paths).size).toBe(SUPPORTED_CLAUDE_VERSIONS.length);
    expect(SUPPORTED_CLAUDE_VERSIONS[0] as string).toBe(CURRENT_CLAUDE_VERSION);
    if (!process.env.CEROS_E2E_CLAUDE)
      expect(claudeBinaryPath()).toBe(claudeBinaryPath(CURRENT_CLAUDE_VERSION));
  });
});

describe('golden hook fixtures', () => {
  const dir = join(import.meta.dir, '..', '..', 'fixtures', 'hooks');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test('every captured event has at least one fixture', () => {
    const events = new Set(files.map((f) => f.split('-')[0]));
    for (const event of [
      'SessionStart',
      'UserPromptSubmit',
      'PreToolUse',
      'PostToolUse',
      'PostToolUseFailure',
      'PostToolBatch',
      'SubagentStart',
      'SubagentStop',
      'Stop',
      'SessionEnd',
    ]) {
      expect(events).toContain(event);
    }
  });

  test('every fixture is named after its hook_event_name and carries only placeholder paths and ids', () => {
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      const payload = JSON.parse(text) as { hook_event_name: string; session_id: string; cwd: string };
      expect(file.startsWith(`${payload.hook_event_name}-`)).toBe(true);
      expect(payload.session_id).toBe('00000000-0000-4000-8000-000000000001');
      expect(payload.cwd).toBe('/home/dev/project');
      expect(text).not.toContain('/tmp/');
    }
  });
});
