import type { ComponentChildren } from 'preact';

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'neutral';

export function Badge({
  tone,
  children,
  title,
}: {
  tone: Tone;
  children: ComponentChildren;
  title?: string;
}) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const EFFECT_LABEL: Record<string, { label: string; tone: Tone }> = {
  allow: { label: 'Allowed', tone: 'ok' },
  deny: { label: 'Denied', tone: 'bad' },
  ask: { label: 'Asked', tone: 'warn' },
};

/** A policy decision: allowed, denied or asked, and "would deny" when a monitor-mode rule fired. */
export function DecisionBadge({ effect, mode }: { effect: string | null | undefined; mode?: string | null }) {
  if (!effect) return <Badge tone="neutral">No decision</Badge>;
  const known = EFFECT_LABEL[effect] ?? { label: effect, tone: 'neutral' as Tone };
  return (
    <Badge tone={known.tone} title={mode ? `${effect} (${mode} mode)` : effect}>
      {known.label}
      {mode === 'monitor' ? ' · monitor' : ''}
    </Badge>
  );
}

export function DeviceStatusBadge({ status }: { status: string }) {
  const tone: Tone = status === 'active' ? 'ok' : status === 'revoked' ? 'bad' : 'warn';
  const label = status === 'active' ? 'Active' : status === 'revoked' ? 'Revoked' : 'Pending approval';
  return <Badge tone={tone}>{label}</Badge>;
}

const HARDWARE: Record<string, string> = {
  tpm: 'TPM 2.0',
  'secure-enclave': 'Secure Enclave',
  'platform-crypto': 'Platform Crypto',
};

/** Where the device key lives: hardware names the chip; software is said plainly. */
export function KeyBadge({ protection }: { protection: string | null | undefined }) {
  if (!protection) return <span class="muted">—</span>;
  const hardware = HARDWARE[protection];
  return hardware ? (
    <Badge tone="ok" title={`Hardware-protected key (${protection})`}>
      Hardware · {hardware}
    </Badge>
  ) : (
    <Badge tone="warn" title={`The device key is a ${protection} key`}>
      {protection === 'software' ? 'Software key' : protection}
    </Badge>
  );
}

export function PostureBadge({ ok }: { ok: boolean | null | undefined }) {
  if (ok === true) return <Badge tone="ok">Posture OK</Badge>;
  if (ok === false) return <Badge tone="bad">Posture failing</Badge>;
  return <Badge tone="neutral">Posture unknown</Badge>;
}
