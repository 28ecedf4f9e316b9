import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type {
  DraftEvaluation,
  PolicyDetail,
  PolicySummary,
  PolicyValidation,
  PolicyVersion,
} from '../api.ts';
import { Badge, DecisionBadge } from '../components/badges.tsx';
import { DiffView } from '../components/diff-view.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, FormError, Loading } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { count, plural, summarizeInput } from '../format.ts';
import { useAsync, useConsole, useTitle } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { sessionHref } from './conversations.tsx';

const STARTER = `{
  "version": 1,
  "name": "Team policy",
  "default": "allow",
  "rules": [
    {
      "id": "no-ssh-keys",
      "effect": "deny",
      "paths": ["~/.ssh/**"],
      "reason": "SSH keys stay out of Claude Code sessions"
    }
  ]
}
`;

export function PoliciesPage({ policyId }: { policyId: string | undefined }) {
  useTitle('Policies');
  const { api, canWrite } = useConsole();
  const list = useAsync<PolicySummary[]>(() => api.policies(), []);
  const selected = policyId ?? list.data?.[0]?.id;

  return (
    <>
      <PageHeader
        title="Policies"
        subtitle="What Claude Code may do on enrolled devices. Devices enforce the active policy: the one published last."
        actions={
          canWrite ? (
            <Link href="/policies/new" class="btn btn-primary">
              New policy
            </Link>
          ) : null
        }
      />
      <div class="policies">
        <nav class="policy-list card card-flush" aria-label="Policies">
          {list.error && !list.data ? (
            <ErrorState error={list.error} retry={list.reload} />
          ) : !list.data ? (
            <Loading />
          ) : list.data.length === 0 ? (
            <Empty title="No policies yet">{canWrite ? 'Create one to start enforcing.' : undefined}</Empty>
          ) : (
            <ul>
              {list.data.map((p) => (
                <li key={p.id}>
                  <Link
                    href={`/policies/${encodeURIComponent(p.id)}`}
                    class="policy-link"
                    aria-current={p.id === selected ? 'page' : undefined}
                  >
                    <span class="policy-link-name">
                      <span class="mono">{p.name}</span>
                      {p.publishedVersion !== null ? <Badge tone="ok">Active</Badge> : null}
                    </span>
                    <span class="small muted">
                      {p.latestVersion === 1 ? '1 version' : `${p.latestVersion} versions`}
                      {p.publishedVersion !== null ? ` · v${p.publishedVersion} published` : ''}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div class="policy-pane">
          {policyId === 'new' ? (
            <NewPolicy
              onCreated={(id) => {
                list.reload();
                navigate(`/policies/${encodeURIComponent(id)}`);
              }}
            />
          ) : selected ? (
            <PolicyEditor
              key={selected}
              policyId={selected}
              active={list.data?.find((p) => p.publishedVersion !== null)}
              onChanged={list.reload}
            />
          ) : list.data && list.data.length > 0 ? (
            <Empty title="Select a policy" />
          ) : null}
        </div>
      </div>
    </>
  );
}

/** Validates as the admin types (debounced); the edge's validator is the one that gates saving. */
function useValidation(source: string): {
  result: PolicyValidation | null;
  checking: boolean;
  error: Error | null;
} {
  const { api } = useConsole();
  const [state, setState] = useState<{
    result: PolicyValidation | null;
    checking: boolean;
    error: Error | null;
  }>({
    result: null,
    checking: false,
    error: null,
  });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, checking: true }));
    const timer = setTimeout(() => {
      api.validatePolicy(source).then(
        (result) => live && setState({ result, checking: false, error: null }),
        (error: Error) => live && setState({ result: null, checking: false, error }),
      );
    }, 350);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [source, api]);
  return state;
}

function SourceEditor({
  value,
  onInput,
  validation,
  readOnly,
}: {
  value: string;
  onInput: (text: string) => void;
  validation: PolicyValidation | null;
  readOnly: boolean;
}) {
  const invalid = validation?.ok === false;
  const badLines = new Set(
    validation && !validation.ok ? validation.issues.flatMap((i) => (i.line ? [i.line] : [])) : [],
  );
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;
  return (
    <div class={`editor ${invalid ? 'editor-invalid' : ''}`}>
      <div class="editor-gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => (
          <div key={i} class={badLines.has(i + 1) ? 'gutter-bad' : undefined}>
            {i + 1}
          </div>
        ))}
      </div>
      <textarea
        id="policy-source"
        class="editor-text"
        spellcheck={false}
        aria-label="Policy source"
        aria-invalid={invalid}
        aria-describedby="policy-validation"
        readOnly={readOnly}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
        onKeyDown={(e) => {
          // Tab indents inside the editor; Escape then Tab leaves it (keyboard users are not trapped).
          if (e.key === 'Tab' && !e.shiftKey && !e.currentTarget.dataset.escaped) {
            e.preventDefault();
            const el = e.currentTarget;
            const start = el.selectionStart;
            el.setRangeText('  ', start, el.selectionEnd, 'end');
            onInput(el.value);
          } else if (e.key === 'Escape') e.currentTarget.dataset.escaped = '1';
          else delete e.currentTarget.dataset.escaped;
        }}
      />
    </div>
  );
}

function ValidationPanel({ state }: { state: ReturnType<typeof useValidation> }) {
  const { result, checking, error } = state;
  return (
    <div id="policy-validation" class="validation" aria-live="polite">
      {error ? (
        <p class="form-error">Cannot validate: {error.message}</p>
      ) : !result ? (
        <p class="muted small">Checking…</p>
      ) : result.ok ? (
        <p class="valid">
          <span aria-hidden="true">✓</span> Valid policy{checking ? ' · checking…' : ''}{' '}
          <code class="small muted">sha256 {result.hash.slice(0, 12)}…</code>
        </p>
      ) : (
        <div class="issues" role="alert">
          <p>
            <strong>{result.issues.length === 1 ? '1 problem' : `${result.issues.length} problems`}</strong>
            {checking ? <span class="muted"> · checking…</span> : null}
          </p>
          <ul>
            {result.issues.map((issue) => (
              <li key={`${issue.path}:${issue.line}:${issue.message}`}>
                {issue.line ? (
                  <span class="issue-line">{`Line ${issue.line}${issue.column ? `:${issue.column}` : ''}`}</span>
                ) : null}
                <code>{issue.path || '(policy)'}</code> {issue.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function NewPolicy({ onCreated }: { onCreated: (id: string) => void }) {
  const { api, canWrite, notify } = useConsole();
  const [name, setName] = useState('');
  const [source, setSource] = useState(STARTER);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const validation = useValidation(source);
  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createPolicy(name.trim(), source);
      notify(`Created ${name.trim()} version 1`);
      onCreated(created.id);
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={create}>
      <h2 class="card-title">New policy</h2>
      <div class="field">
        <label for="policy-name">Name</label>
        <input
          id="policy-name"
          class="mono"
          required
          pattern="[a-z0-9][a-z0-9._\-]{0,63}"
          placeholder="team-default"
          title="Lowercase letters, digits, . _ -"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <SourceEditor value={source} onInput={setSource} validation={validation.result} readOnly={!canWrite} />
      <ValidationPanel state={validation} />
      <FormError error={error} />
      <div class="editor-actions">
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || !canWrite || validation.result?.ok === false}
        >
          {busy ? 'Creating…' : 'Create version 1'}
        </button>
      </div>
      <DraftCheck source={source} valid={validation.result?.ok === true} />
    </form>
  );
}

function PolicyEditor({
  policyId,
  active,
  onChanged,
}: {
  policyId: string;
  /** The organization's active policy: the edge's bundle carries the one published last. */
  active: PolicySummary | undefined;
  onChanged: () => void;
}) {
  const { api, canWrite, notify } = useConsole();
  const detail = useAsync<PolicyDetail>(() => api.policy(policyId), [policyId]);
  const [source, setSource] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [compare, setCompare] = useState<{ a: number; b: number } | null>(null);

  const versions = useMemo(
    () => [...(detail.data?.versions ?? [])].sort((a, b) => b.version - a.version),
    [detail.data],
  );
  const latest = versions[0];
  const text = source ?? latest?.source ?? '';
  const validation = useValidation(text);
  useEffect(() => {
    setSource(null);
  }, [policyId]);

  if (detail.error && !detail.data) return <ErrorState error={detail.error} retry={detail.reload} />;
  if (!detail.data || !latest) return <Loading label="Loading the policy…" />;
  const policy = detail.data;
  const dirty = source !== null && source !== latest.source;
  const published = versions.find((v) => v.version === policy.publishedVersion);
  const pair = compare ?? {
    a:
      published && published.version !== latest.version
        ? published.version
        : (versions[1]?.version ?? latest.version),
    b: latest.version,
  };
  const versionSource = (n: number) => versions.find((v) => v.version === n)?.source ?? '';

  const run = async (label: string, action: () => Promise<string>) => {
    setBusy(label);
    setError(null);
    try {
      notify(await action());
      detail.reload();
      onChanged();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const save = () =>
    run('save', async () => {
      const { version } = await api.addPolicyVersion(policy.id, text);
      setSource(null);
      return `Saved ${policy.name} version ${version}`;
    });
  const publish = (version: number) =>
    run(`publish-${version}`, async () => {
      const result = await api.publishPolicy(policy.id, version);
      return `Published ${policy.name} version ${version} in bundle ${result.bundleVersion}`;
    });

  return (
    <div class="policy-editor">
      <section class="card">
        <div class="card-head">
          <h2 class="card-title mono">{policy.name}</h2>
          <div class="row-gap">
            {published ? (
              <Badge
                tone="ok"
                title="Devices enforce this version"
              >{`Active · version ${published.version} published`}</Badge>
            ) : (
              <Badge tone="neutral">Not active</Badge>
            )}
            <span class="muted small">Editing from version {latest.version}</span>
          </div>
        </div>
        <SourceEditor value={text} onInput={setSource} validation={validation.result} readOnly={!canWrite} />
        <ValidationPanel state={validation} />
        <FormError error={error} />
        {canWrite && active && active.id !== policy.id ? (
          <p class="small muted replace-note">
            Publishing makes this the organization's active policy in place of <strong>{active.name}</strong>{' '}
            (version {active.publishedVersion}): devices enforce one policy, the one published last.
          </p>
        ) : null}
        {canWrite ? (
          <div class="editor-actions">
            {dirty ? (
              <button type="button" class="btn btn-ghost" onClick={() => setSource(null)}>
                Discard changes
              </button>
            ) : null}
            <button
              type="button"
              class="btn"
              disabled={!dirty || busy !== null || validation.result?.ok === false}
              onClick={save}
            >
              {busy === 'save' ? 'Saving…' : `Save as version ${latest.version + 1}`}
            </button>
            <button
              type="button"
              class="btn btn-primary"
              disabled={dirty || busy !== null || policy.publishedVersion === latest.version}
              title={dirty ? 'Save your changes first' : undefined}
              onClick={() => publish(latest.version)}
            >
              {busy === `publish-${latest.version}` ? 'Publishing…' : `Publish version ${latest.version}`}
            </button>
          </div>
        ) : null}
        {dirty ? (
          <details class="collapsible">
            <summary>Unsaved changes against version {latest.version}</summary>
            <DiffView before={latest.source} after={text} label="Unsaved changes" />
          </details>
        ) : null}
      </section>

      <section class="card" aria-labelledby="history-h">
        <h2 id="history-h" class="card-title">
          Version history
        </h2>
        <table class="table table-compact">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
              <th scope="col">By</th>
              <th scope="col">Hash</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v: PolicyVersion) => (
              <tr key={v.version}>
                <td>v{v.version}</td>
                <td>
                  <Time iso={v.createdAt} />
                </td>
                <td class="truncate">{v.createdBy}</td>
                <td>
                  <code class="small" title={v.hash}>
                    {v.hash.slice(0, 10)}…
                  </code>
                </td>
                <td>
                  {v.version === policy.publishedVersion ? (
                    <Badge tone="ok">Active</Badge>
                  ) : (
                    <span class="muted small">Saved</span>
                  )}
                </td>
                <td class="actions">
                  {v.version > 1 ? (
                    <button
                      type="button"
                      class="btn btn-small"
                      onClick={() => setCompare({ a: v.version - 1, b: v.version })}
                    >
                      Diff
                    </button>
                  ) : null}
                  {canWrite && v.version !== policy.publishedVersion ? (
                    <button
                      type="button"
                      class="btn btn-small"
                      disabled={busy !== null}
                      onClick={() => publish(v.version)}
                    >
                      {busy === `publish-${v.version}`
                        ? 'Publishing…'
                        : v.version < (policy.publishedVersion ?? 0)
                          ? 'Roll back to this'
                          : 'Publish'}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {versions.length > 1 ? (
          <div class="compare">
            <div class="row-gap">
              <label for="cmp-a">Compare</label>
              <VersionSelect
                id="cmp-a"
                versions={versions}
                published={policy.publishedVersion}
                value={pair.a}
                onSelect={(a) => setCompare({ ...pair, a })}
              />
              <label for="cmp-b">with</label>
              <VersionSelect
                id="cmp-b"
                versions={versions}
                published={policy.publishedVersion}
                value={pair.b}
                onSelect={(b) => setCompare({ ...pair, b })}
              />
            </div>
            <DiffView
              before={versionSource(pair.a)}
              after={versionSource(pair.b)}
              label={`Diff of version ${pair.a} and ${pair.b}`}
            />
          </div>
        ) : null}
      </section>
      <DraftCheck source={text} valid={validation.result?.ok === true} />
    </div>
  );
}

function VersionSelect({
  id,
  versions,
  published,
  value,
  onSelect,
}: {
  id: string;
  versions: PolicyVersion[];
  published: number | null;
  value: number;
  onSelect: (version: number) => void;
}) {
  return (
    <select id={id} value={value} onChange={(e) => onSelect(Number(e.currentTarget.value))}>
      {versions.map((v) => (
        <option key={v.version} value={v.version}>
          v{v.version}
          {v.version === published ? ' (published)' : ''}
        </option>
      ))}
    </select>
  );
}

const REPLAY_DAYS = [1, 7, 30, 90] as const;

/**
 * What the draft would do: its own test cases (`tests:` in the policy; the edge refuses to publish
 * a version that fails one) and the calls devices recorded in the last days decided again under
 * it, with every call whose decision would change.
 */
function DraftCheck({ source, valid }: { source: string; valid: boolean }) {
  const { api } = useConsole();
  const [days, setDays] = useState<number>(7);
  const [state, setState] = useState<{
    result: DraftEvaluation | null;
    checking: boolean;
    error: Error | null;
  }>({ result: null, checking: false, error: null });
  useEffect(() => {
    if (!valid) return;
    let live = true;
    setState((s) => ({ ...s, checking: true }));
    const timer = setTimeout(() => {
      api.evaluatePolicy(source, days).then(
        (result) => live && setState({ result, checking: false, error: null }),
        (error: Error) => live && setState((s) => ({ ...s, checking: false, error })),
      );
    }, 500);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [source, days, valid, api]);
  const result = state.result;
  return (
    <section class="card" aria-labelledby="cases-h" data-checking={state.checking ? 'true' : 'false'}>
      <div class="section-head">
        <h2 id="cases-h" class="card-title">
          Test cases and replay
        </h2>
        <div class="field field-inline">
          <label for="replay-days">Replay the last</label>
          <select id="replay-days" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {REPLAY_DAYS.map((d) => (
              <option key={d} value={d}>
                {plural(d, 'day')}
              </option>
            ))}
          </select>
        </div>
      </div>
      {!valid ? (
        <p class="small muted">Fix the problems above to run the test cases and the replay.</p>
      ) : state.error ? (
        <p class="form-error" role="alert">
          {state.error.message}
        </p>
      ) : !result ? (
        <Loading />
      ) : (
        <>
          <TestCases tests={result.tests} />
          <Replay replay={result.replay} />
        </>
      )}
    </section>
  );
}

function TestCases({ tests }: { tests: DraftEvaluation['tests'] }) {
  if (tests.results.length === 0)
    return (
      <p class="small muted">
        No test cases. Add <code>tests:</code> to the policy, each a call and the decision it must get (
        <code>{'{ name, tool, input, posture, expect }'}</code>): they run here on every change, and the edge
        refuses to publish a version that fails one.
      </p>
    );
  return (
    <>
      <h3>
        Test cases{' '}
        {tests.failed > 0 ? (
          <Badge tone="bad">{`${tests.failed} of ${tests.results.length} fail`}</Badge>
        ) : (
          <Badge tone="ok">{`All ${tests.results.length} pass`}</Badge>
        )}
      </h3>
      <table class="table table-compact" aria-label="Test cases">
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Expected</th>
            <th scope="col">Decided</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {tests.results.map((t) => (
            <tr key={t.index} data-pass={t.pass ? 'true' : 'false'}>
              <td>
                {t.name}
                {t.posture ? <div class="small muted">{casePosture(t.posture)}</div> : null}
                {t.hint ? <div class="small form-hint">{t.hint}</div> : null}
              </td>
              <td>
                <DecisionBadge effect={t.expected.effect} />
                {t.expected.rule ? <code class="small"> {t.expected.rule}</code> : null}
              </td>
              <td title={t.actual.reason}>
                <DecisionBadge effect={t.actual.effect} /> <code class="small">{t.actual.rule}</code>
              </td>
              <td>{t.pass ? <Badge tone="ok">Pass</Badge> : <Badge tone="bad">Fail</Badge>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The device a case ran on, in words: the facts it set; every other fact is unknown. */
function casePosture(posture: Readonly<Record<string, string>>): string {
  const facts = Object.entries(posture).map(([fact, value]) => `${fact} ${value}`);
  return `On a device with ${facts.join(', ')}; other facts unknown`;
}

function Replay({ replay }: { replay: DraftEvaluation['replay'] }) {
  const s = replay.summary;
  return (
    <>
      <h3>Replay</h3>
      <p role="status">
        {plural(replay.calls, 'recorded call')} of the last {plural(replay.days, 'day')} decided again:{' '}
        {s.changed === 0 ? (
          <Badge tone="ok">No decision would change</Badge>
        ) : (
          <>
            <Badge
              tone={s.newlyDenied > 0 ? 'bad' : 'neutral'}
            >{`${count(s.newlyDenied)} newly denied`}</Badge>{' '}
            <Badge
              tone={s.newlyAllowed > 0 ? 'warn' : 'neutral'}
            >{`${count(s.newlyAllowed)} newly allowed`}</Badge>{' '}
            <span class="small muted">({plural(s.changed, 'decision')} would change)</span>
          </>
        )}
      </p>
      {replay.changed.length > 0 ? (
        <table class="table table-compact" aria-label="Calls whose decision would change">
          <thead>
            <tr>
              <th scope="col">Call</th>
              <th scope="col">User</th>
              <th scope="col">Was</th>
              <th scope="col">Under this draft</th>
            </tr>
          </thead>
          <tbody>
            {replay.changed.map((c) => (
              <tr key={`${c.deviceId}/${c.sessionId}/${c.toolUseId}`}>
                <td class="truncate">
                  <Link href={`${sessionHref(c)}#call-${c.toolUseId}`}>
                    <code>{c.toolName}</code>
                  </Link>{' '}
                  <span class="mono small muted">{summarizeInput(c.input).slice(0, 80)}</span>
                  <div class="small muted">
                    <Time iso={c.time} />
                  </div>
                </td>
                <td class="small">{c.userEmail ?? '—'}</td>
                <td>
                  <DecisionBadge effect={c.recorded.effect} />
                  {c.recorded.rule ? <code class="small"> {c.recorded.rule}</code> : null}
                </td>
                <td title={c.draft.detail ?? undefined}>
                  <DecisionBadge effect={c.draft.effect} /> <code class="small">{c.draft.rule}</code>
                  <div class="small">{c.draft.reason}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ul class="small muted assumptions">
        {replay.assumptions.map((a) => (
          <li key={a}>{a}</li>
        ))}
      </ul>
    </>
  );
}
