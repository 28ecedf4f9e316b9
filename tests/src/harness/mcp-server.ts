/**
 * A real stdio MCP server for e2e tests: `bun tests/src/harness/mcp-server.ts NAME LOGFILE`.
 *
 * Tools: `echo {text}`, `add {a, b}` and `ask {question}` (an MCP elicitation of the user). Every start and every tool call appends one JSON line to
 * LOGFILE, so a test can prove whether Claude Code spawned the server and whether a call reached it
 * (e.g. that a policy deny stopped `tools/call` before the server saw it).
 */
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** One line of the MCP server log. */
export type McpLogEntry =
  | { event: 'start'; server: string; pid: number; at: number }
  | { event: 'call'; server: string; tool: string; args: Record<string, unknown>; at: number };

/** The absolute path of this file, for spawning the server. */
export const MCP_SERVER_PATH: string = fileURLToPath(import.meta.url);

/** The stdio server entry (`command`, `args`) for `--mcp-config` or `.mcp.json`. */
export interface McpStdioEntry {
  type: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * Returns the `--mcp-config` JSON object that runs this server as `name`, logging to `logFile`.
 * Pass `JSON.stringify(mcpConfig(...))` to `--mcp-config`. The command is the bun running the
 * tests (`process.execPath`), so the config works without bun on PATH.
 */
export function mcpConfig(
  name: string,
  logFile: string,
  bunPath: string = process.execPath,
): { mcpServers: Record<string, McpStdioEntry> } {
  return { mcpServers: { [name]: mcpServerEntry(name, logFile, bunPath) } };
}

/** The single server entry of {@link mcpConfig}, for merging several servers into one config. */
export function mcpServerEntry(
  name: string,
  logFile: string,
  bunPath: string = process.execPath,
): McpStdioEntry {
  return { type: 'stdio', command: bunPath, args: [MCP_SERVER_PATH, name, logFile], env: {} };
}

/** Reads the log written by the server; a missing file means the server never started. */
export async function readMcpLog(logFile: string): Promise<McpLogEntry[]> {
  const file = Bun.file(logFile);
  if (!(await file.exists())) return [];
  const text = await file.text();
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as McpLogEntry);
}

/** Builds the server; exported so a test can connect it over an in-memory transport. */
export function createTestMcpServer(name: string, logFile: string): McpServer {
  const log = (entry: McpLogEntry): void => appendFileSync(logFile, `${JSON.stringify(entry)}\n`);
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: `Echo text back (${name})`, inputSchema: { text: z.string() } },
    async ({ text }) => {
      log({ event: 'call', server: name, tool: 'echo', args: { text }, at: Date.now() });
      return { content: [{ type: 'text', text: `echo: ${text}` }] };
    },
  );
  server.registerTool(
    'add',
    { description: `Add two numbers (${name})`, inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => {
      log({ event: 'call', server: name, tool: 'add', args: { a, b }, at: Date.now() });
      return { content: [{ type: 'text', text: String(a + b) }] };
    },
  );
  server.registerTool(
    'ask',
    {
      description: `Ask the user a question through MCP elicitation (${name})`,
      inputSchema: { question: z.string() },
    },
    async ({ question }) => {
      log({ event: 'call', server: name, tool: 'ask', args: { question }, at: Date.now() });
      try {
        const answer = await server.server.elicitInput({
          mode: 'form',
          message: question,
          requestedSchema: { type: 'object', properties: { answer: { type: 'string' } } },
        });
        return { content: [{ type: 'text', text: `elicitation: ${JSON.stringify(answer)}` }] };
      } catch (error) {
        return { content: [{ type: 'text', text: `elicitation failed: ${(error as Error).message}` }] };
      }
    },
  );
  log({ event: 'start', server: name, pid: process.pid, at: Date.now() });
  return server;
}

if (import.meta.main) {
  const [name, logFile] = process.argv.slice(2);
  if (name === undefined || logFile === undefined) {
    process.stderr.write('Usage: bun mcp-server.ts NAME LOGFILE\n');
    process.exit(64);
  }
  await createTestMcpServer(name, logFile).connect(new StdioServerTransport());
}
