import { useState } from 'preact/hooks';
import type { DeviceDetail, PostureRecord } from '../api.ts';
import { DeviceStatusBadge, KeyBadge, PostureBadge } from '../components/badges.tsx';
import { Collapsible, Facts } from '../components/code.tsx';
import { Dialog } from '../components/dialog.tsx';
import { PostureReport, probeLabel } from '../components/evidence.tsx';
import { IntegrityAlerts } from '../components/integrity-alerts.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, FormError, Loading, LoadMore } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { refreshDevices } from '../device-directory.ts';
import { count, shortId } from '../format.ts';
import { useAsync, useConsole, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';
import { sessionHref } from './conversations.tsx';

/** One line per probe a posture change touched, as the agent summarised it. */
function changeSummaries(changes: unknown): string[] {
  if (!Array.isArray(changes)) return [];
  return changes.map((c) =>
    typeof c === 'object' && c !== null
      ? String((c as { summary?: unknown; probe?: unknown }).summary ?? (c as { probe?: unknown }).probe)
      : String(c),
  );
}

export function DevicePage({ deviceId }: { deviceId: string }) {
  const { api, canWrite, notify } = useConsole();
  const device = useAsync<DeviceDetail>(() => api.device(deviceId), [deviceId]);
  const [more, setMore] = useState<{ items: PostureRecord[]; cursor: string | null; loading: boolean }>({
    items: [],
    cursor: null,
    loading: false,
  });
  const [revoking, setRevoking] = useState(false);
  const [busy, setBusy] = useState(false);
  useTitle(device.data?.hostname ?? 'Device');

  if (device.error && !device.data)
    return (
      <>
        <PageHeader title="Device" back={{ href: '/devices', label: 'Devices' }} />
        <ErrorState error={device.error} retry={device.reload} />
      </>
    );
  if (!device.data) return <Loading label="Loading the device…" />;
  const d = device.data;
  const history = [...d.postureHistory, ...more.items];
  const cursor = more.items.length > 0 ? more.cursor : d.postureCursor;

  const loadMore = async () => {
    if (!cursor) return;
    setMore((m) => ({ ...m, loading: true }));
    try {
      const page = await api.devicePosture(d.id, { cursor, limit: 50 });
      setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.nextCursor, loading: false }));
    } catch (caught) {
      notify((caught as Error).message, 'error');
      setMore((m) => ({ ...m, loading: false }));
    }
  };
  const approve = async () => {
    setBusy(true);
    try {
      await api.approveDevice(d.id);
      refreshDevices(api);
      notify(`Approved ${d.hostname ?? d.id}`);
      device.reload();
    } catch (caught) {
      notify((caught as Error).message, 'error');
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        back={{ href: '/devices', label: 'Devices' }}
        title={
          <>
            {d.hostname ?? shortId(d.id)} <DeviceStatusBadge status={d.status} />
          </>
        }
        subtitle={
          <>
            {d.user} · <span class="mono">{d.id}</span>
          </>
        }
        actions={
          <>
            <Link href={`/conversations?device=${encodeURIComponent(d.id)}`} class="btn">
              Sessions
            </Link>
            {canWrite && d.status === 'pending' ? (
              <button type="button" class="btn btn-primary" onClick={approve} disabled={busy}>
                Approve
              </button>
            ) : null}
            {canWrite && d.status !== 'revoked' ? (
              <button type="button" class="btn btn-danger" onClick={() => setRevoking(true)}>
                Revoke
              </button>
            ) : null}
          </>
        }
      />
      {d.status === 'revoked' ? (
        <div class="banner banner-bad" role="note">
          <strong>Revoked</strong> <Time iso={d.revokedAt} />
          {d.revokedReason ? <span> · {d.revokedReason}</span> : null}. The edge refuses this device's uploads
          and its sessions end at the next status check.
        </div>
      ) : null}
      {/* A journal that was rewound or refused is the first thing to see; a clean one goes last. */}
      {d.integrityAlerts.length > 0 ? <IntegrityAlerts deviceId={d.id} alerts={d.integrityAlerts} /> : null}
      <div class="grid-2">
        <section class="card">
          <h2 class="card-title">Identity and versions</h2>
          <Facts
            rows={[
              ['User', `${d.user}${d.userStatus === 'revoked' ? ' (revoked)' : ''}`],
              ['Device key', <KeyBadge protection={d.keyProtection} />],
              ['System', [d.os, d.arch].filter(Boolean).join(' ') || null],
              ['ceros', d.cerosVersion],
              ['Claude Code', d.claudeVersion],
              ['Enrolled', <Time iso={d.enrolledAt} />],
              ['Approved', d.approvedAt ? <Time iso={d.approvedAt} /> : null],
              ['Last seen', <Time iso={d.lastSeen} />],
              ['Journal', d.journalHead === null ? 'no entries yet' : `${count(d.journalHead + 1)} entries`],
            ]}
          />
        </section>
        <section class="card">
          <h2 class="card-title">
            Current posture <PostureBadge ok={d.posture?.ok} />
          </h2>
          {d.posture ? (
            <>
              <p class="small muted">
                Reported <Time iso={d.posture.at} />
                {d.posture.failures.length > 0
                  ? ` · failed: ${d.posture.failures.map(probeLabel).join(', ')}`
                  : ''}
              </p>
              <PostureReport report={d.posture.report} />
            </>
          ) : (
            <Empty title="No posture reported yet" />
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="posture-history-h">
        <h2 id="posture-history-h" class="card-title">
          Posture history
        </h2>
        {history.length === 0 ? (
          <Empty title="No posture reports yet" />
        ) : (
          <table class="table table-compact">
            <thead>
              <tr>
                <th scope="col">Reported</th>
                <th scope="col">Result</th>
                <th scope="col">What</th>
                <th scope="col">Session</th>
                <th scope="col">Report</th>
              </tr>
            </thead>
            <tbody>
              {history.map((p) => (
                <tr key={`${p.sessionId}-${p.seq}`}>
                  <td class="nowrap">
                    <Time iso={p.time} />
                  </td>
                  <td>
                    <PostureBadge ok={p.ok} />
                  </td>
                  <td class="small">
                    {p.kind === 'change' ? (
                      <ul class="plain">
                        {changeSummaries(p.changes).map((line) => (
                          <li key={line}>{line}</li>
                        ))}
                      </ul>
                    ) : (
                      <>
                        Session start
                        {p.failures.length > 0 ? (
                          <div class="muted">failed: {p.failures.map(probeLabel).join(', ')}</div>
                        ) : null}
                      </>
                    )}
                  </td>
                  <td>
                    <Link href={sessionHref({ deviceId: d.id, sessionId: p.sessionId })} class="mono small">
                      {shortId(p.sessionId, 8)}
                    </Link>
                  </td>
                  <td class="wide-cell">
                    <Collapsible summary="Show">
                      <PostureReport report={p.report} />
                    </Collapsible>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <LoadMore hasMore={cursor !== null} loading={more.loading} onMore={loadMore} shown={history.length} />
      </section>
      {d.integrityAlerts.length === 0 ? <IntegrityAlerts deviceId={d.id} alerts={[]} /> : null}
      {revoking ? (
        <RevokeDialog
          device={d}
          onClose={() => setRevoking(false)}
          onRevoked={() => {
            setRevoking(false);
            refreshDevices(api);
            device.reload();
          }}
        />
      ) : null}
    </>
  );
}

function RevokeDialog({
  device,
  onClose,
  onRevoked,
}: {
  device: DeviceDetail;
  onClose: () => void;
  onRevoked: () => void;
}) {
  const { api, notify } = useConsole();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const revoke = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.revokeDevice(device.id, reason.trim() || undefined);
      notify(`Revoked ${device.hostname ?? device.id}`);
      onRevoked();
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Revoke ${device.hostname ?? shortId(device.id)}?`} onClose={onClose}>
      <form class="form" onSubmit={revoke}>
        <p>
          The edge stops accepting this device's journal and its running sessions end. {device.user} must
          enroll again with a new key to come back. This cannot be undone.
        </p>
        <label for="revoke-reason">Reason (kept in the activity log)</label>
        <textarea
          id="revoke-reason"
          rows={3}
          maxLength={500}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <FormError error={error} />
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-danger" disabled={busy}>
            {busy ? 'Revoking…' : 'Revoke device'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
