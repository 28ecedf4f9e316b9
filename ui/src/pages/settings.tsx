import { useState } from 'preact/hooks';
import type { InstallLink, OrgSettings } from '../api.ts';
import { CodeBlock } from '../components/code.tsx';
import { PageHeader } from '../components/shell.tsx';
import { ErrorState, FormError, Loading } from '../components/states.tsx';
import { useAsync, useConsole, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';
import { SiemSection } from './settings-siem.tsx';

/** "Acme.com, @partner.io\nx.org" -> ["acme.com", "partner.io", "x.org"]: one list, as the edge stores it. */
export function parseDomains(text: string): string[] {
  const domains = text
    .split(/[\s,;]+/)
    .map((d) => d.trim().replace(/^@/, '').toLowerCase())
    .filter((d) => d !== '');
  return [...new Set(domains)];
}

/** The organization's own settings: who may enroll, whether devices need approval, the install link. */
export function SettingsPage() {
  useTitle('Settings');
  const { api, session } = useConsole();
  const org = useAsync<OrgSettings>(() => api.org(), []);
  const link = useAsync<InstallLink>(() => api.installLink(), []);
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle={`Who can enroll in ${session.org.name}, and how devices join it`}
      />
      <div class="grid-2">
        <section class="card" aria-labelledby="settings-enrollment">
          <h2 class="card-title" id="settings-enrollment">
            Enrollment
          </h2>
          {org.error && !org.data ? (
            <ErrorState error={org.error} retry={org.reload} />
          ) : !org.data ? (
            <Loading label="Loading the settings…" />
          ) : (
            <EnrollmentForm
              key={`${org.data.allowedDomains.join(',')}|${org.data.requireApproval}`}
              org={org.data}
              onSaved={org.reload}
            />
          )}
        </section>
        <section class="card" aria-labelledby="settings-install">
          <h2 class="card-title" id="settings-install">
            Install link
          </h2>
          {link.error && !link.data ? (
            <ErrorState error={link.error} retry={link.reload} />
          ) : !link.data ? (
            <Loading label="Loading the install link…" />
          ) : (
            <>
              <p>
                Developers run this once. It installs ceros, and their first <code>ceros claude</code> enrolls
                the machine in {session.org.name} after they confirm their email address.
              </p>
              <CodeBlock text={link.data.command} label="install command" />
              <p class="small muted">
                Script: <a href={link.data.url}>{link.data.url}</a>
              </p>
            </>
          )}
        </section>
      </div>
      <SiemSection />
    </>
  );
}

function EnrollmentForm({ org, onSaved }: { org: OrgSettings; onSaved: () => void }) {
  const { api, canWrite, notify } = useConsole();
  const [domainsText, setDomainsText] = useState(org.allowedDomains.join('\n'));
  const [requireApproval, setRequireApproval] = useState(org.requireApproval);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const domains = parseDomains(domainsText);
  const changed =
    requireApproval !== org.requireApproval || domains.join('\n') !== org.allowedDomains.join('\n');

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.updateOrg({ allowedDomains: domains, requireApproval });
      notify('Saved the enrollment settings');
      onSaved();
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={save} aria-label="Enrollment settings">
      <fieldset disabled={!canWrite || busy} class="settings-fields">
        <label for="settings-domains">Allowed email domains</label>
        <textarea
          id="settings-domains"
          rows={4}
          spellcheck={false}
          placeholder="acme.com"
          aria-describedby="settings-domains-help"
          value={domainsText}
          onInput={(e) => setDomainsText(e.currentTarget.value)}
        />
        <p id="settings-domains-help" class="small muted">
          One per line. People with an address at these domains can enroll a device once they confirm it by
          email; an address elsewhere only if an admin added its user.
        </p>
        {domains.length === 0 ? (
          <p class="banner banner-warn" role="note">
            <strong>Any email address can enroll.</strong> List your domains to keep others out.
          </p>
        ) : null}
        <label class="checkbox-row">
          <input
            type="checkbox"
            checked={requireApproval}
            onChange={(e) => setRequireApproval(e.currentTarget.checked)}
          />
          <span>
            New devices need an admin's approval before they can sync
            <span class="small muted hint">
              Until then the edge refuses their uploads and ceros does not start Claude Code on them. Approve
              them on the <Link href="/devices?status=pending">Devices</Link> page.
            </span>
          </span>
        </label>
      </fieldset>
      <FormError error={error} />
      {canWrite ? (
        <div class="dialog-actions">
          <button type="submit" class="btn btn-primary" disabled={busy || !changed}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      ) : (
        <p class="small muted">Auditors read these settings; an admin changes them.</p>
      )}
    </form>
  );
}
