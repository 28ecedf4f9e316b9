import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PolicyDetail, PolicySummary, PolicyValidation, PolicyVersion } from '../api.ts';
import { Badge, DecisionBadge } from '../components/badges.tsx';
import { DiffView } from '../components/diff-view.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { summarizeInput } from '../format.ts';
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
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div class="editor-actions">
        <button
          type="submit"
          class="btn btn-primary"
          disabled={busy || !canWrite || validation.result?.ok === false}
        >
          {busy ? 'Creating…' : 'Create version 1'}
        </button>
      </div>
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
        {error ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : null}
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
              <select
                id="cmp-a"
                value={pair.a}
                onChange={(e) => setCompare({ ...pair, a: Number(e.currentTarget.value) })}
              >
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                    {v.version === policy.publishedVersion ? ' (published)' : ''}
                  </option>
                ))}
              </select>
              <label for="cmp-b">with</label>
              <select
                id="cmp-b"
                value={pair.b}
                onChange={(e) => setCompare({ ...pair, b: Number(e.currentTarget.value) })}
              >
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                    {v.version === policy.publishedVersion ? ' (published)' : ''}
                  </option>
                ))}
              </select>
            </div>
            <DiffView
              before={versionSource(pair.a)}
              after={versionSource(pair.b)}
              label={`Diff of version ${pair.a} and ${pair.b}`}
            />
          </div>
        ) : null}
      </section>
      <RecordedDecisions source={text} />
    </div>
  );
}

/**
 * The edge offers no draft evaluation or replay yet, so this shows what exists: the latest
 * blocking decisions devices recorded, and whether each deciding rule is still in the draft.
 */
function RecordedDecisions({ source }: { source: string }) {
  const { api } = useConsole();
  const calls = useAsync(async () => {
    const [denied, asked] = await Promise.all([
      api.toolCalls({ decision: 'deny', limit: 20 }),
      api.toolCalls({ decision: 'ask', limit: 10 }),
    ]);
    return [...denied.items, ...asked.items]
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
      .slice(0, 20);
  }, []);
  return (
    <section class="card" aria-labelledby="cases-h">
      <h2 id="cases-h" class="card-title">
        Test cases and replay
      </h2>
      <p class="small muted">
        This edge does not evaluate drafts or replay sessions yet. These are the latest calls devices blocked
        or asked about, with the deciding rule, as cases to check your change against.
      </p>
      {calls.error ? (
        <ErrorState error={calls.error} retry={calls.reload} />
      ) : !calls.data ? (
        <Loading />
      ) : calls.data.length === 0 ? (
        <Empty title="No blocked or asked calls recorded yet" />
      ) : (
        <table class="table table-compact">
          <thead>
            <tr>
              <th scope="col">Call</th>
              <th scope="col">Decision</th>
              <th scope="col">Rule</th>
              <th scope="col">In this draft</th>
            </tr>
          </thead>
          <tbody>
            {calls.data.map((c) => (
              <tr key={`${c.deviceId}/${c.toolUseId}`}>
                <td class="truncate">
                  <Link href={`${sessionHref(c)}#call-${c.toolUseId}`}>
                    <code>{c.toolName}</code>
                  </Link>{' '}
                  <span class="mono small muted">{summarizeInput(c.input).slice(0, 80)}</span>
                </td>
                <td>
                  <DecisionBadge effect={c.decision?.effect} mode={c.decision?.mode ?? null} />
                </td>
                <td>
                  <code class="small">{c.decision?.rule ?? '—'}</code>
                </td>
                <td>
                  {c.decision?.rule && source.includes(c.decision.rule) ? (
                    <Badge tone="info">Rule present</Badge>
                  ) : (
                    <span class="muted small">Not in this policy</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
