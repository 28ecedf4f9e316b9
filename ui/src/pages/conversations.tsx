import { useState } from 'preact/hooks';
import type { Conversation } from '../api.ts';
import { Badge } from '../components/badges.tsx';
import { PeriodFields } from '../components/period-fields.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, Loading, LoadMore } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { deviceLabel, useDeviceDirectory } from '../device-directory.ts';
import { count, duration } from '../format.ts';
import { useConsole, usePaged, useTitle } from '../hooks.ts';
import { Link, type Location, setQuery } from '../router.tsx';

export function sessionHref(c: { deviceId: string; sessionId: string }): string {
  return `/conversations/${encodeURIComponent(c.deviceId)}/${encodeURIComponent(c.sessionId)}`;
}

function SessionState({ c }: { c: Conversation }) {
  if (c.endState) return <Badge tone="warn">{c.endState}</Badge>;
  if (c.endedAt === null) return <Badge tone="info">Running</Badge>;
  if (c.exitCode !== null && c.exitCode !== 0) return <Badge tone="warn">{`Exit ${c.exitCode}`}</Badge>;
  return <span class="muted">{duration(Date.parse(c.endedAt) - Date.parse(c.startedAt))}</span>;
}

/** Every recorded session, newest first, filterable by user, device and time. */
export function ConversationsPage({ location }: { location: Location }) {
  useTitle('Conversations');
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const user = location.query.get('user') ?? '';
  const device = location.query.get('device') ?? '';
  const from = location.query.get('from') ?? '';
  const to = location.query.get('to') ?? '';
  const [userDraft, setUserDraft] = useState(user);
  const list = usePaged(
    (cursor) => api.conversations({ user, device, from, to, cursor, limit: 50 }),
    [user, device, from, to],
  );
  const filtered = user !== '' || device !== '' || from !== '' || to !== '';

  return (
    <>
      <PageHeader
        title="Conversations"
        subtitle="Every Claude Code session recorded by ceros, newest first"
      />
      <form
        class="filters"
        aria-label="Filter sessions"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ user: userDraft.trim() });
        }}
      >
        <div class="field">
          <label for="f-user">User</label>
          <input
            id="f-user"
            type="search"
            placeholder="name@company.com"
            value={userDraft}
            onInput={(e) => setUserDraft(e.currentTarget.value)}
            onBlur={() => userDraft.trim() !== user && setQuery({ user: userDraft.trim() })}
          />
        </div>
        <div class="field">
          <label for="f-device">Device</label>
          <select id="f-device" value={device} onChange={(e) => setQuery({ device: e.currentTarget.value })}>
            <option value="">All devices</option>
            {[...devices.values()].map((d) => (
              <option key={d.id} value={d.id}>
                {d.hostname ?? d.id} · {d.user}
              </option>
            ))}
          </select>
        </div>
        <PeriodFields
          id="f"
          from={from}
          to={to}
          onFrom={(value) => setQuery({ from: value })}
          onTo={(value) => setQuery({ to: value })}
        />
        <div class="field field-actions">
          <button type="submit" class="btn">
            Apply
          </button>
          {filtered ? (
            <button
              type="button"
              class="btn btn-ghost"
              onClick={() => {
                setUserDraft('');
                setQuery({ user: undefined, device: undefined, from: undefined, to: undefined });
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
        <Loading label="Loading sessions…" />
      ) : list.items.length === 0 ? (
        <Empty title={filtered ? 'No sessions match these filters' : 'No sessions yet'}>
          {filtered
            ? 'Clear a filter to see more.'
            : 'Sessions appear here once an enrolled device runs ceros claude.'}
        </Empty>
      ) : (
        <div class="card card-flush">
          <table class="table table-hover" data-ready="conversations">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">User</th>
                <th scope="col">Device</th>
                <th scope="col" class="col-wide">
                  First prompt
                </th>
                <th scope="col" class="num">
                  Prompts
                </th>
                <th scope="col" class="num">
                  Tool calls
                </th>
                <th scope="col" class="num">
                  Blocked
                </th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((c) => (
                <tr key={`${c.deviceId}/${c.sessionId}`}>
                  <td class="nowrap">
                    <Link
                      href={sessionHref(c)}
                      class="row-link"
                      aria-label={`Open session of ${c.startedAt}`}
                    >
                      <Time iso={c.startedAt} />
                    </Link>
                  </td>
                  <td class="truncate">{c.user ?? <span class="muted">unknown</span>}</td>
                  <td class="truncate">{deviceLabel(devices, c.deviceId)}</td>
                  <td class="col-wide">
                    <Link href={sessionHref(c)} class="prompt-preview">
                      {c.firstPrompt ? c.firstPrompt.slice(0, 160) : <span class="muted">(no prompt)</span>}
                    </Link>
                  </td>
                  <td class="num">{count(c.prompts)}</td>
                  <td class="num">{count(c.toolCalls)}</td>
                  <td class="num">
                    {c.blocks > 0 ? (
                      <Badge tone="bad">{count(c.blocks)}</Badge>
                    ) : (
                      <span class="muted">0</span>
                    )}
                  </td>
                  <td class="nowrap">
                    <SessionState c={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.error && list.items.length > 0 ? <ErrorState error={list.error} retry={list.loadMore} /> : null}
      {!list.initial ? (
        <LoadMore
          hasMore={list.hasMore}
          loading={list.loading}
          onMore={list.loadMore}
          shown={list.items.length}
        />
      ) : null}
    </>
  );
}
