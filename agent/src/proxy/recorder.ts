import { canonicalJson, sha256Hex, toJsonValue } from '@ceros/protocol';
import type { Recorder } from '../session/session-core.ts';
import { findSkillShellEvidence, SKILL_SHELL_PLACEHOLDER } from './skill-shell-evidence.ts';
import type { AssembledMessage } from './sse.ts';

/**
 * Turns Messages API traffic into journal entries: each distinct system prompt and tool
 * definition once (deduplicated by the hash of its full schema), the messages each request adds
 * to the conversation, and each response. Joined to hook events by Claude Code's session id
 * header and by tool_use ids.
 */
export interface ApiRecorder {
  /**
   * Resolves once every entry of the request (new system prompt and tool definitions, then
   * api.request) is durable; rejects when one is not, and then forgets what it had marked as seen,
   * so the next request records it again. The proxy forwards nothing before this resolves.
   */
  recordRequest(meta: RequestMeta, body: unknown): Promise<void>;
  recordResponse(
    meta: RequestMeta,
    status: number,
    message: AssembledMessage | null,
    errorBody: string | null,
  ): void;
  recordRefusal(meta: RequestMeta, reason: string): void;
}

export interface RequestMeta {
  requestNo: number;
  claudeSessionId: string | null;
  path: string;
  upstreamRequestId: string | null;
}

function stripCacheControl(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripCacheControl);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      if (key !== 'cache_control') out[key] = stripCacheControl(item);
    return out;
  }
  return value;
}

export const hashJson = (value: unknown): string =>
  sha256Hex(canonicalJson(toJsonValue(stripCacheControl(value))));

const withoutCacheControl = (key: string, value: unknown) => (key === 'cache_control' ? undefined : value);

/**
 * A cheap identity for deduplication on the hot path: every request repeats the whole
 * conversation and tool list, so canonicalizing all of it each time would grow quadratically.
 * Claude Code serialises the same object the same way, which is all dedup needs; the canonical
 * hash is computed once, for what is actually recorded.
 */
const quickKey = (value: unknown): string =>
  sha256Hex(JSON.stringify(value, withoutCacheControl) ?? 'undefined');

export function createApiRecorder(recorder: Recorder): ApiRecorder {
  const seenTools = new Map<string, string>();
  const seenSystems = new Map<string, string>();
  const seenMessages = new Set<string>();

  const recordParsed = (
    meta: RequestMeta,
    request: Record<string, unknown>,
    written: ReturnType<Recorder['append']>[],
    undo: (() => void)[],
  ): void => {
    let systemHash: string | null = null;
    if (request.system !== undefined) {
      const key = quickKey(request.system);
      systemHash = seenSystems.get(key) ?? null;
      if (systemHash === null) {
        systemHash = hashJson(request.system);
        seenSystems.set(key, systemHash);
        undo.push(() => seenSystems.delete(key));
        written.push(
          recorder.append('system.prompt', {
            hash: systemHash,
            claudeSessionId: meta.claudeSessionId,
            system: stripCacheControl(request.system),
          }),
        );
      }
    }
    const toolHashes: string[] = [];
    for (const tool of Array.isArray(request.tools) ? request.tools : []) {
      const key = quickKey(tool);
      const known = seenTools.get(key);
      if (known) {
        toolHashes.push(known);
        continue;
      }
      const definition = stripCacheControl(tool) as Record<string, unknown>;
      const hash = hashJson(definition);
      seenTools.set(key, hash);
      undo.push(() => seenTools.delete(key));
      toolHashes.push(hash);
      const name = typeof definition.name === 'string' ? definition.name : null;
      const mcp = name?.startsWith('mcp__') ? (name.split('__')[1] ?? null) : null;
      written.push(
        recorder.append('tool.definition', {
          hash,
          name,
          description: definition.description ?? null,
          inputSchema: definition.input_schema ?? null,
          definition,
          mcpServer: mcp,
          claudeSessionId: meta.claudeSessionId,
        }),
      );
    }
    const newMessages: unknown[] = [];
    const messages = Array.isArray(request.messages) ? request.messages : [];
    for (const message of messages) {
      const hash = quickKey(message);
      if (seenMessages.has(hash)) continue;
      seenMessages.add(hash);
      undo.push(() => seenMessages.delete(hash));
      newMessages.push(stripCacheControl(message));
    }
    // Cheap test first: the placeholder is rare, the messages are large.
    if (newMessages.length > 0 && JSON.stringify(newMessages).includes(SKILL_SHELL_PLACEHOLDER)) {
      for (const evidence of findSkillShellEvidence(newMessages)) {
        written.push(
          recorder.append('skill.shell', {
            claudeSessionId: meta.claudeSessionId,
            status: 'not-run',
            reason:
              'Inline shell in a skill or command was replaced by a placeholder (disableSkillShellExecution: the policy does not allow skill shell)',
            ...evidence,
          }),
        );
      }
    }
    const metadata = (request.metadata ?? {}) as Record<string, unknown>;
    written.push(
      recorder.append('api.request', {
        ...meta,
        model: request.model ?? null,
        stream: request.stream === true,
        systemHash,
        toolHashes,
        messageCount: messages.length,
        newMessages,
        maxTokens: request.max_tokens ?? null,
        userId: metadata.user_id ?? null,
      }),
    );
  };

  return {
    async recordRequest(meta, body) {
      const written: ReturnType<Recorder['append']>[] = [];
      /** What this request marked as seen, forgotten again if it is not recorded. */
      const undo: (() => void)[] = [];
      try {
        if (typeof body !== 'object' || body === null) {
          written.push(recorder.append('api.request', { ...meta, unparsed: true }));
        } else {
          recordParsed(meta, body as Record<string, unknown>, written, undo);
        }
        await Promise.all(written);
      } catch (error) {
        // Settle the entries already handed to the journal before saying no.
        await Promise.allSettled(written);
        for (const forget of undo) forget();
        throw error;
      }
    },
    recordRefusal(meta, reason) {
      recorder.append('api.refused', { ...meta, reason });
    },
    recordResponse(meta, status, message, errorBody) {
      recorder.append('api.response', {
        ...meta,
        status,
        id: message?.id ?? null,
        model: message?.model ?? null,
        content: message?.content ?? [],
        stopReason: message?.stopReason ?? null,
        usage: message?.usage ?? null,
        streamError: message?.error ?? null,
        errorBody,
      });
    },
  };
}
