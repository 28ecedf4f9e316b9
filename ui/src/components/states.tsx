import type { ComponentChildren } from 'preact';
import { ApiError } from '../api.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** What went wrong, in the edge's words, with the code an operator can search for. */
export function ErrorState({ error, retry }: { error: Error; retry?: () => void }) {
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div class="state state-error" role="alert">
      <strong>{code === 'NETWORK' ? 'Cannot reach the edge' : 'Something went wrong'}</strong>
      <span>{error.message}</span>
      {code && code !== 'NETWORK' ? <code class="muted">{code}</code> : null}
      {retry ? (
        <button type="button" class="btn btn-small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <strong>{title}</strong>
      {children ? <span class="muted">{children}</span> : null}
    </div>
  );
}

/** The foot of a paginated list: more, loading, or the end. */
export function LoadMore({
  hasMore,
  loading,
  onMore,
  shown,
}: {
  hasMore: boolean;
  loading: boolean;
  onMore: () => void;
  shown: number;
}) {
  if (!hasMore) return shown > 0 ? <p class="list-end muted">{`All ${shown} shown`}</p> : null;
  return (
    <div class="list-end">
      <button type="button" class="btn" onClick={onMore} disabled={loading}>
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}

/** A form's error, announced to screen readers; nothing when there is none. */
export function FormError({ error }: { error: string | null }) {
  return error ? (
    <p class="form-error" role="alert">
      {error}
    </p>
  ) : null;
}
