import { useState } from 'preact/hooks';
import {
  allowEntryFor,
  allowlistAllows,
  allowlistMisses,
  FIRST_POLICY_NAME,
  managedIdentity,
  newAllowlistPolicy,
  restrictsMcpServers,
  type ServerRef,
  withServerAllowed,
} from '../allowlist.ts';
import type { ManagedMcp, ManagedMcpInput, McpServer, PolicyDetail, SeenOnDevice } from '../api.ts';
import { Badge } from '../components/badges.tsx';
import { Dialog } from '../components/dialog.tsx';
import { DiffView } from '../components/diff-view.tsx';
import { PageHeader } from '../components/shell.tsx';
import { Empty, ErrorState, FormError, Loading, LoadMore } from '../components/states.tsx';
import { Time } from '../components/time.tsx';
import { deviceLabel, useDeviceDirectory } from '../device-directory.ts';
import { count } from '../format.ts';
import { type AsyncState, useAsync, useConsole, usePaged, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

interface Approvals {
  /** Published policies and their sources, to tell which allowlists name or list a server. */
  published: { name: string; source: string }[];
  managed: ManagedMcp[];
  policies: PolicyDetail[];
  /** The published source of the active policy (devices enforce the one published last). */
  activeSource: string | null;
}

/**
 * The approvals a change may build on: the active policy as the edge has it now. Not the copy kept
 * while they reload after a publish, nor one whose reload failed: a change built on that would
 * publish over the version just published and drop it.
 */
function freshApprovals(state: AsyncState<Approvals>): Approvals | undefined {
  return state.loading || state.error ? undefined : state.data;
}

/** The active policy and the newest version of it, which a change builds on. */
function activePolicy(policies: PolicyDetail[]) {
  const active = policies.find((p) => p.publishedVersion !== null);
  const base = active?.versions.find((v) => v.version === active.latestVersion);
  return { active, base: base?.source ?? '' };
}

export function McpServersPage() {
  useTitle('MCP servers');
  const { api, canWrite } = useConsole();
  const servers = usePaged((cursor) => api.mcpServers({ cursor, limit: 200 }), []);
  const approvals = useAsync<Approvals>(async () => {
    const summaries = await api.policies();
    const [policies, managed] = await Promise.all([
      Promise.all(summaries.map((p) => api.policy(p.id))),
      api.managedMcp(),
    ]);
    const published = policies.flatMap((policy) => {
      const version = policy.versions.find((v) => v.version === policy.publishedVersion);
      return version ? [{ name: policy.name, source: version.source }] : [];
    });
    const active = policies.find((p) => p.publishedVersion !== null);
    const activeSource = active?.versions.find((v) => v.version === active.publishedVersion)?.source ?? null;
    return { published, managed, policies, activeSource };
  }, []);
  const [approving, setApproving] = useState<McpServer | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="MCP servers"
        subtitle="Every MCP server configured on an enrolled device, and the servers your organization manages"
      />
      <section aria-labelledby="seen-h">
        <h2 id="seen-h" class="section-title">
          Seen on devices
        </h2>
        {servers.error && servers.items.length === 0 ? (
          <ErrorState error={servers.error} retry={servers.reload} />
        ) : servers.initial ? (
          <Loading label="Loading MCP servers…" />
        ) : servers.items.length === 0 ? (
          <Empty title="No MCP servers seen yet">
            Servers appear when a session starts with an MCP server configured.
          </Empty>
        ) : (
          <div class="card card-flush">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Server</th>
                  <th scope="col">Approval</th>
                  <th scope="col">Last state</th>
                  <th scope="col">First seen</th>
                  <th scope="col" class="num">
                    Devices
                  </th>
                  <th scope="col" class="num">
                    Blocked attempts
                  </th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {servers.items.map((s) => {
                  const key = `${s.name}\u0000${s.identity}`;
                  const policies = (approvals.data?.published ?? [])
                    .filter((p) => allowlistAllows(p.source, s))
                    .map((p) => p.name);
                  const managed = s.approval === 'managed';
                  // Managed but left out of the active allowlist: devices are handed it and block it.
                  const activeSource = approvals.data?.activeSource ?? null;
                  const managedBlocked =
                    managed &&
                    policies.length === 0 &&
                    activeSource !== null &&
                    allowlistMisses(activeSource, s) === true;
                  const approved = policies.length > 0 || (managed && !managedBlocked);
                  return [
                    <tr key={key} data-server={s.name}>
                      <td>
                        <strong class="mono">{s.name}</strong>
                        <div class="mono small muted truncate" title={s.identity}>
                          {s.identity || '—'}
                        </div>
                      </td>
                      <td>
                        {approvals.loading && !approvals.data ? (
                          <span class="muted small">Checking…</span>
                        ) : approved ? (
                          <Badge
                            tone="ok"
                            title={
                              policies.length
                                ? `Allowed by ${policies.join(', ')}`
                                : 'Managed by the organization'
                            }
                          >
                            {managed ? 'Managed' : 'Approved'}
                          </Badge>
                        ) : managedBlocked ? (
                          <Badge
                            tone="warn"
                            title="Managed by the organization, but the active policy's MCP allowlist does not name it: devices block it"
                          >
                            Managed, not approved
                          </Badge>
                        ) : (
                          <Badge tone="warn">Not approved</Badge>
                        )}
                        {policies.length ? <div class="small muted">in {policies.join(', ')}</div> : null}
                      </td>
                      <td>
                        <Badge
                          tone={s.status === 'blocked' ? 'bad' : s.status === 'allowed' ? 'ok' : 'neutral'}
                        >
                          {s.status}
                        </Badge>
                      </td>
                      <td class="nowrap">
                        <Time iso={s.firstSeen} />
                      </td>
                      <td class="num">
                        <button
                          type="button"
                          class="link"
                          aria-expanded={expanded === key}
                          onClick={() => setExpanded(expanded === key ? null : key)}
                        >
                          {count(s.devices)}
                        </button>
                      </td>
                      <td class="num">
                        {s.blockedAttempts > 0 ? (
                          <Badge tone="bad">{count(s.blockedAttempts)}</Badge>
                        ) : (
                          <span class="muted">0</span>
                        )}
                      </td>
                      <td class="actions">
                        {canWrite && !approved && approvals.data ? (
                          // Never disabled: a disabled button swallows a click without a word (issue 19).
                          // A click during a reload opens the dialog, which waits for the fresh policy.
                          <button
                            type="button"
                            class="btn btn-small"
                            aria-busy={approvals.loading}
                            title={approvals.loading ? 'Reading the active policy…' : undefined}
                            onClick={() => setApproving(s)}
                          >
                            {approvals.loading ? (
                              <span class="spinner spinner-small" aria-hidden="true" />
                            ) : null}
                            Approve
                          </button>
                        ) : null}
                      </td>
                    </tr>,
                    expanded === key ? (
                      <tr key={`${key}-devices`} class="row-detail">
                        <td colSpan={7}>
                          <ServerDevices server={s} />
                        </td>
                      </tr>
                    ) : null,
                  ];
                })}
              </tbody>
            </table>
          </div>
        )}
        {!servers.initial ? (
          <LoadMore
            hasMore={servers.hasMore}
            loading={servers.loading}
            onMore={servers.loadMore}
            shown={servers.items.length}
          />
        ) : null}
      </section>
      <ManagedServers
        state={approvals}
        onChanged={() => {
          approvals.reload();
          servers.reload();
        }}
      />
      {approving ? (
        <ApproveDialog
          server={approving}
          state={approvals}
          onClose={() => setApproving(null)}
          onDone={() => {
            setApproving(null);
            approvals.reload();
          }}
        />
      ) : null}
    </>
  );
}

function ServerDevices({ server }: { server: McpServer }) {
  const { api } = useConsole();
  const devices = useDeviceDirectory(api);
  const seen = useAsync<SeenOnDevice[]>(
    () => api.mcpServerDevices(server.name, server.identity),
    [server.name, server.identity],
  );
  if (seen.error) return <ErrorState error={seen.error} retry={seen.reload} />;
  if (!seen.data) return <Loading />;
  if (seen.data.length === 0) return <p class="muted small">No devices recorded.</p>;
  return (
    <ul class="inline-list">
      {seen.data.map((d) => (
        <li key={d.deviceId}>
          <Link href={`/devices/${encodeURIComponent(d.deviceId)}`}>{deviceLabel(devices, d.deviceId)}</Link>{' '}
          <span class="muted small">
            since <Time iso={d.firstSeen} relativeOnly />
          </span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Approval edits the organization's active policy (the one published last; the edge's bundle
 * carries one policy) and publishes the result; with no active policy, it creates the first one.
 * Opened while the approvals reload (just after another approval), it waits for them: the click
 * is kept, and the change is built on the policy as published now.
 */
function ApproveDialog({
  server,
  state,
  onClose,
  onDone,
}: {
  server: McpServer;
  state: AsyncState<Approvals>;
  onClose: () => void;
  onDone: () => void;
}) {
  const fresh = freshApprovals(state);
  return (
    <Dialog title={`Approve ${server.name}`} onClose={onClose} wide>
      {fresh ? (
        <ApproveChange server={server} approvals={fresh} onClose={onClose} onDone={onDone} />
      ) : (
        <>
          {state.error && !state.loading ? (
            <ErrorState error={state.error} retry={state.reload} />
          ) : (
            <Loading label="Reading the active policy…" />
          )}
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="button" class="btn btn-primary" disabled aria-busy={state.loading}>
              Approve and publish
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function ApproveChange({
  server,
  approvals,
  onClose,
  onDone,
}: {
  server: McpServer;
  approvals: Approvals;
  onClose: () => void;
  onDone: () => void;
}) {
  const { api, notify } = useConsole();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { policies } = approvals;
  // Build on the newest version, so an unpublished draft saved since is not silently dropped.
  const { active, base: before } = activePolicy(policies);
  const after = active ? withServerAllowed(before, server) : newAllowlistPolicy(server);
  const entry = allowEntryFor(server);
  const draftAhead = active !== undefined && active.latestVersion !== active.publishedVersion;
  // Approved meanwhile (by another admin, or a managed server's "also allow"): nothing to publish.
  const already = approvals.published.filter((p) => allowlistAllows(p.source, server)).map((p) => p.name);

  const approve = async () => {
    if (after === null) return;
    setBusy(true);
    setError(null);
    try {
      if (active) {
        const { version } = await api.addPolicyVersion(active.id, after);
        await api.publishPolicy(active.id, version);
        notify(`Approved ${server.name}: ${active.name} version ${version} is published`);
      } else {
        const taken = policies.some((p) => p.name === FIRST_POLICY_NAME);
        const created = await api.createPolicy(
          taken ? `${FIRST_POLICY_NAME}-${Date.now()}` : FIRST_POLICY_NAME,
          after,
        );
        await api.publishPolicy(created.id, created.version);
        notify(`Approved ${server.name}: the organization's first policy is published`);
      }
      onDone();
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  if (already.length > 0) {
    return (
      <>
        <p>
          <code>{server.name}</code> is already approved in {already.join(', ')}.
        </p>
        <div class="dialog-actions">
          <button type="button" class="btn btn-primary" onClick={onDone}>
            Close
          </button>
        </div>
      </>
    );
  }
  return (
    <>
      {active ? (
        <p>
          Approving adds <code>{server.name}</code> to the MCP allowlist of <strong>{active.name}</strong>,
          the active policy, and publishes it as version {active.latestVersion + 1}. Devices apply it at their
          next policy refresh.
        </p>
      ) : (
        <p>
          No policy is active yet. Approving creates and publishes the organization's first policy,{' '}
          <code>{FIRST_POLICY_NAME}</code>: tools stay allowed, and only approved MCP servers may run.
        </p>
      )}
      {typeof entry === 'string' ? (
        <p class="small muted">
          ceros does not know what this server runs, so it is approved by name: any server configured as{' '}
          <code>{server.name}</code> will be allowed.
        </p>
      ) : (
        <p class="small muted">
          It is approved by what it runs, not by its name: a server that runs anything else stays blocked,
          even when it is called <code>{server.name}</code>.
        </p>
      )}
      {active && restrictsMcpServers(before) === false ? (
        <p class="banner banner-warn small" role="note">
          {active.name} has no MCP allowlist yet, so today every MCP server that is not denied may run.
          Approving creates the allowlist: from then on only the servers it lists run, and every other server
          is blocked until it is approved.
        </p>
      ) : null}
      {draftAhead ? (
        <p class="small muted">
          The change builds on version {active?.latestVersion}, a saved draft newer than the published version{' '}
          {active?.publishedVersion}: publishing it publishes that draft too.
        </p>
      ) : null}
      {after === null ? (
        <p class="form-error">
          The active policy's <code>mcp</code> section is not a plain list here (an alias, or not a mapping),
          so it cannot be edited safely: add <code>{server.name}</code> to <code>mcp.allow</code> in the{' '}
          <Link href={`/policies/${encodeURIComponent(active?.id ?? '')}`}>Policies</Link> editor.
        </p>
      ) : (
        <>
          <h3>Change</h3>
          <DiffView before={before} after={after} label="Policy change" />
        </>
      )}
      <FormError error={error} />
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="btn btn-primary" onClick={approve} disabled={busy || after === null}>
          {busy ? 'Publishing…' : 'Approve and publish'}
        </button>
      </div>
    </>
  );
}

function ManagedServers({ state, onChanged }: { state: AsyncState<Approvals>; onChanged: () => void }) {
  const { api, canWrite, notify } = useConsole();
  const [editing, setEditing] = useState<ManagedMcp | 'new' | null>(null);
  const remove = async (server: ManagedMcp) => {
    if (!window.confirm(`Remove the managed MCP server "${server.name}"? Devices stop receiving it.`)) return;
    try {
      await api.deleteManagedMcp(server.id);
      notify(`Removed ${server.name}`);
      onChanged();
    } catch (caught) {
      notify((caught as Error).message, 'error');
    }
  };
  return (
    <section aria-labelledby="managed-h" class="section">
      <div class="section-head">
        <h2 id="managed-h" class="section-title">
          Managed servers
        </h2>
        {canWrite ? (
          <button type="button" class="btn btn-primary" onClick={() => setEditing('new')}>
            Add server
          </button>
        ) : null}
      </div>
      <p class="muted small">Servers every enrolled device is given to configure, signed by the edge.</p>
      {state.error && !state.data ? (
        <ErrorState error={state.error} retry={state.reload} />
      ) : !state.data ? (
        <Loading />
      ) : state.data.managed.length === 0 ? (
        <Empty title="No managed servers">Add one to hand it to every device.</Empty>
      ) : (
        <div class="card card-flush">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Transport</th>
                <th scope="col" class="col-wide">
                  Command or URL
                </th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.data.managed.map((m) => (
                <tr key={m.id}>
                  <td class="mono">{m.name}</td>
                  <td>{m.transport}</td>
                  <td class="col-wide mono small truncate">
                    {m.transport === 'stdio' ? [m.command, ...m.args].join(' ') : m.url}
                  </td>
                  <td class="nowrap">
                    <Time iso={m.updatedAt} />
                  </td>
                  <td class="actions">
                    {canWrite ? (
                      <>
                        <button type="button" class="btn btn-small" onClick={() => setEditing(m)}>
                          Edit
                        </button>
                        <button
                          type="button"
                          class="btn btn-small btn-danger-ghost"
                          onClick={() => remove(m)}
                        >
                          Remove
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing ? (
        <ManagedDialog
          server={editing === 'new' ? null : editing}
          state={state}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            onChanged();
          }}
        />
      ) : null}
    </section>
  );
}

function pairs(text: string, separator: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(separator);
    if (line.trim() === '' || at <= 0) continue;
    out[line.slice(0, at).trim()] = line.slice(at + separator.length).trim();
  }
  return out;
}
const unpairs = (record: Record<string, string>, separator: string) =>
  Object.entries(record)
    .map(([k, v]) => `${k}${separator}${v}`)
    .join('\n');

/** Add or edit a managed server; the edge validates and answers with every problem at once. */
function ManagedDialog({
  server,
  state,
  onClose,
  onSaved,
}: {
  server: ManagedMcp | null;
  state: AsyncState<Approvals>;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { api, notify } = useConsole();
  // A new server is offered into the active allowlist, so adding one waits for the fresh policy.
  const fresh = freshApprovals(state);
  const reading = server === null && fresh === undefined;
  const { active, base } = activePolicy(fresh?.policies ?? []);
  const [alsoAllow, setAlsoAllow] = useState(true);
  const [name, setName] = useState(server?.name ?? '');
  const [transport, setTransport] = useState<'stdio' | 'http'>(server?.transport ?? 'stdio');
  const [command, setCommand] = useState(server?.transport === 'stdio' ? server.command : '');
  const [args, setArgs] = useState(server?.transport === 'stdio' ? server.args.join('\n') : '');
  const [env, setEnv] = useState(server?.transport === 'stdio' ? unpairs(server.env, '=') : '');
  const [url, setUrl] = useState(server?.transport === 'http' ? server.url : '');
  const [headers, setHeaders] = useState(server?.transport === 'http' ? unpairs(server.headers, ': ') : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // A new server the active allowlist leaves out would reach devices only to be blocked there.
  const ref: ServerRef = {
    name: name.trim(),
    identity: managedIdentity(
      transport === 'stdio'
        ? { transport, command: command.trim(), args: args.split('\n').filter((a) => a.trim() !== '') }
        : { transport, url: url.trim() },
    ),
  };
  const offerAllow =
    server === null && active !== undefined && ref.name !== '' && allowlistMisses(base, ref) === true;
  const save = async (event: Event) => {
    event.preventDefault();
    if (reading) return;
    const input: ManagedMcpInput =
      transport === 'stdio'
        ? {
            name: name.trim(),
            transport,
            command: command.trim(),
            args: args.split('\n').filter((a) => a.trim() !== ''),
            env: pairs(env, '='),
          }
        : { name: name.trim(), transport, url: url.trim(), headers: pairs(headers, ':') };
    setBusy(true);
    setError(null);
    try {
      if (server) await api.updateManagedMcp(server.id, input);
      else await api.createManagedMcp(input);
      const allowed = offerAllow && alsoAllow && active ? withServerAllowed(base, ref) : null;
      if (allowed !== null && active) {
        const { version } = await api.addPolicyVersion(active.id, allowed);
        await api.publishPolicy(active.id, version);
        notify(`Added ${input.name} and allowed it: ${active.name} version ${version} is published`);
      } else notify(server ? `Saved ${input.name}` : `Added ${input.name}`);
      onSaved();
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  return (
    <Dialog title={server ? `Edit ${server.name}` : 'Add a managed MCP server'} onClose={onClose}>
      <form class="form" onSubmit={save}>
        <label for="m-name">Name</label>
        <input
          id="m-name"
          required
          pattern="[A-Za-z0-9_\-]{1,64}"
          value={name}
          disabled={server !== null}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        {server ? (
          <p class="small muted">A server keeps its name; remove it and add a new one to rename.</p>
        ) : null}
        <fieldset class="radio-row">
          <legend>Transport</legend>
          <label>
            <input
              type="radio"
              name="m-transport"
              checked={transport === 'stdio'}
              onChange={() => setTransport('stdio')}
            />{' '}
            stdio (a local command)
          </label>
          <label>
            <input
              type="radio"
              name="m-transport"
              checked={transport === 'http'}
              onChange={() => setTransport('http')}
            />{' '}
            HTTP
          </label>
        </fieldset>
        {transport === 'stdio' ? (
          <>
            <label for="m-command">Command</label>
            <input
              id="m-command"
              class="mono"
              required
              placeholder="npx"
              value={command}
              onInput={(e) => setCommand(e.currentTarget.value)}
            />
            <label for="m-args">Arguments, one per line</label>
            <textarea
              id="m-args"
              class="mono"
              rows={3}
              value={args}
              onInput={(e) => setArgs(e.currentTarget.value)}
            />
            <label for="m-env">Environment, NAME=value per line</label>
            <textarea
              id="m-env"
              class="mono"
              rows={2}
              value={env}
              onInput={(e) => setEnv(e.currentTarget.value)}
            />
          </>
        ) : (
          <>
            <label for="m-url">URL</label>
            <input
              id="m-url"
              class="mono"
              type="url"
              required
              placeholder="https://mcp.example.com/mcp"
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
            <label for="m-headers">Headers, Name: value per line</label>
            <textarea
              id="m-headers"
              class="mono"
              rows={2}
              value={headers}
              onInput={(e) => setHeaders(e.currentTarget.value)}
            />
          </>
        )}
        {offerAllow && active ? (
          <label class="checkbox-row">
            <input
              type="checkbox"
              checked={alsoAllow}
              onChange={(e) => setAlsoAllow(e.currentTarget.checked)}
            />
            <span>
              Also allow it in <strong>{active.name}</strong>, the active policy, whose MCP allowlist does not
              name it (publishes version {active.latestVersion + 1}); otherwise devices receive it and block
              it
            </span>
          </label>
        ) : reading && state.error && !state.loading ? (
          <ErrorState error={state.error} retry={state.reload} />
        ) : reading ? (
          <Loading label="Reading the active policy…" />
        ) : null}
        <FormError error={error} />
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy || reading} aria-busy={reading}>
            {busy ? 'Saving…' : server ? 'Save' : 'Add server'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
