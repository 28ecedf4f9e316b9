import { useState } from 'preact/hooks';
import type { Api, Decision } from '../api.ts';
import { duration, plural, prettyJson } from '../format.ts';
import { Badge, DecisionBadge } from './badges.tsx';
import { CodeBlock, Collapsible, JsonBlock } from './code.tsx';

/** The edge clips projected tool output at 8 KiB (edge/src/ingest/project.ts MAX_PROJECTED_TEXT). */
export const PROJECTED_OUTPUT_LIMIT = 8 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The exact command (Bash) or arguments of a call. */
export function ToolInput({ input }: { input: unknown }) {
  if (isObj(input) && typeof input.command === 'string') {
    const { command, ...rest } = input;
    return (
      <div class="tool-input">
        <CodeBlock text={`$ ${command}`} label="Command" class="code-command" />
        {Object.keys(rest).length > 0 ? (
          <dl class="args">
            {Object.entries(rest).map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd class="mono">{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
              </div>
            ))}
          </dl>
        ) : null}
      </div>
    );
  }
  if (input === null || input === undefined || (isObj(input) && Object.keys(input).length === 0))
    return <p class="muted small">No arguments</p>;
  return <JsonBlock value={input} label="Arguments" />;
}

/** Splits a tool response into what a reader wants first: stdout, stderr, or the text. */
export function outputParts(response: string): { label: string; text: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(response);
  } catch {
    return [{ label: 'Output', text: response }];
  }
  if (isObj(parsed) && (typeof parsed.stdout === 'string' || typeof parsed.stderr === 'string')) {
    const parts: { label: string; text: string }[] = [];
    if (typeof parsed.stdout === 'string') parts.push({ label: 'stdout', text: parsed.stdout });
    if (typeof parsed.stderr === 'string' && parsed.stderr !== '')
      parts.push({ label: 'stderr', text: parsed.stderr });
    const { stdout: _o, stderr: _e, ...rest } = parsed;
    if (Object.keys(rest).length > 0) parts.push({ label: 'Other fields', text: prettyJson(rest) });
    return parts;
  }
  // A subagent's (Agent tool) result: its answer in text blocks, then the run's statistics.
  if (isObj(parsed) && Array.isArray(parsed.content)) {
    const texts = parsed.content.map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : null));
    if (texts.length > 0 && texts.every((t) => t !== null)) {
      const { content: _c, ...rest } = parsed;
      return [
        { label: 'Result', text: texts.join('\n') },
        ...(Object.keys(rest).length > 0 ? [{ label: 'Other fields', text: prettyJson(rest) }] : []),
      ];
    }
  }
  if (isObj(parsed) && isObj(parsed.file) && typeof parsed.file.content === 'string')
    return [{ label: String(parsed.file.filePath ?? 'File'), text: parsed.file.content }];
  return [{ label: 'Output', text: typeof parsed === 'string' ? parsed : prettyJson(parsed) }];
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * A tool's output, collapsed by default. When the stored projection was clipped, the complete
 * output is read from the signed entry itself (`seq`), through the export API.
 */
export function ToolOutput({
  response,
  error,
  open = false,
  full,
}: {
  response: string | null;
  error: string | null;
  open?: boolean;
  full?: { api: Api; deviceId: string; seq: number | null };
}) {
  const [complete, setComplete] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const text = complete ?? response ?? '';
  const clipped = complete === null && text.length >= PROJECTED_OUTPUT_LIMIT;
  const parts = text === '' ? [] : outputParts(text);
  const loadFull = async () => {
    if (!full || full.seq === null) return;
    setLoading(true);
    setFailure(null);
    try {
      const page = await full.api.exportEntries(full.deviceId, { after: full.seq - 1, limit: 1 });
      const entry = JSON.parse(page.lines[0] ?? 'null') as { payload?: { response?: unknown } } | null;
      const value = entry?.payload?.response;
      setComplete(typeof value === 'string' ? value : JSON.stringify(value ?? ''));
    } catch (caught) {
      setFailure((caught as Error).message);
    } finally {
      setLoading(false);
    }
  };
  return (
    <div class="tool-output">
      {error ? (
        <div class="output-error">
          <strong>Error</strong>
          <pre>{error}</pre>
        </div>
      ) : null}
      {parts.length === 0 && !error ? <p class="muted small">No output</p> : null}
      {parts.map((part) => (
        <Collapsible
          key={part.label}
          open={open}
          summary={
            <>
              {part.label} <span class="muted">· {plural(lineCount(part.text), 'line')}</span>
            </>
          }
        >
          <CodeBlock text={part.text} label={part.label} class="code-output" />
        </Collapsible>
      ))}
      {clipped ? (
        <p class="small muted">
          The list view holds the first 8 KB of this output.{' '}
          {full && full.seq !== null ? (
            <button type="button" class="link" onClick={loadFull} disabled={loading}>
              {loading ? 'Loading…' : 'Load the complete output from the signed entry'}
            </button>
          ) : (
            'Open the call in its conversation to load all of it.'
          )}
          {failure ? <span class="form-error"> {failure}</span> : null}
        </p>
      ) : null}
    </div>
  );
}

/** Decision badge with the deciding rule and its reason. */
export function DecisionDetail({ decision }: { decision: Decision | null }) {
  if (!decision) return <p class="muted small">No policy decision was recorded for this call.</p>;
  const blocked = decision.effect === 'deny';
  return (
    <div class={`decision ${blocked ? 'decision-deny' : decision.effect === 'ask' ? 'decision-ask' : ''}`}>
      <DecisionBadge effect={decision.effect} mode={decision.mode} />
      {decision.rule ? (
        <span class="decision-rule">
          rule <code>{decision.rule}</code>
        </span>
      ) : null}
      {decision.reason ? <span class="decision-reason">{decision.reason}</span> : null}
      {decision.detail ? <span class="small muted">({decision.detail})</span> : null}
      {monitorOf(decision.monitor) ? (
        <span class="small">
          Monitor mode: rule <code>{monitorOf(decision.monitor)?.rule}</code> would{' '}
          {monitorOf(decision.monitor)?.effect} this
        </span>
      ) : null}
    </div>
  );
}

function monitorOf(value: unknown): { rule: string; effect: string } | null {
  return isObj(value) && typeof value.rule === 'string' && typeof value.effect === 'string'
    ? { rule: value.rule, effect: value.effect }
    : null;
}

export function McpBadge({ server }: { server: string | null }) {
  return server ? <Badge tone="info" title={`MCP server ${server}`}>{`MCP · ${server}`}</Badge> : null;
}

export function ResultMeta({ durationMs }: { durationMs: number | null | undefined }) {
  return durationMs === null || durationMs === undefined ? null : (
    <span class="muted small">{duration(durationMs)}</span>
  );
}
