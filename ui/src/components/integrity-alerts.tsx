import type { IntegrityAlert } from '../api.ts';
import { plural, shortId } from '../format.ts';
import { useAsync, useConsole } from '../hooks.ts';
import { checkSignedAlert, integrityHeadline, KEY_LOOKBACK, type SignedStatement } from '../integrity.ts';
import { sessionHref } from '../pages/conversations.tsx';
import { Link } from '../router.tsx';
import { Badge } from './badges.tsx';
import { Empty } from './states.tsx';
import { Time } from './time.tsx';

const KIND_LABEL: Record<IntegrityAlert['kind'], string> = {
  'journal-rewound': 'Rewound',
  'sync-refused': 'Sync refused',
  'journal-repaired': 'Repaired',
  'journal-torn-tail': 'Torn tail',
};

function SignatureBadge({ signed }: { signed: SignedStatement | undefined }) {
  if (!signed) return <span class="muted small">Checking the signature…</span>;
  if (signed.state === 'verified')
    return (
      <Badge
        tone="ok"
        title="The session's Ed25519 signature over the stored entry, checked in this browser; the statement shown is the one it signs"
      >
        Signed statement verified
      </Badge>
    );
  return (
    <Badge tone={signed.state === 'bad' ? 'bad' : 'neutral'} title={signed.reason}>
      {signed.state === 'bad' ? 'Signature invalid' : 'Signature not checked'}
    </Badge>
  );
}

function AlertItem({ deviceId, alert }: { deviceId: string; alert: IntegrityAlert }) {
  const { api } = useConsole();
  const signed = useAsync<SignedStatement>(async () => {
    const after = Math.max(-1, alert.seq - KEY_LOOKBACK - 1);
    const page = await api.exportEntries(deviceId, { after, limit: alert.seq - after });
    return checkSignedAlert(alert, page.lines);
  }, [deviceId, alert.seq]);
  const verified = signed.data?.state === 'verified' ? signed.data.message : null;
  return (
    <li class="integrity-alert">
      <div class="integrity-head">
        <Badge tone="bad">{KIND_LABEL[alert.kind]}</Badge> <strong>{integrityHeadline(alert)}</strong>{' '}
        <Time iso={alert.time} />
      </div>
      <blockquote class="statement">{verified ?? alert.message}</blockquote>
      <div class="small muted">
        Signed by session{' '}
        <Link href={sessionHref({ deviceId, sessionId: alert.sessionId })} class="mono">
          {shortId(alert.sessionId, 8)}
        </Link>{' '}
        in entry seq {alert.seq} ·{' '}
        <SignatureBadge
          signed={signed.error ? { state: 'unknown', reason: signed.error.message } : signed.data}
        />
      </div>
    </li>
  );
}

/**
 * What a device journaled about its journal: a rewind and the new chain epoch signed with a
 * statement of it, a refusal by the edge, a repair (docs/recovery.md).
 */
export function IntegrityAlerts({ deviceId, alerts }: { deviceId: string; alerts: IntegrityAlert[] }) {
  return (
    <section class="card" aria-labelledby="integrity-h">
      <h2 id="integrity-h" class="card-title">
        Journal integrity{' '}
        {alerts.length > 0 ? <Badge tone="bad">{plural(alerts.length, 'alert')}</Badge> : null}
      </h2>
      {alerts.length === 0 ? (
        <Empty title="No integrity alerts">
          The journal was never rewound, refused by the edge or repaired.
        </Empty>
      ) : (
        <ul class="plain integrity-list">
          {alerts.map((alert) => (
            <AlertItem key={alert.seq} deviceId={deviceId} alert={alert} />
          ))}
        </ul>
      )}
    </section>
  );
}
