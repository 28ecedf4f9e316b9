import { useState } from 'preact/hooks';
import type { DeviceStatus } from '../api.ts';
import { DeviceStatusBadge, KeyBadge, PostureBadge } from '../components/badges.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, Loading, LoadMore } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { shortId } from '../format.ts';
import { useConsole, usePaged, useTitle } from '../hooks.ts';
import { Link, type Location, setQuery } from '../router.tsx';

const STATUSES: DeviceStatus[] = ['active', 'pending', 'revoked'];

export function DevicesPage({ location }: { location: Location }) {
  useTitle('Devices');
  const { api } = useConsole();
  const rawStatus = location.query.get('status') ?? '';
  const status = STATUSES.find((s) => s === rawStatus);
  const user = location.query.get('user') ?? '';
  const [userDraft, setUserDraft] = useState(user);
  const list = usePaged(
    (cursor) => api.devices({ cursor, limit: 100, ...(status ? { status } : {}), ...(user ? { user } : {}) }),
    [status, user],
  );
  return (
    <>
      <PageHeader title="Devices" subtitle="Enrolled machines, their keys, posture and versions" />
      <form
        class="filters"
        aria-label="Filter devices"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ user: userDraft.trim() });
        }}
      >
        <div class="field">
          <label for="dv-user">User</label>
          <input
            id="dv-user"
            type="search"
            placeholder="name@company.com"
            value={userDraft}
            onInput={(e) => setUserDraft(e.currentTarget.value)}
            onBlur={() => userDraft.trim() !== user && setQuery({ user: userDraft.trim() })}
          />
        </div>
        <div class="field">
          <label for="dv-status">Status</label>
          <select
            id="dv-status"
            value={status ?? ''}
            onChange={(e) => setQuery({ status: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="pending">Pending approval</option>
            <option value="revoked">Revoked</option>
          </select>
        </div>
      </form>
      {list.error && list.items.length === 0 ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : list.initial ? (
        <Loading label="Loading devices…" />
      ) : list.items.length === 0 ? (
        <Empty title={status || user ? 'No devices match' : 'No devices enrolled yet'}>
          {status || user ? 'Change the filters.' : 'Devices appear after their users run ceros enroll.'}
        </Empty>
      ) : (
        <div class="card card-flush">
          <table class="table table-hover">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">User</th>
                <th scope="col">Status</th>
                <th scope="col">Key</th>
                <th scope="col">Posture</th>
                <th scope="col">Versions</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link href={`/devices/${encodeURIComponent(d.id)}`} class="row-link">
                      <strong>{d.hostname ?? shortId(d.id)}</strong>
                    </Link>
                    <div class="small muted mono" title={d.id}>
                      {shortId(d.id, 12)} · {[d.os, d.arch].filter(Boolean).join(' ') || 'unknown system'}
                    </div>
                  </td>
                  <td class="truncate">{d.user}</td>
                  <td>
                    <DeviceStatusBadge status={d.status} />
                  </td>
                  <td>
                    <KeyBadge protection={d.keyProtection} />
                  </td>
                  <td>
                    <PostureBadge ok={d.posture?.ok} />
                  </td>
                  <td class="small">
                    <div>ceros {d.cerosVersion ?? '?'}</div>
                    <div class="muted">Claude Code {d.claudeVersion ?? '?'}</div>
                  </td>
                  <td class="nowrap">
                    <Time iso={d.lastSeen} relativeOnly />
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
    </>
  );
}
