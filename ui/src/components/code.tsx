import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { prettyJson } from '../format.ts';

/** Preformatted text with a copy button. */
export function CodeBlock({
  text,
  label,
  class: className,
}: {
  text: string;
  label?: string;
  class?: string;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <figure class={`code ${className ?? ''}`} aria-label={label}>
      <button
        type="button"
        class="btn-copy"
        aria-label={label ? `Copy ${label}` : 'Copy'}
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(
            () => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            },
            () => {},
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre>{text}</pre>
    </figure>
  );
}

export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  return <CodeBlock text={prettyJson(value)} {...(label ? { label } : {})} />;
}

/** A native disclosure: keyboard and screen readers know `<details>` already. */
export function Collapsible({
  summary,
  children,
  open = false,
  class: className,
}: {
  summary: ComponentChildren;
  children: ComponentChildren;
  open?: boolean;
  class?: string;
}) {
  const [isOpen, setOpen] = useState(open);
  return (
    <details
      class={`collapsible ${className ?? ''}`}
      open={isOpen}
      onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>{summary}</summary>
      {isOpen ? <div class="collapsible-body">{children}</div> : null}
    </details>
  );
}

/** A definition list of label/value rows. */
export function Facts({ rows }: { rows: readonly [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([label, value]) => (
        <div class="fact" key={label}>
          <dt>{label}</dt>
          <dd>{value ?? <span class="muted">—</span>}</dd>
        </div>
      ))}
    </dl>
  );
}
