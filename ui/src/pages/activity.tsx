import { verifyCommand } from '@ceros/edge/src/ledger/verify-command.ts';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api, AuditExportFile, Device, LogKey } from '../api.ts';
import { Badge, PostureBadge, type Tone } from '../components/badges.tsx';
import { CodeBlock, Collapsible, JsonBlock } from '../components/code.tsx';
import { AncestryChain, PostureReport } from '../components/evidence.tsx';
import { PeriodFields } from '../components/period-fields.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, FormError, Loading, LoadMore } from '../components/states.tsx';
import { Tabs } from '../components/tabs.tsx';
import { Time } from '../components/time.tsx';
import { deviceLabel, useDeviceDirectory } from '../device-directory.ts';
import { count, detailText, plural, shortId } from '../format.ts';
import { useConsole, usePaged, useTitle } from '../hooks.ts';
import { Link, type Location, setQuery } from '../router.tsx';
import {
  type EntryCheck,
  type ParsedEntry,
  parseEntryLine,
  sessionKeysOf,
  verifyEntries,
} from '../verify-entries.ts';
import { checkInclusion } from '../verify-inclusion.ts';
import { sessionHref } from './conversations.tsx';

type Tab = 'journal' | 'admin' | 'export';

export function ActivityPage({ location }: { location: Location }) {
  useTitle('Activity log');
  const raw = location.query.get('tab');
  const tab: Tab = raw === 'admin' || raw === 'export' ? raw : 'journal';
  return (
    <>
      <PageHeader
        title="Activity log"
        subtitle="Every signed journal entry with its verification state, and the edge's audit trail"
      />
      <Tabs
        label="Activity"
        tabs={[
          { key: 'journal', label: 'Signed journal' },
          { key: 'admin', label: 'Audit trail' },
          { key: 'export', label: 'Export' },
        ]}
        selected={tab}
        onSelect={(key) => setQuery({ tab: key === 'journal' ? undefined : key })}
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tabpanel">
        {tab === 'journal' ? (
          <Journal location={location} />
        ) : tab === 'admin' ? (
          <AdminActions />
        ) : (
          <Export />
        )}
      </div>
    </>
  );
}

const WINDOW = 200;
/** How far back to look for the `session.key` entries of sessions that started before the window. */
const KEY_SEARCH_PAGES = 5;

interface JournalState {
  entries: ParsedEntry[];
  checks: Map<number, EntryCheck>;
  /** Seq of the oldest loaded entry; 0 means the whole journal is loaded. */
  first: number;
  loading: boolean;
  error: Error | null;
}

async function loadWindow(api: Api, deviceId: string, toSeq: number, keys: Map<string, string>) {
  const from = Math.max(0, toSeq - WINDOW + 1);
  // One extra line before the window anchors the first link of the chain.
  const after = Math.max(-1, from - 2);
  const page = await api.exportEntries(deviceId, { after, limit: toSeq - after });
  const parsed = page.lines.map(parseEntryLine).filter((e): e is ParsedEntry => e !== null);
  const anchor = from > 0 ? (parsed.find((e) => e.seq === from - 1)?.line ?? null) : null;
  const entries = parsed.filter((e) => e.seq >= from && e.seq <= toSeq);
  for (const [session, key] of sessionKeysOf(entries)) keys.set(session, key);
  // Sessions that began before the window: find their key entries further back.
  let before = from - 1;
  for (let i = 0; i < KEY_SEARCH_PAGES && before >= 0; i++) {
    const missing = new Set(entries.map((e) => e.session).filter((s) => !keys.has(s)));
    if (missing.size === 0) break;
    const start = Math.max(0, before - 999);
    const older = await api.exportEntries(deviceId, { after: start - 1, limit: before - start + 1 });
    const olderEntries = older.lines.map(parseEntryLine).filter((e): e is ParsedEntry => e !== null);
    for (const [session, key] of sessionKeysOf(olderEntries)) keys.set(session, key);
    before = start - 1;
  }
  const checks = await verifyEntries(entries, anchor, keys);
  return { entries, checks, from };
}

type InclusionState =
  | { state: 'checking' }
  | { state: 'unavailable'; reason: string }
  | { state: 'bad'; seq: number; reason: string }
  | { state: 'ok'; seq: number; index: number; size: number };

/**
 * Proves the newest loaded entry is a leaf of the log's signed checkpoint, in this browser; the
 * hash chain then commits every earlier entry whose links up to it check out.
 */
function useInclusion(
  api: Api,
  deviceId: string | undefined,
  newest: ParsedEntry | undefined,
): InclusionState {
  const [state, setState] = useState<InclusionState>({ state: 'checking' });
  const line = newest?.line;
  const seq = newest?.seq;
  useEffect(() => {
    if (!deviceId || line === undefined || seq === undefined) return;
    let live = true;
    setState({ state: 'checking' });
    Promise.all([api.inclusion(deviceId, seq), api.logKey()])
      .then(([answer, key]) => checkInclusion(line, answer, key.verifierKey))
      .then(
        (result) =>
          live &&
          setState(
            result.ok
              ? { state: 'ok', seq, index: result.index, size: result.size }
              : { state: 'bad', seq, reason: result.reason },
          ),
        (error: Error) => live && setState({ state: 'unavailable', reason: error.message }),
      );
    return () => {
      live = false;
    };
  }, [api, deviceId, line, seq]);
  return state;
}

/** Entries committed by the proven one: at or before it, with every hash link up to it verified. */
function committedBy(entries: readonly ParsedEntry[], checks: Map<number, EntryCheck>, provenSeq: number) {
  const out = new Set<number>();
  let linked = true;
  for (const e of [...entries].sort((a, b) => b.seq - a.seq)) {
    if (e.seq > provenSeq) continue;
    if (linked) out.add(e.seq);
    if (checks.get(e.seq)?.chain !== 'ok') linked = false;
  }
  return out;
}

function InclusionBadge({ inclusion }: { inclusion: InclusionState }) {
  switch (inclusion.state) {
    case 'checking':
      return <span class="muted small">Checking the log…</span>;
    case 'unavailable':
      return (
        <Badge tone="neutral" title={inclusion.reason}>
          Log inclusion not checked
        </Badge>
      );
    case 'bad':
      return (
        <Badge tone="bad" title={inclusion.reason}>{`Entry ${inclusion.seq} not proven in the log`}</Badge>
      );
    case 'ok':
      return (
        <Badge
          tone="ok"
          title={`Entry ${inclusion.seq} is leaf ${inclusion.index} of the checkpoint of ${inclusion.size} leaves signed by the log key (checked in this browser against the key this edge announces; ceros verify checks an export against a key you hold)`}
        >
          {`In signed checkpoint of ${count(inclusion.size)}`}
        </Badge>
      );
  }
}

function CheckBadge({ check }: { check: EntryCheck | undefined }) {
  if (!check) return <Badge tone="neutral">Checking…</Badge>;
  const tone: Tone =
    check.chain === 'bad' || check.signature === 'bad'
      ? 'bad'
      : check.chain === 'ok' && check.signature === 'ok'
        ? 'ok'
        : 'neutral';
  const label =
    tone === 'bad'
      ? check.signature === 'bad'
        ? 'Signature invalid'
        : 'Chain broken'
      : tone === 'ok'
        ? 'Verified'
        : check.signature === 'unknown'
          ? 'Chained · key not loaded'
          : 'Signed · link not loaded';
  return (
    <Badge
      tone={tone}
      title={`Hash chain: ${check.chain}; session signature: ${check.signature}; accepted by the edge at ingest`}
    >
      {label}
    </Badge>
  );
}

function Journal({ location }: { location: Location }) {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const list = [...devices.values()].filter((d) => d.journalHead !== null);
  const deviceId = location.query.get('device') ?? list[0]?.id ?? '';
  const device = devices.get(deviceId);
  const [type, setType] = useState('');
  const [keys] = useState(() => new Map<string, string>());
  const [state, setState] = useState<JournalState>({
    entries: [],
    checks: new Map(),
    first: 0,
    loading: true,
    error: null,
  });

  useEffect(() => {
    if (!device || device.journalHead === null) return;
    let live = true;
    setState({ entries: [], checks: new Map(), first: 0, loading: true, error: null });
    loadWindow(api, device.id, device.journalHead, keys).then(
      (w) =>
        live &&
        setState({ entries: w.entries, checks: w.checks, first: w.from, loading: false, error: null }),
      (error: Error) => live && setState((s) => ({ ...s, loading: false, error })),
    );
    return () => {
      live = false;
    };
  }, [api, device, keys]);

  const loadOlder = () => {
    if (!device || state.first === 0) return;
    setState((s) => ({ ...s, loading: true }));
    loadWindow(api, device.id, state.first - 1, keys).then(
      (w) =>
        setState((s) => ({
          entries: [...w.entries, ...s.entries],
          checks: new Map([...s.checks, ...w.checks]),
          first: w.from,
          loading: false,
          error: null,
        })),
      (error: Error) => setState((s) => ({ ...s, loading: false, error })),
    );
  };

  // Posture and ancestry come from each session's `session.start` entry, where it is loaded.
  const starts = useMemo(() => {
    const map = new Map<string, Record<string, unknown>>();
    for (const e of state.entries)
      if (e.type === 'session.start' && typeof e.payload === 'object' && e.payload !== null)
        map.set(e.session, e.payload as Record<string, unknown>);
    return map;
  }, [state.entries]);
  const types = useMemo(() => [...new Set(state.entries.map((e) => e.type))].sort(), [state.entries]);
  const shown = useMemo(
    () => [...state.entries].reverse().filter((e) => type === '' || e.type === type),
    [state.entries, type],
  );
  const bad = [...state.checks.values()].filter((c) => c.chain === 'bad' || c.signature === 'bad').length;
  const inclusion = useInclusion(api, device?.id, state.loading ? undefined : state.entries.at(-1));
  const committed = useMemo(
    () =>
      inclusion.state === 'ok' ? committedBy(state.entries, state.checks, inclusion.seq) : new Set<number>(),
    [inclusion, state.entries, state.checks],
  );

  if (devices.size === 0) return <Loading label="Loading devices…" />;
  if (list.length === 0)
    return (
      <Empty title="No journal entries yet">
        Entries appear once an enrolled device uploads its journal.
      </Empty>
    );
  return (
    <>
      <div class="filters">
        <div class="field">
          <label for="j-device">Device</label>
          <select
            id="j-device"
            value={deviceId}
            onChange={(e) => setQuery({ device: e.currentTarget.value })}
          >
            {list.map((d) => (
              <option key={d.id} value={d.id}>
                {d.hostname ?? d.id} · {d.user}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="j-type">Entry type</label>
          <select id="j-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="">All types</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div class="field field-note">
          {state.loading ? (
            <span class="muted small">Loading and verifying…</span>
          ) : bad > 0 ? (
            <Badge tone="bad">{plural(bad, 'entry', 'entries')} failed verification</Badge>
          ) : state.entries.length > 0 ? (
            <Badge tone="ok">{`${count(state.entries.length)} entries verified in this browser`}</Badge>
          ) : null}{' '}
          {state.entries.length > 0 ? <InclusionBadge inclusion={inclusion} /> : null}
        </div>
      </div>
      {device ? <JournalIdentity device={device} /> : null}
      {state.error ? <ErrorState error={state.error} retry={loadOlder} /> : null}
      {state.loading && state.entries.length === 0 ? (
        <Loading label="Loading the journal…" />
      ) : (
        <div class="card card-flush">
          <table class="table table-compact" data-ready="journal">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Seq
                </th>
                <th scope="col">Time</th>
                <th scope="col">Type</th>
                <th scope="col">Session</th>
                <th scope="col">Verification</th>
                <th scope="col" class="col-wide">
                  Detail
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.seq} data-seq={e.seq}>
                  <td class="num mono">{e.seq}</td>
                  <td class="nowrap">
                    <Time iso={e.time} />
                  </td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    <Link
                      href={sessionHref({ deviceId: e.device, sessionId: e.session })}
                      class="mono small"
                      title={e.session}
                    >
                      {shortId(e.session, 8)}
                    </Link>
                  </td>
                  <td>
                    <CheckBadge check={state.checks.get(e.seq)} />
                    {committed.has(e.seq) ? (
                      <span
                        class="small muted in-log"
                        title="Committed by the proven entry's leaf through the hash chain"
                      >
                        {' '}
                        in log
                      </span>
                    ) : null}
                  </td>
                  <td class="col-wide">
                    <Collapsible summary={<span class="small">{entrySummary(e)}</span>}>
                      <EntryDetail entry={e} start={starts.get(e.session)} />
                    </Collapsible>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore
        hasMore={state.first > 0}
        loading={state.loading}
        onMore={loadOlder}
        shown={state.entries.length}
      />
    </>
  );
}

function JournalIdentity({ device }: { device: Device }) {
  return (
    <p class="identity small">
      <strong>{device.user}</strong> on <strong>{device.hostname ?? device.id}</strong> · key{' '}
      {device.keyProtection} · <PostureBadge ok={device.posture?.ok} /> · journal head seq{' '}
      {device.journalHead}
    </p>
  );
}

function entrySummary(e: ParsedEntry): string {
  const p = (typeof e.payload === 'object' && e.payload !== null ? e.payload : {}) as Record<string, unknown>;
  switch (e.type) {
    case 'prompt':
      return String(p.text ?? '').slice(0, 120);
    case 'tool.decision': {
      const d = (p.decision ?? {}) as Record<string, unknown>;
      return `${String(p.toolName ?? '')} → ${String(d.effect ?? '?')}${d.rule ? ` (${String(d.rule)})` : ''}`;
    }
    case 'tool.result':
      return String(p.toolName ?? '');
    case 'tool.definition': {
      const d = (typeof p.definition === 'object' && p.definition !== null ? p.definition : p) as Record<
        string,
        unknown
      >;
      return String(d.name ?? '');
    }
    case 'session.end':
      return `exit ${String(p.exitCode ?? '?')}`;
    case 'session.start':
      return String(p.cwd ?? '');
    case 'mcp.server':
      return `${String(p.name ?? '')} (${String(p.status ?? '')})`;
    case 'api.request':
      return typeof p.model === 'string' ? `model ${p.model}` : 'API request';
    case 'api.response':
      return typeof p.stopReason === 'string' ? `stop: ${p.stopReason}` : 'API response';
    case 'posture.change': {
      const changes = Array.isArray(p.changes) ? (p.changes as Record<string, unknown>[]) : [];
      return changes.map((c) => String(c.summary ?? c.probe ?? '')).join('; ') || 'posture change';
    }
    case 'subagent.start':
    case 'subagent.stop': {
      const raw = (p.raw ?? {}) as Record<string, unknown>;
      return `${e.type === 'subagent.start' ? 'started' : 'stopped'} ${String(raw.agent_type ?? 'subagent')}`;
    }
    case 'policy.unsigned':
      return String(p.reason ?? 'unsigned policy');
    case 'alert':
      return String(p.message ?? 'alert');
    default:
      return e.type.startsWith('hook.') ? `hook ${e.type.slice(5)}` : 'Show entry';
  }
}

function EntryDetail({ entry, start }: { entry: ParsedEntry; start: Record<string, unknown> | undefined }) {
  return (
    <div class="entry-detail">
      <div class="grid-2">
        <div>
          <h4>Session posture</h4>
          {start?.posture !== undefined ? (
            <PostureReport report={start.posture} compact />
          ) : (
            <p class="muted small">Not recorded in the loaded entries.</p>
          )}
        </div>
        <div>
          <h4>Process ancestry</h4>
          {start?.ancestry !== undefined ? (
            <AncestryChain ancestry={start.ancestry} />
          ) : (
            <p class="muted small">Not recorded in the loaded entries.</p>
          )}
        </div>
      </div>
      <h4>Payload</h4>
      <JsonBlock value={entry.payload} label="Payload" />
      <h4>Signed entry, as stored</h4>
      <CodeBlock text={entry.line} label="Signed entry" />
    </div>
  );
}

/** `admin:x`, `device:id`, `user:x`: who did it, in words. */
function Actor({ actor, devices }: { actor: string; devices: Map<string, Device> }) {
  const at = actor.indexOf(':');
  const kind = at === -1 ? '' : actor.slice(0, at);
  const who = at === -1 ? actor : actor.slice(at + 1);
  if (kind === 'device')
    return (
      <>
        <Link href={`/devices/${encodeURIComponent(who)}`}>{deviceLabel(devices, who)}</Link>{' '}
        <span class="muted small">device</span>
      </>
    );
  return (
    <>
      {who} {kind ? <span class="muted small">{kind}</span> : null}
    </>
  );
}

/** An entry's details as text: each key with its value in words (findings as sentences). */
function Details({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  if (typeof value !== 'object' || Array.isArray(value)) return <span class="wrap">{detailText(value)}</span>;
  const pairs = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return (
    <span class="kv">
      {pairs.map(([k, v]) => (
        <span key={k} data-detail={k}>
          <span class="muted">{k}</span> {detailText(v)}
        </span>
      ))}
    </span>
  );
}

/** A device's entries (alerts, denials, unsigned policies) target a session: link to it, and to the call. */
const SESSION_ACTIONS =
  /^(alert\.|hook\.|tool\.denied$|posture\.changed$|policy\.unsigned$|api\.refused$|settings\.|session\.abandoned$)/;

function Target({
  actor,
  action,
  target,
  details,
}: {
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}) {
  if (target === null) return <>—</>;
  if (!actor.startsWith('device:') || !SESSION_ACTIONS.test(action)) return <>{target}</>;
  const toolUseId = (details as { toolUseId?: unknown } | null)?.toolUseId;
  const href = sessionHref({ deviceId: actor.slice('device:'.length), sessionId: target });
  return (
    <Link href={typeof toolUseId === 'string' ? `${href}#call-${toolUseId}` : href}>
      session {shortId(target, 8)}
    </Link>
  );
}

function AdminActions() {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const list = usePaged((cursor) => api.activity({ cursor, limit: 100 }), []);
  if (list.error && list.items.length === 0) return <ErrorState error={list.error} retry={list.reload} />;
  if (list.initial) return <Loading label="Loading console actions…" />;
  if (list.items.length === 0) return <Empty title="Nothing in the audit trail yet" />;
  return (
    <>
      <div class="card card-flush">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col" class="col-wide">
                Details
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((a) => (
              <tr key={a.id}>
                <td class="nowrap">
                  <Time iso={a.time} />
                </td>
                <td class="truncate">
                  <Actor actor={a.actor} devices={devices} />
                </td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td class="mono small truncate" title={a.target ?? ''}>
                  <Target actor={a.actor} action={a.action} target={a.target} details={a.details} />
                </td>
                <td class="col-wide">
                  <Details value={a.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore
        hasMore={list.hasMore}
        loading={list.loading}
        onMore={list.loadMore}
        shown={list.items.length}
      />
    </>
  );
}

const DAY = 86_400_000;

/**
 * The audit export of a period (docs/spec/export.md): the log's signed checkpoints at both ends,
 * every entry between them, the device keys and session certificates, as one file an auditor
 * checks offline with `ceros verify` and the log's key, shown here next to it.
 */
function Export() {
  const { api } = useConsole();
  const [from, setFrom] = useState<string | undefined>(() => new Date(Date.now() - 7 * DAY).toISOString());
  const [to, setTo] = useState<string | undefined>(() => new Date(Date.now() + 60_000).toISOString());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ file: AuditExportFile; key: LogKey; url: string } | null>(null);

  useEffect(
    () => () => {
      if (result) URL.revokeObjectURL(result.url);
    },
    [result],
  );

  const run = async (event: Event) => {
    event.preventDefault();
    if (!from || !to || from >= to) {
      setError('Choose a start before the end');
      return;
    }
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      const [file, key] = await Promise.all([api.auditExport({ from, to }), api.logKey()]);
      const url = URL.createObjectURL(new Blob([file.text], { type: 'application/json' }));
      setResult({ file, key, url });
      const link = document.createElement('a');
      link.href = url;
      link.download = file.fileName;
      document.body.append(link);
      link.click();
      link.remove();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="export">
      <form class="card form-grid" onSubmit={run} aria-label="Export a period">
        <h2 class="card-title">Export a period</h2>
        <p class="small muted">
          One file with every entry the transparency log holds for the period, the log&apos;s signed
          checkpoints at both ends (with witness cosignatures), the device keys and the session certificates.
          Anyone can check it offline: nothing in it has to be trusted.
        </p>
        <div class="filters">
          <PeriodFields id="x" from={from} to={to} onFrom={setFrom} onTo={setTo} required />
          <div class="field field-actions">
            <button type="submit" class="btn btn-primary" disabled={busy}>
              {busy ? 'Exporting…' : 'Export'}
            </button>
          </div>
        </div>
        {busy ? (
          <p class="small muted" role="status">
            The edge is collecting the period&apos;s entries and proofs…
          </p>
        ) : null}
        <FormError error={error} />
      </form>
      {result ? <ExportDone {...result} /> : null}
    </div>
  );
}

function ExportDone({ file, key, url }: { file: AuditExportFile; key: LogKey; url: string }) {
  const leaves = file.period.toIndex - file.period.fromIndex;
  return (
    <section class="card" aria-labelledby="export-done-h">
      <h2 id="export-done-h" class="card-title">
        {file.fileName}
      </h2>
      <p>
        {plural(file.entries, 'entry', 'entries')} from {plural(file.devices, 'device')} and{' '}
        {plural(file.sessions, 'session')}: leaves {count(file.period.fromIndex)} to{' '}
        {count(file.period.toIndex)} of log <code>{file.origin}</code>
        {leaves === 0 ? ' (nothing was recorded in this period)' : ''}, between{' '}
        <Time iso={file.period.from} /> and <Time iso={file.period.to} />.{' '}
        {file.cosignatures > 0 ? (
          <Badge tone="ok">{`End checkpoint cosigned by ${plural(file.cosignatures, 'witness', 'witnesses')}`}</Badge>
        ) : (
          <Badge tone="neutral">No witness cosigned the end checkpoint</Badge>
        )}{' '}
        <a href={url} download={file.fileName}>
          Download again
        </a>
      </p>
      <h3>Verify it offline</h3>
      <CodeBlock text={verifyCommand(file.fileName, key)} label="Verify command" />
      <p class="small muted">
        <code>ceros verify</code> checks both checkpoints against the log key
        {key.witnesses.length > 0 ? ' and the witness keys' : ''}, that the entries are exactly the log&apos;s
        leaves between them, and every entry&apos;s hash chain, signature and session certificate; it exits 0
        only if all of that holds and otherwise names the first bad entry. Compare the log key with the one
        your devices pinned at enrollment (<code>~/.ceros/log-key</code>) or the one published to you out of
        band: an auditor should not take it from the same place as the file.
      </p>
    </section>
  );
}
