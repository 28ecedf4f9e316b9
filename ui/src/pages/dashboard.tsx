import type { AdoptionGap, Dashboard, Device, IntegrityAlert } from '../api.ts';
import { Badge, PostureBadge } from '../components/badges.tsx';
import { BarChart, type Bucket } from '../components/bar-chart.tsx';
import { probeLabel } from '../components/evidence.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { count, plural, shortId } from '../format.ts';
import { useAsync, useConsole, useTitle } from '../hooks.ts';
import { integrityHeadline } from '../integrity.ts';
import { type PrivacyInForce, privacyInForce } from '../privacy.ts';
import { Link } from '../router.tsx';

const DAY = 86_400_000;
const DAYS = 14;

interface Overview {
  totals: Dashboard;
  days: { start: number; counts: Dashboard }[];
  devices: Device[];
  gaps: AdoptionGap[];
  privacy: PrivacyInForce | null;
  integrity: IntegrityAlert[];
}

/** What the tier keeps and how long the edge keeps it (docs/privacy.md). */
function privacyDetail(p: PrivacyInForce): string {
  const keeps = { metadata: 'metadata only', arguments: 'metadata and tool arguments', full: 'full content' }[
    p.tier
  ];
  const kept = (days: number | null) => (days === null ? 'kept' : `${days} d`);
  const retention =
    p.tier === 'metadata'
      ? ''
      : ` · arguments ${kept(p.retention.arguments)}${p.tier === 'full' ? `, content ${kept(p.retention.content)}` : ''}`;
  return `${keeps}${p.byDefault ? ' (default)' : ''}${retention}${p.policy ? ` · ${p.policy}` : ''}`;
}

/** Local midnight `daysAgo` days before today. */
function dayStart(daysAgo: number): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - daysAgo);
  return d.getTime();
}

function Stat({
  label,
  value,
  detail,
  href,
  tone,
}: {
  label: string;
  value: number | string;
  detail?: string;
  href?: string;
  tone?: 'bad' | 'warn';
}) {
  const body = (
    <>
      <span class="stat-label">{label}</span>
      <span class={`stat-value ${tone && typeof value === 'number' && value > 0 ? `stat-${tone}` : ''}`}>
        {typeof value === 'number' ? count(value) : value}
      </span>
      {detail ? <span class="stat-detail">{detail}</span> : null}
    </>
  );
  return href ? (
    <Link href={href} class="stat stat-link">
      {body}
    </Link>
  ) : (
    <div class="stat">{body}</div>
  );
}

export function DashboardPage() {
  useTitle('Dashboard');
  const { api } = useConsole();
  const state = useAsync<Overview>(async () => {
    const from = dayStart(DAYS - 1);
    const to = Date.now() + 1;
    // One query per day: the edge's dashboard counts a window, so a series is a window per bucket.
    const starts = Array.from({ length: DAYS }, (_, i) => dayStart(DAYS - 1 - i));
    const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const [totals, days, devices, gaps, privacy, integrity] = await Promise.all([
      api.dashboard({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }),
      Promise.all(
        starts.map(async (start) => ({
          start,
          counts: await api.dashboard({
            from: new Date(start).toISOString(),
            to: new Date(Math.min(start + DAY, to)).toISOString(),
          }),
        })),
      ),
      api.devices({ limit: 500 }).then((page) => page.items),
      api.adoptionGaps({ limit: 200 }).then((page) => page.items),
      privacyInForce(api).catch(() => null),
      api.integrityAlerts({ ...range, limit: 50 }).then((page) => page.items),
    ]);
    return { totals, days, devices, gaps, privacy, integrity };
  }, []);

  if (state.error && !state.data) return <ErrorState error={state.error} retry={state.reload} />;
  if (!state.data) return <Loading />;
  const { totals, days, devices, gaps, privacy, integrity } = state.data;
  const alerted = [...new Set(integrity.map((a) => a.deviceId))];
  const deviceName = (id: string) => devices.find((d) => d.id === id)?.hostname ?? shortId(id);
  const seenToday = devices.filter(
    (d) => d.status === 'active' && d.lastSeen !== null && Date.parse(d.lastSeen) > Date.now() - DAY,
  ).length;
  const failing = devices.filter((d) => d.status === 'active' && d.posture?.ok === false);
  const bucket = (pick: (c: Dashboard) => number): Bucket[] =>
    days.map((d) => {
      const date = new Date(d.start);
      return {
        label: date.toLocaleDateString(undefined, { day: 'numeric', month: 'numeric' }),
        title: date.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' }),
        value: pick(d.counts),
      };
    });
  const gapsByUser = new Map<string, AdoptionGap[]>();
  for (const gap of gaps) {
    const key = gap.user ?? '(unknown user)';
    gapsByUser.set(key, [...(gapsByUser.get(key) ?? []), gap]);
  }

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle={`Fleet at a glance · last ${DAYS} days`}
        actions={
          <button type="button" class="btn" onClick={state.reload} disabled={state.loading}>
            {state.loading ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      />
      <section aria-label="Fleet" class="stats">
        <Stat
          label="Users provisioned"
          value={totals.provisionedUsers}
          detail={`${count(totals.notYetEnrolled)} not yet enrolled`}
        />
        <Stat
          label="Devices enrolled"
          value={totals.enrolledDevices}
          detail={`${count(totals.enrolledUsers)} users · ${count(totals.pendingDevices)} pending · ${count(totals.revokedDevices)} revoked`}
          href="/devices"
        />
        <Stat
          label="Devices active today"
          value={seenToday}
          detail="seen in the last 24 hours"
          href="/devices"
        />
        <Stat
          label="Claude Code running now"
          value={totals.activeInstances}
          detail="active instances"
          href="/conversations"
        />
        <Stat
          label="Devices with integrity alerts"
          value={totals.devicesWithIntegrityAlerts}
          detail={`${plural(totals.integrityAlerts, 'alert')}: journals rewound, refused or repaired`}
          tone="bad"
          href={
            alerted.length === 1 && alerted[0] ? `/devices/${encodeURIComponent(alerted[0])}` : '/devices'
          }
        />
        {privacy && (
          <Stat label="Privacy tier" value={privacy.tier} detail={privacyDetail(privacy)} href="/policies" />
        )}
      </section>
      <section aria-label="Activity" class="charts">
        <div class="card chart-card">
          <div class="chart-head">
            <h2>Sessions</h2>
            <span class="chart-total">{count(totals.sessions)}</span>
          </div>
          <BarChart
            buckets={bucket((c) => c.sessions)}
            tone="accent"
            label={`Sessions per day, last ${DAYS} days`}
          />
        </div>
        <div class="card chart-card">
          <div class="chart-head">
            <h2>Tool calls</h2>
            <span class="chart-total">{count(totals.toolCalls)}</span>
          </div>
          <BarChart
            buckets={bucket((c) => c.toolCalls)}
            tone="accent"
            label={`Tool calls per day, last ${DAYS} days`}
          />
        </div>
        <div class="card chart-card">
          <div class="chart-head">
            <h2>Blocked actions</h2>
            <Link
              href="/tools?tab=calls&decision=deny"
              class={`chart-total ${totals.blocks > 0 ? 'stat-bad' : ''}`}
            >
              {count(totals.blocks)}
            </Link>
          </div>
          <BarChart
            buckets={bucket((c) => c.blocks)}
            tone="bad"
            label={`Blocked tool calls per day, last ${DAYS} days`}
          />
        </div>
      </section>
      <div class="grid-2">
        <section class="card" aria-labelledby="posture-h">
          <div class="card-head">
            <h2 id="posture-h">Posture failures</h2>
            <span class="muted">
              {plural(totals.postureFailures, 'failing report')} ·{' '}
              {plural(totals.devicesFailingPosture, 'device')} failing now
            </span>
          </div>
          {failing.length === 0 ? (
            <Empty title="Every active device passes its posture checks" />
          ) : (
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">User</th>
                  <th scope="col">Since</th>
                  <th scope="col">Failed checks</th>
                </tr>
              </thead>
              <tbody>
                {failing.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link href={`/devices/${encodeURIComponent(d.id)}`}>{d.hostname ?? shortId(d.id)}</Link>
                    </td>
                    <td>{d.user}</td>
                    <td>
                      <Time iso={d.posture?.at} relativeOnly />
                    </td>
                    <td class="small">
                      {d.posture?.failures.length ? (
                        d.posture.failures.map(probeLabel).join(', ')
                      ) : (
                        <PostureBadge ok={false} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="card" aria-labelledby="gaps-h">
          <div class="card-head">
            <h2 id="gaps-h">Adoption gaps</h2>
            <span class="muted">
              Claude Code run without ceros · {plural(totals.usersWithAdoptionGaps, 'user')}
            </span>
          </div>
          {gapsByUser.size === 0 ? (
            <Empty title="No adoption gaps reported">Every Claude Code session seen ran under ceros.</Empty>
          ) : (
            <ul class="gap-list">
              {[...gapsByUser].map(([user, list]) => (
                <li key={user}>
                  <div class="gap-user">
                    <strong>{user}</strong> <Badge tone="warn">{plural(list.length, 'gap')}</Badge>
                  </div>
                  <ul>
                    {list.slice(0, 5).map((gap) => (
                      <li key={`${gap.deviceId}-${gap.claudeSessionId}`} class="gap-item">
                        <Link href={`/devices/${encodeURIComponent(gap.deviceId)}`}>
                          {devices.find((d) => d.id === gap.deviceId)?.hostname ?? shortId(gap.deviceId)}
                        </Link>
                        <span class="mono muted" title={gap.cwd ?? ''}>
                          {gap.cwd ?? 'unknown folder'}
                        </span>
                        <Time iso={gap.reportedAt} relativeOnly />
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="integrity-h">
        <div class="card-head">
          <h2 id="integrity-h">Journal integrity</h2>
          <span class="muted">
            {plural(totals.integrityAlerts, 'alert')} · {plural(totals.devicesWithIntegrityAlerts, 'device')}
          </span>
        </div>
        {integrity.length === 0 ? (
          <Empty title="No journal was rewound, refused or repaired" />
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">What happened</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {integrity.map((a) => (
                <tr key={`${a.deviceId}-${a.seq}`}>
                  <td>
                    <Link href={`/devices/${encodeURIComponent(a.deviceId)}`}>{deviceName(a.deviceId)}</Link>
                  </td>
                  <td class="small">{integrityHeadline(a)}</td>
                  <td>
                    <Time iso={a.time} relativeOnly />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
