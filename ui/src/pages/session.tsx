import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api, Conversation, PostureRecord, TimelineItem, ToolCallView } from '../api.ts';
import { Badge, DecisionBadge, KeyBadge, PostureBadge } from '../components/badges.tsx';
import { CodeBlock, Collapsible, Facts, JsonBlock } from '../components/code.tsx';
import { AncestryChain, PostureReport, postureVerdict } from '../components/evidence.tsx';
import { PageHeader } from '../components/shell.tsx';
import { ErrorState, Loading } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { DecisionDetail, McpBadge, ResultMeta, ToolInput, ToolOutput } from '../components/tool-call.tsx';
import { deviceLabel, useDeviceDirectory } from '../device-directory.ts';
import { count, duration, plural, shortId } from '../format.ts';
import { useConsole, useTitle } from '../hooks.ts';
import { memo } from '../memo.ts';
import { Link, type Location } from '../router.tsx';
import { type Block, toBlocks } from '../timeline-blocks.ts';

type AssistantItem = Extract<TimelineItem, { kind: 'assistant' }>;
type EventItem = Extract<TimelineItem, { kind: 'event' }>;

/** A stable key: one call can be shown from its own entry or inline under the turn that asked for it. */
const itemKey = (item: TimelineItem): string =>
  item.kind === 'tool_call' ? `call-${item.toolUseId}` : `seq-${item.seq}`;

function ToolCallCard({
  call,
  time,
  deviceId,
  api,
}: {
  call: ToolCallView;
  time: string;
  deviceId: string;
  api: Api;
}) {
  const decision = call.decision;
  const blocked = decision?.effect === 'deny' && decision.mode !== 'monitor';
  const explain =
    decision &&
    (decision.effect !== 'allow' ||
      decision.monitor !== null ||
      (decision.rule !== null && decision.rule !== 'default'));
  return (
    <article
      class={`turn turn-tool ${blocked ? 'turn-blocked' : ''}`}
      id={`call-${call.toolUseId}`}
      aria-label={`${call.toolName} tool call${blocked ? ', denied' : ''}`}
    >
      <header class="turn-head">
        <span class="turn-role">Tool call</span>
        <code class="tool-name">{call.toolName}</code>
        <McpBadge server={call.mcpServer} />
        <DecisionBadge effect={decision?.effect} mode={decision?.mode ?? null} />
        <ResultMeta durationMs={call.result?.durationMs} />
        <span class="turn-time">
          <Time iso={time} relativeOnly />
        </span>
      </header>
      <ToolInput input={call.input} />
      {explain ? <DecisionDetail decision={decision} /> : null}
      {call.spawnedAgentId ? (
        <p class="small">
          Ran subagent <a href={`#thread-${call.spawnedAgentId}`}>{shortId(call.spawnedAgentId, 10)}</a>: its
          turns are in the thread below.
        </p>
      ) : null}
      {call.result ? (
        <ToolOutput
          response={call.result.response}
          error={call.result.error}
          full={{ api, deviceId, seq: call.result.seq }}
        />
      ) : blocked ? (
        <p class="small muted">The call did not run: the policy denied it.</p>
      ) : call.modelResult === null ? (
        <p class="small muted">{decision ? 'No result was recorded.' : 'Claude Code never ran this call.'}</p>
      ) : null}
      {call.modelResult && !call.result ? <ModelResult result={call.modelResult} /> : null}
    </article>
  );
}

/** The tool_result Claude Code sent back to the model for a call that produced no result of its own. */
function ModelResult({ result }: { result: { text: string; isError: boolean } }) {
  return (
    <div class="model-result">
      <span class="small muted">{result.isError ? 'Claude was told (as an error)' : 'Claude was told'}</span>
      <CodeBlock text={result.text} label="What Claude was told" class="code-output" />
    </div>
  );
}

function Assistant({ item, deviceId, api }: { item: AssistantItem; deviceId: string; api: Api }) {
  const calls = item.toolCalls.map((call) => (
    <ToolCallCard key={call.toolUseId} call={call} time={item.time} deviceId={deviceId} api={api} />
  ));
  if (item.text === '' && item.thinking === null && item.error === null && calls.length > 0)
    return (
      <>
        <div class="turn-event turn-requests">
          <span>Claude requested {item.toolCalls.map((t) => t.toolName).join(', ')}</span>
        </div>
        {calls}
      </>
    );
  return (
    <>
      <article class="turn turn-assistant" aria-label="Claude">
        <header class="turn-head">
          <span class="turn-role">Claude</span>
          {item.model ? <span class="muted small">{item.model}</span> : null}
          {item.toolCalls.length > 0 ? (
            <span class="muted small">{plural(item.toolCalls.length, 'tool request')}</span>
          ) : null}
          <span class="turn-time">
            <Time iso={item.time} relativeOnly />
          </span>
        </header>
        {item.thinking ? (
          <Collapsible summary={<span class="small muted">Thinking</span>}>
            <div class="turn-text muted">{item.thinking}</div>
          </Collapsible>
        ) : null}
        {item.text || item.error === null ? (
          <div class="turn-text">{item.text || <span class="muted">(no text)</span>}</div>
        ) : null}
        {item.error ? (
          <div class="output-error">
            <strong>API error</strong>
            <pre>{item.error}</pre>
          </div>
        ) : null}
      </article>
      {calls}
    </>
  );
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function EventCard({ item }: { item: EventItem }) {
  const payload = (typeof item.payload === 'object' && item.payload !== null ? item.payload : {}) as Record<
    string,
    unknown
  >;
  switch (item.type) {
    case 'session.start':
      return (
        <div class="turn-event">
          <span>Session started</span>
          {typeof payload.cwd === 'string' ? <code class="small">{payload.cwd}</code> : null}
          <Time iso={item.time} relativeOnly />
        </div>
      );
    case 'session.end':
      return (
        <div class="turn-event">
          <span>
            Session ended{typeof payload.exitCode === 'number' ? ` · exit code ${payload.exitCode}` : ''}
            {typeof payload.signal === 'string' ? ` · ${payload.signal}` : ''}
            {typeof payload.durationMs === 'number' ? ` · ${duration(payload.durationMs)}` : ''}
          </span>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    case 'policy.unsigned':
      return (
        <div class="turn-alert" role="note">
          <strong>Unsigned policy</strong>
          <span>
            {str(payload.reason) ?? 'The policy was not signed'}
            {str(payload.file) ? (
              <>
                {' · '}
                <code>{str(payload.file)}</code>
              </>
            ) : null}
          </span>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    case 'mcp.server':
      return (
        <div class="turn-event">
          <span>
            MCP server <code>{String(payload.name ?? '?')}</code> configured
          </span>
          <Badge tone={payload.status === 'blocked' ? 'bad' : 'neutral'}>
            {String(payload.status ?? 'seen')}
          </Badge>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    case 'posture.change': {
      const changes = (Array.isArray(payload.changes) ? payload.changes : []) as Record<string, unknown>[];
      const failing = changes.some((c) => (c.to as { status?: unknown } | undefined)?.status === 'failed');
      return (
        <div class="turn turn-posture">
          <header class="turn-head">
            <span class="turn-role">Posture changed</span>
            {failing ? <PostureBadge ok={false} /> : null}
            <span class="turn-time">
              <Time iso={item.time} relativeOnly />
            </span>
          </header>
          <ul class="small">
            {changes.map((c, i) => (
              <li key={`${String(c.probe)}-${i}`}>{String(c.summary ?? c.probe ?? '')}</li>
            ))}
          </ul>
        </div>
      );
    }
    case 'alert':
      return (
        <div class="turn-alert" role="note">
          <strong>Alert{typeof payload.kind === 'string' ? ` · ${payload.kind}` : ''}</strong>
          <span>{String(payload.message ?? '')}</span>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    case 'api.refused':
      return (
        <div class="turn-alert" role="note">
          <strong>Request not sent to the API</strong>
          <span>{String(payload.reason ?? '')}</span>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    case 'hook.config-change': {
      const raw = (payload.raw ?? {}) as Record<string, unknown>;
      return (
        <div class="turn-alert" role="note">
          <strong>Settings change blocked</strong>
          <span>
            {str(raw.source) ?? 'settings'}
            {str(raw.file_path) ? (
              <>
                {' · '}
                <code>{str(raw.file_path)}</code>
              </>
            ) : null}
          </span>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    }
    case 'hook.rejected':
    case 'hook.error':
      return (
        <div class="turn-alert" role="note">
          <strong>
            {item.type === 'hook.error' ? 'Hook failed' : 'Hook input rejected'}
            {str(payload.event) ? ` · ${str(payload.event)}` : ''}
          </strong>
          <span>{String(payload.reason ?? '')}</span>
          <Time iso={item.time} relativeOnly />
        </div>
      );
    default:
      return (
        <div class="turn-event">
          <Collapsible summary={<code>{item.type}</code>}>
            <JsonBlock value={item.payload} label={item.type} />
          </Collapsible>
          <Time iso={item.time} relativeOnly />
        </div>
      );
  }
}

const Item = memo(function Item({ item, deviceId, api }: { item: TimelineItem; deviceId: string; api: Api }) {
  switch (item.kind) {
    case 'prompt':
      return (
        <article class="turn turn-user" aria-label="Prompt">
          <header class="turn-head">
            <span class="turn-role">User</span>
            <span class="turn-time">
              <Time iso={item.time} relativeOnly />
            </span>
          </header>
          <div class="turn-text">{item.text}</div>
        </article>
      );
    case 'assistant':
      return <Assistant item={item} deviceId={deviceId} api={api} />;
    case 'tool_call':
      return <ToolCallCard call={item} time={item.time} deviceId={deviceId} api={api} />;
    case 'event':
      return <EventCard item={item} />;
    default:
      return null;
  }
});

function Thread({
  block,
  deviceId,
  api,
  task,
}: {
  block: Extract<Block, { kind: 'thread' }>;
  deviceId: string;
  api: Api;
  /** The Agent call's description of the task, when the call is loaded. */
  task: string | undefined;
}) {
  const calls = block.items.reduce(
    (n, i) => n + (i.kind === 'tool_call' ? 1 : i.kind === 'assistant' ? i.toolCalls.length : 0),
    0,
  );
  const last = block.stop?.kind === 'subagent.stop' ? block.stop.lastMessage : null;
  return (
    <section
      class="thread"
      id={`thread-${block.agentId}`}
      aria-label={`Subagent ${block.agentType ?? block.agentId}`}
    >
      <header class="thread-head">
        <span class="thread-title">Subagent · {block.agentType ?? 'agent'}</span>
        {task ? <span class="small">{task}</span> : null}
        <code class="small muted">{block.agentId}</code>
        <span class="muted small">{plural(calls, 'tool call')}</span>
        {block.start ? <Time iso={block.start.time} relativeOnly /> : null}
        {block.stop ? <Badge tone="neutral">finished</Badge> : <Badge tone="info">no stop recorded</Badge>}
      </header>
      <div class="thread-body">
        {block.items.map((item) => (
          <Item key={itemKey(item)} item={item} deviceId={deviceId} api={api} />
        ))}
        {block.items.length === 0 ? <p class="muted small">No turns recorded in this thread.</p> : null}
        {last && block.items.length === 0 ? <p class="small">Last message: {last}</p> : null}
      </div>
    </section>
  );
}

/** Claude Code's command line; long ones (inline MCP configs) fold. */
function ClaudeArgs({ args }: { args: string[] }) {
  const text = args.join(' ');
  if (text.length <= 120) return <code class="wrap">{text}</code>;
  return (
    <Collapsible summary={<code>{`${text.slice(0, 60)}…`}</code>}>
      <CodeBlock
        text={args.map((a) => (/[\s"'{}]/.test(a) ? JSON.stringify(a) : a)).join(' ')}
        label="Claude Code arguments"
      />
    </Collapsible>
  );
}

/** The policy the session enforced: where it came from, whether it was signed, and its hash. */
function PolicySource({ conversation }: { conversation: Conversation }) {
  const policy = (conversation.policy ?? {}) as Record<string, unknown>;
  if (!conversation.policyHash) return <span class="muted">none</span>;
  const KIND: Record<string, string> = {
    'unsigned-file': 'Local file',
    bundle: 'Signed bundle',
    edge: 'Organization bundle',
    'last-good-bundle': 'Last good bundle',
  };
  const kind = typeof policy.kind === 'string' ? (KIND[policy.kind] ?? policy.kind) : null;
  return (
    <>
      {kind ? <span>{kind} </span> : null}
      {policy.signed === false ? <Badge tone="warn">unsigned</Badge> : null}
      {policy.signed === true ? <Badge tone="ok">signed</Badge> : null}
      {typeof policy.version === 'number' ? <span class="small muted"> v{policy.version}</span> : null}
      <div>
        <code class="small" title={conversation.policyHash}>
          {conversation.policyHash.slice(0, 16)}…
        </code>
      </div>
    </>
  );
}

/** Session context: what ran, where, under which posture and process chain. */
function Context({
  conversation,
  start,
  posture,
  devices,
}: {
  conversation: Conversation;
  start: EventItem | undefined;
  posture: PostureRecord[];
  devices: ReturnType<typeof useDeviceDirectory>;
}) {
  const payload = (start?.payload ?? {}) as Record<string, unknown>;
  const device = devices.get(conversation.deviceId);
  const sessionPosture = payload.posture ?? posture[0]?.report;
  return (
    <aside class="session-side">
      <section class="card">
        <h2 class="card-title">Session</h2>
        <Facts
          rows={[
            ['User', conversation.user ?? 'unknown'],
            [
              'Device',
              <Link href={`/devices/${encodeURIComponent(conversation.deviceId)}`}>
                {deviceLabel(devices, conversation.deviceId)}
              </Link>,
            ],
            ['Started', <Time iso={conversation.startedAt} />],
            [
              'Ended',
              conversation.endedAt ? (
                <>
                  <Time iso={conversation.endedAt} />
                  <div class="small muted">
                    {duration(Date.parse(conversation.endedAt) - Date.parse(conversation.startedAt))}
                    {conversation.exitCode !== null ? ` · exit code ${conversation.exitCode}` : ''}
                  </div>
                  {/* Ended by the next session on this device: no end of its own was journaled. */}
                  {conversation.endState ? <Badge tone="warn">{conversation.endState}</Badge> : null}
                </>
              ) : (
                <Badge tone="info">Running</Badge>
              ),
            ],
            ['Folder', conversation.cwd ? <code class="wrap">{conversation.cwd}</code> : null],
            ['Claude Code', conversation.claudeVersion],
            ['ceros', conversation.cerosVersion],
            ['Model', conversation.model],
            ['Device key', <KeyBadge protection={conversation.keyProtection ?? device?.keyProtection} />],
            ['Policy', <PolicySource conversation={conversation} />],
            [
              'Claude session',
              conversation.claudeSessionId ? (
                <code class="small" title={conversation.claudeSessionId}>
                  {shortId(conversation.claudeSessionId, 13)}
                </code>
              ) : null,
            ],
            [
              'Arguments',
              Array.isArray(conversation.claudeArgs) ? (
                <ClaudeArgs args={conversation.claudeArgs.map(String)} />
              ) : null,
            ],
          ]}
        />
      </section>
      <section class="card">
        <h2 class="card-title">
          Posture <PostureBadge ok={postureVerdict(sessionPosture) ?? posture[0]?.ok ?? null} />
        </h2>
        {sessionPosture !== undefined ? (
          <PostureReport report={sessionPosture} compact />
        ) : (
          <p class="muted small">This session recorded no posture report.</p>
        )}
      </section>
      <section class="card">
        <h2 class="card-title">Process ancestry</h2>
        {payload.ancestry !== undefined ? (
          <AncestryChain ancestry={payload.ancestry} />
        ) : (
          <p class="muted small">This session recorded no process ancestry.</p>
        )}
      </section>
    </aside>
  );
}

interface Loaded {
  conversation: Conversation;
  items: TimelineItem[];
  nextAfter: number | null;
}

const FIRST_PAGE = 300;
const NEXT_PAGE = 1000;
const RENDER_STEP = 5000;

/** One session: the whole back-and-forth, each tool call inline with its decision and output. */
export function SessionPage({
  deviceId,
  sessionId,
  location,
}: {
  deviceId: string;
  sessionId: string;
  location: Location;
}) {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [posture, setPosture] = useState<PostureRecord[]>([]);
  const [filter, setFilter] = useState<'all' | 'blocked' | 'tools'>('all');
  const [attempt, setAttempt] = useState(0);
  const scrolled = useRef(false);
  useTitle(loaded?.conversation.firstPrompt?.slice(0, 60) ?? 'Session');

  // The first page renders at once; the rest streams in behind it, page by page. A layout effect
  // starts the request right after the render instead of after the next frame.
  useLayoutEffect(() => {
    let live = true;
    setLoaded(null);
    setError(null);
    (async () => {
      let page = await api.timeline(deviceId, sessionId, { limit: FIRST_PAGE });
      if (!live) return;
      let items = page.items;
      setLoaded({ conversation: page.conversation, items, nextAfter: page.nextAfter });
      // Every render lays out the whole timeline again, so later pages are shown in few large steps.
      let shown = items.length;
      while (live && page.nextAfter !== null) {
        page = await api.timeline(deviceId, sessionId, { after: page.nextAfter, limit: NEXT_PAGE });
        items = items.concat(page.items);
        if (live && (page.nextAfter === null || items.length - shown >= RENDER_STEP)) {
          shown = items.length;
          setLoaded({ conversation: page.conversation, items, nextAfter: page.nextAfter });
        }
      }
    })().catch((caught: Error) => live && setError(caught));
    api.device(deviceId).then(
      (d) => live && setPosture(d.postureHistory.filter((p) => p.sessionId === sessionId)),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [api, deviceId, sessionId, attempt]);

  // A link to one call (#call-<id>) scrolls to it once that call has loaded.
  useEffect(() => {
    if (scrolled.current || !location.hash || !loaded) return;
    const target = document.getElementById(location.hash);
    if (target) {
      scrolled.current = true;
      target.scrollIntoView({ block: 'center' });
      target.classList.add('flash');
    }
  }, [loaded, location.hash]);

  const visible = useMemo(() => {
    if (!loaded) return [];
    if (filter === 'all') return loaded.items;
    // Calls shown inline under the turn that asked for them become items of their own here.
    const calls: TimelineItem[] = loaded.items.flatMap((i): TimelineItem[] =>
      i.kind === 'tool_call'
        ? [i]
        : i.kind === 'assistant'
          ? i.toolCalls.map((call) => ({ ...call, kind: 'tool_call', seq: i.seq, time: i.time }))
          : [],
    );
    return calls.filter(
      (i) =>
        i.kind === 'tool_call' &&
        (filter === 'tools' || i.decision?.effect === 'deny' || i.decision?.effect === 'ask'),
    );
  }, [loaded, filter]);
  const blocks = useMemo(() => toBlocks(visible), [visible]);
  // What each subagent was asked to do, from the Agent call that ran it.
  const tasks = useMemo(() => {
    const map = new Map<string, string>();
    for (const item of loaded?.items ?? [])
      for (const call of item.kind === 'assistant'
        ? item.toolCalls
        : item.kind === 'tool_call'
          ? [item]
          : []) {
        const description = (call.input as { description?: unknown } | null)?.description;
        if (call.spawnedAgentId && typeof description === 'string') map.set(call.spawnedAgentId, description);
      }
    return map;
  }, [loaded]);

  if (error && !loaded)
    return (
      <>
        <PageHeader title="Session" back={{ href: '/conversations', label: 'Conversations' }} />
        <ErrorState error={error} retry={() => setAttempt((n) => n + 1)} />
      </>
    );
  if (!loaded) return <Loading label="Loading the session…" />;
  const { conversation } = loaded;
  const start = loaded.items.find((i): i is EventItem => i.kind === 'event' && i.type === 'session.start');
  const complete = loaded.nextAfter === null;

  return (
    <>
      <PageHeader
        back={{ href: '/conversations', label: 'Conversations' }}
        title={conversation.firstPrompt ? <span class="clamp">{conversation.firstPrompt}</span> : 'Session'}
        subtitle={
          <>
            {conversation.user ?? 'unknown user'} on {deviceLabel(devices, conversation.deviceId)} ·{' '}
            <span class="mono" title={conversation.sessionId}>
              {shortId(conversation.sessionId, 13)}
            </span>
          </>
        }
      />
      <div class="session">
        <div class="session-main">
          <div class="session-toolbar">
            <fieldset class="segmented">
              <legend class="sr-only">Show</legend>
              {(
                [
                  ['all', 'Everything'],
                  ['tools', `Tool calls (${count(conversation.toolCalls)})`],
                  ['blocked', `Blocked (${count(conversation.blocks)})`],
                ] as const
              ).map(([key, label]) => (
                <button key={key} type="button" aria-pressed={filter === key} onClick={() => setFilter(key)}>
                  {label}
                </button>
              ))}
            </fieldset>
            <span class="muted small" role="status" data-loaded={complete ? 'complete' : 'partial'}>
              {complete
                ? `${count(loaded.items.length)} entries`
                : `Loading… ${count(loaded.items.length)} entries so far`}
            </span>
          </div>
          {error ? <ErrorState error={error} retry={() => setAttempt((n) => n + 1)} /> : null}
          <div class="timeline" data-ready="session">
            {blocks.length === 0 ? <p class="muted">Nothing to show with this filter.</p> : null}
            {blocks.map((block) =>
              block.kind === 'item' ? (
                <Item key={itemKey(block.item)} item={block.item} deviceId={deviceId} api={api} />
              ) : (
                <Thread
                  key={`thread-${block.agentId}`}
                  block={block}
                  deviceId={deviceId}
                  api={api}
                  task={tasks.get(block.agentId)}
                />
              ),
            )}
          </div>
        </div>
        <Context conversation={conversation} start={start} posture={posture} devices={devices} />
      </div>
    </>
  );
}
