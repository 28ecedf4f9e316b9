import { Badge, type Tone } from './badges.tsx';
import { Collapsible, JsonBlock } from './code.tsx';

/**
 * Posture reports and process ancestry, shown for a human. The agent's report shapes
 * (agent/src/posture/types.ts, agent/src/ancestry/types.ts) are read defensively: a shape this
 * view does not know is shown as JSON, never dropped.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const STATUS_TONE: Record<string, Tone> = {
  ok: 'ok',
  pass: 'ok',
  passed: 'ok',
  failed: 'bad',
  fail: 'bad',
  unknown: 'neutral',
};
const PROBE_LABEL: Record<string, string> = {
  os: 'Operating system',
  kernel: 'Kernel',
  arch: 'Architecture',
  hostname: 'Host name',
  user: 'User',
  diskEncryption: 'Disk encryption',
  secureBoot: 'Secure Boot',
  firewall: 'Firewall',
  screenLock: 'Screen lock',
  endpointProtection: 'Endpoint protection',
  codeIntegrity: 'Code integrity',
  ceros: 'ceros binary',
  claudeCode: 'Claude Code binary',
};

/** A probe's name as a person reads it (`diskEncryption` -> `Disk encryption`). */
export function probeLabel(name: string): string {
  return PROBE_LABEL[name] ?? name;
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(valueText).join(', ');
  if (isObj(value)) {
    if (Array.isArray(value.volumes))
      return value.volumes
        .filter(isObj)
        .map(
          (v) =>
            `${String(v.role ?? v.path ?? 'volume')}: ${String(v.status ?? '?')}${v.mechanism ? ` (${String(v.mechanism)})` : ''}`,
        )
        .join('; ');
    if (Array.isArray(value.running) || Array.isArray(value.installed)) {
      const running = Array.isArray(value.running) ? value.running.map(String) : [];
      const installed = Array.isArray(value.installed) ? value.installed.map(String) : [];
      return running.length > 0
        ? `running: ${running.join(', ')}`
        : installed.length > 0
          ? `installed, not running: ${installed.join(', ')}`
          : 'none found';
    }
    if (typeof value.name === 'string' && 'uid' in value)
      return `${value.name}${value.uid !== null ? ` (uid ${String(value.uid)})` : ''}`;
    if (typeof value.name === 'string' && 'version' in value)
      return `${value.name}${value.version ? ` ${String(value.version)}` : ''}`;
    if (typeof value.release === 'string') return value.release;
    if (typeof value.enabled === 'boolean')
      return `${value.enabled ? 'on' : 'off'}${typeof value.source === 'string' ? ` (${value.source})` : ''}${typeof value.delaySeconds === 'number' ? `, after ${value.delaySeconds} s` : ''}`;
    if (typeof value.version === 'string' || typeof value.sha256 === 'string')
      return `${typeof value.version === 'string' ? value.version : ''} ${typeof value.sha256 === 'string' ? `sha256 ${value.sha256.slice(0, 12)}…` : ''}`.trim();
    const flags = Object.entries(value);
    if (flags.length > 0 && flags.every(([, v]) => typeof v === 'boolean'))
      return flags.map(([k, v]) => `${k} ${v ? 'on' : 'off'}`).join(', ');
  }
  return JSON.stringify(value);
}

interface Check {
  name: string;
  status: string;
  detail: string;
  evidence?: string;
}

function checksOf(report: unknown): Check[] | null {
  if (!isObj(report)) return null;
  if (isObj(report.probes))
    return Object.entries(report.probes).map(([name, probe]) => {
      const p = isObj(probe) ? probe : {};
      return {
        name: PROBE_LABEL[name] ?? name,
        status: typeof p.status === 'string' ? p.status : 'unknown',
        detail: valueText(p.value),
        ...(typeof p.evidence === 'string' ? { evidence: p.evidence } : {}),
      };
    });
  if (Array.isArray(report.checks))
    return report.checks.filter(isObj).map((c) => ({
      name: typeof c.name === 'string' ? c.name : 'check',
      status:
        typeof c.status === 'string'
          ? c.status
          : c.ok === false
            ? 'failed'
            : c.ok === true
              ? 'ok'
              : 'unknown',
      detail: valueText(c.value ?? c.detail),
    }));
  if (Array.isArray(report.failures))
    return report.failures.map((f) => ({
      name: typeof f === 'string' ? f : JSON.stringify(f),
      status: 'failed',
      detail: '',
    }));
  return null;
}

const norm = (status: string) =>
  STATUS_TONE[status.toLowerCase()] === 'ok'
    ? 'ok'
    : STATUS_TONE[status.toLowerCase()] === 'bad'
      ? 'failed'
      : 'unknown';

/** Overall verdict of a report: failing if any check failed, passing if all passed, else unknown. */
export function postureVerdict(report: unknown): boolean | null {
  if (isObj(report) && typeof report.ok === 'boolean') return report.ok;
  const checks = checksOf(report);
  if (!checks || checks.length === 0) return null;
  if (checks.some((c) => norm(c.status) === 'failed')) return false;
  return checks.every((c) => norm(c.status) === 'ok') ? true : null;
}

function CheckTable({ checks }: { checks: readonly Check[] }) {
  return (
    <table class="table table-compact checks">
      <thead>
        <tr>
          <th scope="col">Check</th>
          <th scope="col">Result</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((c) => (
          <tr key={c.name}>
            <td>{c.name}</td>
            <td>
              <Badge tone={STATUS_TONE[c.status.toLowerCase()] ?? 'neutral'}>{c.status}</Badge>
            </td>
            <td class="wrap" title={c.evidence}>
              {c.detail || <span class="muted">{c.evidence ?? ''}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A posture report: counts, then what failed or could not be checked, then (folded) every check
 * and the raw report. `compact` folds the full table too, for narrow columns.
 */
export function PostureReport({ report, compact = false }: { report: unknown; compact?: boolean }) {
  const checks = checksOf(report);
  if (!checks || checks.length === 0) return <JsonBlock value={report} label="Posture report" />;
  const count = (status: string) => checks.filter((c) => norm(c.status) === status).length;
  const attention = checks.filter((c) => norm(c.status) !== 'ok');
  return (
    <div class="posture">
      <p class="row-gap small">
        {count('ok') > 0 ? <Badge tone="ok">{`${count('ok')} ok`}</Badge> : null}
        {count('failed') > 0 ? <Badge tone="bad">{`${count('failed')} failed`}</Badge> : null}
        {count('unknown') > 0 ? <Badge tone="neutral">{`${count('unknown')} unknown`}</Badge> : null}
      </p>
      {compact ? (
        <>
          {attention.length > 0 ? (
            <ul class="attention">
              {attention.map((c) => (
                <li key={c.name}>
                  <Badge tone={STATUS_TONE[c.status.toLowerCase()] ?? 'neutral'}>{c.status}</Badge>{' '}
                  <strong>{c.name}</strong>
                  {c.detail ? <div class="small muted wrap">{c.detail}</div> : null}
                </li>
              ))}
            </ul>
          ) : null}
          <Collapsible summary={`All ${checks.length} checks`}>
            <CheckTable checks={checks} />
          </Collapsible>
        </>
      ) : (
        <CheckTable checks={checks} />
      )}
      <Collapsible summary="Raw report">
        <JsonBlock value={report} label="Posture report" />
      </Collapsible>
    </div>
  );
}

interface Proc {
  pid: string;
  name: string;
  exe: string;
  argv: string;
  sha256: string;
}

function processesOf(ancestry: unknown): Proc[] | null {
  const chain =
    isObj(ancestry) && Array.isArray(ancestry.chain)
      ? ancestry.chain
      : Array.isArray(ancestry)
        ? ancestry
        : null;
  if (!chain) return null;
  return chain.map((p) => {
    if (typeof p === 'string') return { pid: '', name: p, exe: '', argv: '', sha256: '' };
    const o = isObj(p) ? p : {};
    return {
      pid: o.pid === undefined ? '' : String(o.pid),
      name: typeof o.name === 'string' ? o.name : '?',
      exe: typeof o.exe === 'string' ? o.exe : '',
      argv: Array.isArray(o.argv) ? o.argv.map(String).join(' ') : '',
      sha256: typeof o.sha256 === 'string' ? o.sha256 : '',
    };
  });
}

/** The process chain a session ran under, child first: names at a glance, the evidence folded. */
export function AncestryChain({ ancestry }: { ancestry: unknown }) {
  const chain = processesOf(ancestry);
  if (!chain || chain.length === 0) return <JsonBlock value={ancestry} label="Process ancestry" />;
  return (
    <>
      <p class="chain">
        <span class="sr-only">Process chain, child first: </span>
        {chain.map((p, i) => (
          <span key={`${p.pid}-${i}`}>
            {i > 0 ? (
              <span class="muted" aria-hidden="true">
                {' ← '}
              </span>
            ) : null}
            <span class="mono">{p.name}</span>
          </span>
        ))}
      </p>
      {isObj(ancestry) && (ancestry.complete === false || typeof ancestry.stop === 'string') ? (
        <p class="small muted">
          Walk stopped: {String(ancestry.stop ?? 'unknown')}
          {ancestry.complete === false ? ' (chain incomplete)' : ''}
        </p>
      ) : null}
      <Collapsible summary="Executables, hashes and command lines">
        <ol class="ancestry">
          {chain.map((p, i) => (
            <li key={`${p.pid}-${i}`}>
              <span class="mono ancestry-name">{p.name}</span>
              {p.pid ? <span class="muted"> pid {p.pid}</span> : null}
              {p.exe ? (
                <div class="mono small muted wrap" title={p.sha256 ? `sha256 ${p.sha256}` : undefined}>
                  {p.exe}
                  {p.sha256 ? ` · sha256 ${p.sha256.slice(0, 12)}…` : ''}
                </div>
              ) : null}
              {p.argv ? <div class="mono small wrap argv">{p.argv}</div> : null}
            </li>
          ))}
        </ol>
      </Collapsible>
    </>
  );
}
