import { useMemo, useState } from 'preact/hooks';
import type { SeenOnDevice, ToolCall, ToolDefinition } from '../api.ts';
import { Badge, DecisionBadge } from '../components/badges.tsx';
import { CodeBlock, Facts, JsonBlock } from '../components/code.tsx';
import { Dialog } from '../components/dialog.tsx';
import { DiffView } from '../components/diff-view.tsx';
import { PeriodFields } from '../components/period-fields.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, Loading, LoadMore } from '../components/states.tsx';
import { Tabs } from '../components/tabs.tsx';
import { Time } from '../components/time.tsx';
import { DecisionDetail, McpBadge, ToolInput, ToolOutput } from '../components/tool-call.tsx';
import { deviceLabel, deviceName, useDeviceDirectory } from '../device-directory.ts';
import { count, duration, prettyJson, shortId, summarizeInput } from '../format.ts';
import { useAsync, useConsole, usePaged, useTitle } from '../hooks.ts';
import { Link, type Location, setQuery } from '../router.tsx';
import { sessionHref } from './conversations.tsx';

type Tab = 'definitions' | 'calls';

export function ToolsPage({ location }: { location: Location }) {
  useTitle('Tools');
  const tab: Tab = location.query.get('tab') === 'calls' ? 'calls' : 'definitions';
  return (
    <>
      <PageHeader title="Tools" subtitle="Every tool Claude Code was offered, and every call it made" />
      <Tabs
        label="Tools"
        tabs={[
          { key: 'definitions', label: 'Definitions' },
          { key: 'calls', label: 'Calls' },
        ]}
        selected={tab}
        onSelect={(key) => setQuery({ tab: key === 'calls' ? 'calls' : undefined })}
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tabpanel">
        {tab === 'definitions' ? <Definitions /> : <Calls location={location} />}
      </div>
    </>
  );
}

type Kind = 'all' | 'builtin' | 'mcp' | 'changed';

function Definitions() {
  const { api } = useConsole();
  const list = usePaged((cursor) => api.toolDefinitions({ cursor, limit: 500 }), []);
  const [text, setText] = useState('');
  const [kind, setKind] = useState<Kind>('all');
  const [open, setOpen] = useState<ToolDefinition | null>(null);

  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return list.items.filter((d) => {
      if (kind === 'builtin' && d.mcpServer !== null) return false;
      if (kind === 'mcp' && d.mcpServer === null) return false;
      if (kind === 'changed' && !d.definitionChanged) return false;
      return (
        needle === '' ||
        d.name.toLowerCase().includes(needle) ||
        (d.description ?? '').toLowerCase().includes(needle)
      );
    });
  }, [list.items, text, kind]);

  return (
    <>
      <div class="filters">
        <div class="field">
          <label for="d-text">Search</label>
          <input
            id="d-text"
            type="search"
            placeholder="Tool name or description"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="d-kind">Show</label>
          <select id="d-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
            <option value="all">All tools</option>
            <option value="builtin">Built-in tools</option>
            <option value="mcp">MCP tools</option>
            <option value="changed">Definition changed</option>
          </select>
        </div>
      </div>
      {list.error && list.items.length === 0 ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : list.initial ? (
        <Loading label="Loading tool definitions…" />
      ) : shown.length === 0 ? (
        <Empty title={list.items.length === 0 ? 'No tools seen yet' : 'No tools match'}>
          {list.items.length === 0
            ? 'Tool definitions are recorded from the first request of each session.'
            : 'Change the search or the filter.'}
        </Empty>
      ) : (
        <div class="card card-flush">
          <table class="table table-hover">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Source</th>
                <th scope="col" class="col-wide">
                  Description
                </th>
                <th scope="col">First seen</th>
                <th scope="col" class="num">
                  Devices
                </th>
                <th scope="col">Schema</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => (
                <tr key={d.hash}>
                  <td>
                    <button type="button" class="link mono" onClick={() => setOpen(d)}>
                      {d.name}
                    </button>
                  </td>
                  <td>
                    {d.mcpServer ? <McpBadge server={d.mcpServer} /> : <span class="muted">Built-in</span>}
                  </td>
                  <td class="col-wide truncate" title={d.description ?? ''}>
                    {d.description?.split('\n')[0] ?? <span class="muted">—</span>}
                  </td>
                  <td class="nowrap">
                    <Time iso={d.firstSeen} />
                  </td>
                  <td class="num">{count(d.devices)}</td>
                  <td>
                    {d.schemaChanged ? (
                      <Badge tone="warn" title={`${d.schemaVersions} different schemas seen for this name`}>
                        Changed · {d.schemaVersions} versions
                      </Badge>
                    ) : d.definitionChanged ? (
                      <Badge tone="info" title={`${d.versions} different descriptions seen for this name`}>
                        Description changed
                      </Badge>
                    ) : (
                      <span class="muted">Stable</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!list.initial ? (
        <LoadMore
          hasMore={list.hasMore}
          loading={list.loading}
          onMore={list.loadMore}
          shown={list.items.length}
        />
      ) : null}
      {open ? (
        <DefinitionDialog
          definition={open}
          versions={list.items.filter((d) => d.name === open.name)}
          onClose={() => setOpen(null)}
        />
      ) : null}
    </>
  );
}

function DefinitionDialog({
  definition,
  versions,
  onClose,
}: {
  definition: ToolDefinition;
  versions: ToolDefinition[];
  onClose: () => void;
}) {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const seen = useAsync<SeenOnDevice[]>(() => api.toolDefinitionDevices(definition.hash), [definition.hash]);
  const others = versions
    .filter((v) => v.hash !== definition.hash)
    .sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen));
  const previous =
    others.filter((v) => Date.parse(v.firstSeen) <= Date.parse(definition.firstSeen)).at(-1) ?? others[0];
  return (
    <Dialog title={definition.name} onClose={onClose} wide>
      {definition.description ? <p class="description">{definition.description}</p> : null}
      <Facts
        rows={[
          ['Source', definition.mcpServer ? <McpBadge server={definition.mcpServer} /> : 'Built-in'],
          ['First seen', <Time iso={definition.firstSeen} />],
          ['Last seen', <Time iso={definition.lastSeen} />],
          ['Definition hash', <code title={definition.hash}>{definition.hash.slice(0, 20)}…</code>],
          [
            'Schema versions',
            definition.schemaChanged ? (
              <Badge tone="warn">{`${definition.schemaVersions} versions seen`}</Badge>
            ) : (
              '1 (stable)'
            ),
          ],
          [
            'Definitions',
            definition.definitionChanged ? (
              <Badge tone="warn">{`${definition.versions} versions seen (description or schema)`}</Badge>
            ) : (
              '1 (stable)'
            ),
          ],
        ]}
      />
      <h3>Input schema</h3>
      <JsonBlock value={definition.inputSchema} label="Input schema" />
      {previous ? (
        <>
          <h3>{definition.schemaChanged ? 'Schema change' : 'Description change'}</h3>
          <p class="small muted">
            Compared with the version first seen <Time iso={previous.firstSeen} />.
          </p>
          {definition.schemaChanged ? (
            <DiffView
              before={prettyJson(previous.inputSchema)}
              after={prettyJson(definition.inputSchema)}
              label="Schema diff"
            />
          ) : (
            <DiffView
              before={previous.description ?? ''}
              after={definition.description ?? ''}
              label="Description diff"
            />
          )}
        </>
      ) : null}
      <h3>Seen on devices</h3>
      {seen.error ? (
        <ErrorState error={seen.error} retry={seen.reload} />
      ) : !seen.data ? (
        <Loading />
      ) : seen.data.length === 0 ? (
        <Empty title="No devices recorded" />
      ) : (
        <table class="table table-compact">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {seen.data.map((s) => (
              <tr key={s.deviceId}>
                <td>
                  <Link href={`/devices/${encodeURIComponent(s.deviceId)}`}>
                    {deviceLabel(devices, s.deviceId)}
                  </Link>
                </td>
                <td>
                  <Time iso={s.firstSeen} />
                </td>
                <td>
                  <Time iso={s.lastSeen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}

function Calls({ location }: { location: Location }) {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const q = location.query;
  const filter = {
    tool: q.get('tool') ?? '',
    decision: q.get('decision') ?? '',
    user: q.get('user') ?? '',
    device: q.get('device') ?? '',
    q: q.get('q') ?? '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
  };
  const [drafts, setDrafts] = useState({ tool: filter.tool, user: filter.user, q: filter.q });
  const [open, setOpen] = useState<ToolCall | null>(null);
  const list = usePaged(
    (cursor) => api.toolCalls({ ...filter, cursor, limit: 100 }),
    [filter.tool, filter.decision, filter.user, filter.device, filter.q, filter.from, filter.to],
  );
  const filtered = Object.values(filter).some((v) => v !== '');

  return (
    <>
      <form
        class="filters"
        aria-label="Filter tool calls"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ tool: drafts.tool.trim(), user: drafts.user.trim(), q: drafts.q.trim() });
        }}
      >
        <div class="field field-grow">
          <label for="c-q">Search</label>
          <input
            id="c-q"
            type="search"
            placeholder="Command, path, argument or output text"
            value={drafts.q}
            onInput={(e) => setDrafts({ ...drafts, q: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="c-tool">Tool</label>
          <input
            id="c-tool"
            placeholder="Bash"
            value={drafts.tool}
            onInput={(e) => setDrafts({ ...drafts, tool: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="c-decision">Decision</label>
          <select
            id="c-decision"
            value={filter.decision}
            onChange={(e) => setQuery({ decision: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="allow">Allowed</option>
            <option value="deny">Denied</option>
            <option value="ask">Asked</option>
          </select>
        </div>
        <div class="field">
          <label for="c-user">User</label>
          <input
            id="c-user"
            type="search"
            placeholder="name@company.com"
            value={drafts.user}
            onInput={(e) => setDrafts({ ...drafts, user: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="c-device">Device</label>
          <select
            id="c-device"
            value={filter.device}
            onChange={(e) => setQuery({ device: e.currentTarget.value })}
          >
            <option value="">All devices</option>
            {[...devices.values()].map((d) => (
              <option key={d.id} value={d.id}>
                {deviceName(d)}
              </option>
            ))}
          </select>
        </div>
        <PeriodFields
          id="c"
          from={filter.from}
          to={filter.to}
          onFrom={(from) => setQuery({ from })}
          onTo={(to) => setQuery({ to })}
        />
        <div class="field field-actions">
          <button type="submit" class="btn">
            Search
          </button>
          {filtered ? (
            <button
              type="button"
              class="btn btn-ghost"
              onClick={() => {
                setDrafts({ tool: '', user: '', q: '' });
                setQuery({
                  tool: undefined,
                  decision: undefined,
                  user: undefined,
                  device: undefined,
                  q: undefined,
                  from: undefined,
                  to: undefined,
                });
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
      {list.error && list.items.length === 0 ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : list.initial ? (
        <Loading label="Loading tool calls…" />
      ) : list.items.length === 0 ? (
        <Empty title={filtered ? 'No calls match' : 'No tool calls yet'}>
          {filtered ? 'Change or clear the filters.' : undefined}
        </Empty>
      ) : (
        <div class="card card-flush">
          <table class="table table-hover">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Tool</th>
                <th scope="col" class="col-wide">
                  Command or arguments
                </th>
                <th scope="col">Decision</th>
                <th scope="col">User</th>
                <th scope="col">Device</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((call) => (
                <tr key={`${call.deviceId}/${call.sessionId}/${call.toolUseId}`}>
                  <td class="nowrap">
                    <Time iso={call.time} />
                  </td>
                  <td>
                    <button type="button" class="link mono" onClick={() => setOpen(call)}>
                      {call.toolName}
                    </button>
                  </td>
                  <td class="col-wide truncate mono small" title={summarizeInput(call.input)}>
                    {summarizeInput(call.input)}
                  </td>
                  <td title={call.decision?.reason ?? ''}>
                    <DecisionBadge effect={call.decision?.effect} mode={call.decision?.mode ?? null} />
                  </td>
                  <td class="truncate">{call.user ?? '—'}</td>
                  <td class="truncate">{deviceLabel(devices, call.deviceId)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!list.initial ? (
        <LoadMore
          hasMore={list.hasMore}
          loading={list.loading}
          onMore={list.loadMore}
          shown={list.items.length}
        />
      ) : null}
      {open ? <CallDialog call={open} onClose={() => setOpen(null)} /> : null}
    </>
  );
}

function CallDialog({ call, onClose }: { call: ToolCall; onClose: () => void }) {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  return (
    <Dialog title={call.toolName} onClose={onClose} wide>
      <Facts
        rows={[
          ['Time', <Time iso={call.time} />],
          ['User', call.user],
          [
            'Device',
            <Link href={`/devices/${encodeURIComponent(call.deviceId)}`}>
              {deviceLabel(devices, call.deviceId)}
            </Link>,
          ],
          [
            'Session',
            <Link href={`${sessionHref(call)}#call-${call.toolUseId}`} onClick={onClose}>
              Open in the conversation · {shortId(call.sessionId, 8)}
            </Link>,
          ],
          ['Tool use id', <code>{call.toolUseId}</code>],
          ['Source', call.mcpServer ? <McpBadge server={call.mcpServer} /> : 'Built-in'],
          [
            'Subagent',
            call.agentId ? (
              <>
                {call.agentType ?? 'agent'} <code class="small">{call.agentId}</code>
              </>
            ) : null,
          ],
          ['Duration', typeof call.result?.durationMs === 'number' ? duration(call.result.durationMs) : null],
        ]}
      />
      <h3>Decision</h3>
      <DecisionDetail decision={call.decision} />
      <h3>
        {typeof (call.input as { command?: unknown } | null)?.command === 'string' ? 'Command' : 'Arguments'}
      </h3>
      <ToolInput input={call.input} />
      <h3>Output</h3>
      {call.result ? (
        <ToolOutput response={call.result.response} error={call.result.error} open />
      ) : (
        <p class="muted small">
          {call.decision?.effect === 'deny' && call.decision.mode !== 'monitor'
            ? 'The call did not run: the policy denied it.'
            : call.decision
              ? 'No result was recorded.'
              : 'Claude Code never ran this call.'}
        </p>
      )}
      {call.modelResult && !call.result ? (
        <>
          <h3>{call.modelResult.isError ? 'What Claude was told (as an error)' : 'What Claude was told'}</h3>
          <CodeBlock text={call.modelResult.text} label="What Claude was told" class="code-output" />
        </>
      ) : null}
    </Dialog>
  );
}
