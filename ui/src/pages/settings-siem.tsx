import { useState } from 'preact/hooks';
import type { SinkTestResult, SinkView } from '../api.ts';
import { ErrorState, FormError, Loading } from '../components/states.tsx';
import { useAsync, useConsole } from '../hooks.ts';

type Kind = 'hec' | 'syslog' | 'otlp';

interface Draft {
  name: string;
  kind: Kind;
  url: string;
  token: string;
  host: string;
  port: string;
  transport: 'tcp' | 'tls';
  ca: string;
  headerName: string;
  headerValue: string;
  from: 'start' | 'now';
}

const EMPTY: Draft = {
  name: '',
  kind: 'hec',
  url: '',
  token: '',
  host: '',
  port: '6514',
  transport: 'tls',
  ca: '',
  headerName: '',
  headerValue: '',
  from: 'start',
};

/** The form as the edge's sink config; the edge checks it and names every problem. */
export function draftConfig(d: Draft): Record<string, unknown> {
  const ca = d.ca.trim() ? { ca: d.ca.trim() } : {};
  if (d.kind === 'hec') return { kind: 'hec', url: d.url.trim(), token: d.token.trim(), ...ca };
  if (d.kind === 'syslog')
    return { kind: 'syslog', host: d.host.trim(), port: Number(d.port), transport: d.transport, ...ca };
  const headers = d.headerName.trim() ? { [d.headerName.trim()]: d.headerValue } : {};
  return { kind: 'otlp', url: d.url.trim(), headers, ...ca };
}

const KIND_LABEL: Record<Kind, string> = {
  hec: 'Splunk HEC',
  syslog: 'Syslog (RFC 5424)',
  otlp: 'OTLP/HTTP logs',
};

/** Settings > SIEM export: where every event goes as OCSF, how far each sink is, what failed. */
export function SiemSection() {
  const { api, canWrite } = useConsole();
  const sinks = useAsync<SinkView[]>(() => api.siemSinks(), []);
  return (
    <section class="card" aria-labelledby="settings-siem">
      <h2 class="card-title" id="settings-siem">
        SIEM export
      </h2>
      <p class="small muted">
        Every journal entry goes to each sink as an OCSF 1.8.0 event that names its signed entry (hash,
        device, seq, log index), at least once, from where the sink last stopped. Syslog messages carry the
        structured data <code>ceros@32473</code> (RFC 5612's documentation enterprise number, until ceros has
        its own).
      </p>
      {sinks.error && !sinks.data ? (
        <ErrorState error={sinks.error} retry={sinks.reload} />
      ) : !sinks.data ? (
        <Loading label="Loading the SIEM sinks…" />
      ) : (
        <SinkTable sinks={sinks.data} onChange={sinks.reload} />
      )}
      {canWrite ? <AddSinkForm onAdded={sinks.reload} /> : null}
    </section>
  );
}

function SinkTable({ sinks, onChange }: { sinks: SinkView[]; onChange: () => void }) {
  const { api, canWrite, notify } = useConsole();
  const [results, setResults] = useState<Record<string, SinkTestResult | string>>({});
  if (sinks.length === 0) return <p data-ready="siem">No sinks yet: events stay in the edge.</p>;
  const test = async (sink: SinkView) => {
    try {
      const result = await api.testSiemSink(sink.id);
      setResults((r) => ({ ...r, [sink.id]: result }));
    } catch (caught) {
      setResults((r) => ({ ...r, [sink.id]: (caught as Error).message }));
    }
  };
  const remove = async (sink: SinkView) => {
    if (!confirm(`Remove the sink "${sink.name}"? Its cursor is forgotten.`)) return;
    try {
      await api.removeSiemSink(sink.id);
      notify(`Removed the sink "${sink.name}"`);
      onChange();
    } catch (caught) {
      setResults((r) => ({ ...r, [sink.id]: (caught as Error).message }));
    }
  };
  return (
    <table class="table" data-ready="siem" aria-label="SIEM sinks">
      <thead>
        <tr>
          <th>Sink</th>
          <th>Delivered</th>
          <th>Pending</th>
          <th>Dead letters</th>
          <th>State</th>
          {canWrite ? <th /> : null}
        </tr>
      </thead>
      <tbody>
        {sinks.map((sink) => {
          const result = results[sink.id];
          return (
            <tr key={sink.id} data-sink={sink.name}>
              <td>
                <strong>{sink.name}</strong>
                <div class="small muted">
                  {KIND_LABEL[sink.kind]} · <code>{sink.target}</code>
                </div>
              </td>
              <td data-field="delivered">{sink.delivered}</td>
              <td data-field="pending">{sink.pending}</td>
              <td data-field="dead-letters">{sink.deadLetters}</td>
              <td data-field="state">
                {sink.lastError ? (
                  <p class="form-error" role="alert">
                    Failing ({sink.failures} in a row, next try {sink.nextAttemptAt}): {sink.lastError}
                  </p>
                ) : (
                  <span>
                    {sink.lastDeliveryAt ? `Delivering (last ${sink.lastDeliveryAt})` : 'Waiting for events'}
                  </span>
                )}
                {result === undefined ? null : typeof result === 'string' ? (
                  <p class="form-error" role="alert">
                    {result}
                  </p>
                ) : result.ok ? (
                  <p class="small">{result.message}</p>
                ) : (
                  <p class="form-error" role="alert">
                    {result.error}
                  </p>
                )}
              </td>
              {canWrite ? (
                <td>
                  <button type="button" class="btn" onClick={() => void test(sink)}>
                    Test
                  </button>{' '}
                  <button type="button" class="btn btn-danger" onClick={() => void remove(sink)}>
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function AddSinkForm({ onAdded }: { onAdded: () => void }) {
  const { api, notify } = useConsole();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tested, setTested] = useState<string | null>(null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const run = async (what: 'test' | 'add') => {
    setBusy(true);
    setError(null);
    setTested(null);
    try {
      if (what === 'test') {
        const result = await api.testSiemConfig(draftConfig(draft));
        if (result.ok) setTested(result.message);
        else setError(result.error);
      } else {
        await api.addSiemSink({ name: draft.name.trim(), from: draft.from, config: draftConfig(draft) });
        notify(`Added the sink "${draft.name.trim()}"`);
        setDraft(EMPTY);
        onAdded();
      }
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const field = (id: keyof Draft, label: string, props: Record<string, unknown> = {}) => (
    <>
      <label for={`siem-${id}`}>{label}</label>
      <input
        id={`siem-${id}`}
        value={draft[id] as string}
        onInput={(e) => set(id, e.currentTarget.value as never)}
        spellcheck={false}
        {...props}
      />
    </>
  );

  return (
    <form
      class="form"
      aria-label="Add a SIEM sink"
      onSubmit={(e) => {
        e.preventDefault();
        void run('add');
      }}
    >
      <h3>Add a sink</h3>
      <fieldset disabled={busy} class="settings-fields">
        {field('name', 'Name', { placeholder: 'splunk-prod', required: true })}
        <label for="siem-kind">Receiver</label>
        <select
          id="siem-kind"
          value={draft.kind}
          onChange={(e) => set('kind', e.currentTarget.value as Kind)}
        >
          <option value="hec">Splunk HTTP Event Collector</option>
          <option value="syslog">Syslog, RFC 5424 over TCP or TLS</option>
          <option value="otlp">OpenTelemetry OTLP/HTTP logs</option>
        </select>
        {draft.kind === 'syslog' ? (
          <>
            {field('host', 'Host', { placeholder: 'siem.example.com' })}
            {field('port', 'Port', { inputMode: 'numeric' })}
            <label for="siem-transport">Transport</label>
            <select
              id="siem-transport"
              value={draft.transport}
              onChange={(e) => set('transport', e.currentTarget.value as 'tcp' | 'tls')}
            >
              <option value="tls">TLS (RFC 5425)</option>
              <option value="tcp">TCP, unencrypted</option>
            </select>
          </>
        ) : (
          field('url', 'URL', {
            placeholder:
              draft.kind === 'hec' ? 'https://splunk.example.com:8088' : 'https://collector.example.com:4318',
          })
        )}
        {draft.kind === 'hec' ? field('token', 'HEC token', { type: 'password', autocomplete: 'off' }) : null}
        {draft.kind === 'otlp' ? (
          <>
            {field('headerName', 'Header (optional)', { placeholder: 'Authorization' })}
            {field('headerValue', 'Header value', { type: 'password', autocomplete: 'off' })}
          </>
        ) : null}
        <label for="siem-ca">CA certificate (PEM, optional: the system's CAs otherwise)</label>
        <textarea
          id="siem-ca"
          rows={3}
          spellcheck={false}
          value={draft.ca}
          onInput={(e) => set('ca', e.currentTarget.value)}
        />
        <label class="checkbox-row">
          <input
            type="checkbox"
            checked={draft.from === 'now'}
            onChange={(e) => set('from', e.currentTarget.checked ? 'now' : 'start')}
          />
          <span>Only events from now on (otherwise every stored entry first)</span>
        </label>
      </fieldset>
      <FormError error={error} />
      {tested ? (
        <p class="small" role="status">
          {tested}
        </p>
      ) : null}
      <div class="dialog-actions">
        <button type="button" class="btn" disabled={busy} onClick={() => void run('test')}>
          Send a test event
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy || draft.name.trim() === ''}>
          {busy ? 'Working…' : 'Test and add'}
        </button>
      </div>
    </form>
  );
}
