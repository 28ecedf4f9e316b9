/**
 * The e2e test harness: a scripted Messages API, helpers to run the real Claude Code offline (print
 * mode and under a PTY), a real stdio MCP server, and the hook-fixture capture.
 */
export type { CaptureResult } from './capture-hook-fixtures.ts';
export { CAPTURED_EVENTS, captureHookPayloads, PLACEHOLDER } from './capture-hook-fixtures.ts';
export type {
  ClaudeResultJson,
  ClaudeRun,
  ClaudeVersion,
  PermissionDenial,
  RunClaudeOptions,
  Sandbox,
  SandboxOptions,
} from './claude.ts';
export {
  CLAUDE_BIN_ENV,
  CURRENT_CLAUDE_VERSION,
  claudeBinaryPath,
  makeSandbox,
  parseResultJson,
  runClaude,
  SUPPORTED_CLAUDE_VERSIONS,
  spawnRetrying,
  TEST_API_KEY,
} from './claude.ts';
export { forEachClaudeVersion } from './claude-versions.ts';
export type { McpLogEntry, McpStdioEntry } from './mcp-server.ts';
export { createTestMcpServer, MCP_SERVER_PATH, mcpConfig, mcpServerEntry, readMcpLog } from './mcp-server.ts';
export type { PtyOptions, PtySession } from './pty.ts';
export { shellQuote, startPty } from './pty.ts';
export type {
  MessagesRequestBody,
  RecordedRequest,
  RequestKind,
  ScriptBlock,
  ScriptError,
  ScriptedApi,
  ScriptedApiOptions,
  ScriptFn,
  ScriptText,
  ScriptTiming,
  ScriptToolUse,
  SentToolUse,
  SseEvent,
  ToolResult,
  Turn,
} from './scripted-api.ts';
export {
  classifyRequest,
  errorTurn,
  loadingDeferredTools,
  parseSse,
  sampleFromSchema,
  startScriptedApi,
  textBlock,
  toolUseBlock,
  turn,
} from './scripted-api.ts';
