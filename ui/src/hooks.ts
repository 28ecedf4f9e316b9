import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Api, Page, SessionResponse } from './api.ts';

export interface ConsoleContext {
  api: Api;
  session: SessionResponse;
  /** Auditors read and export only: write controls are hidden for them. */
  canWrite: boolean;
  signOut(): void;
  /** Shows a short status message (role="status") at the bottom of the page. */
  notify(message: string, tone?: 'ok' | 'error'): void;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error('useConsole() outside the signed-in console');
  return value;
}

export interface AsyncState<T> {
  /** The latest data; kept while a reload is in flight so the view does not flicker. */
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs `load` whenever `deps` change; a stale answer (deps changed meanwhile) is dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  // The dependency list is the caller's, plus the reload counter. A layout effect starts the
  // request right after the render instead of after the next frame.
  useLayoutEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, error: undefined, loading: true }));
    load().then(
      (data) => {
        if (generation.current === mine) setState({ data, error: undefined, loading: false });
      },
      (error: Error) => {
        if (generation.current === mine) setState((s) => ({ ...s, error, loading: false }));
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export interface PagedState<T> {
  items: T[];
  loading: boolean;
  error: Error | undefined;
  /** True until the first page arrives. */
  initial: boolean;
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
  /** Replaces one item in place (after an action changed it). */
  update(match: (item: T) => boolean, next: T): void;
}

/** A keyset-paginated list: the first page on `deps` change, then `loadMore()` appends. */
export function usePaged<T>(
  loadPage: (cursor: string | undefined) => Promise<Page<T>>,
  deps: readonly unknown[],
): PagedState<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [initial, setInitial] = useState(true);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);

  const fetchPage = (after: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    loadPage(after).then(
      (page) => {
        if (generation.current !== mine) return;
        setItems((old) => (append ? [...old, ...page.items] : page.items));
        setCursor(page.nextCursor);
        setLoading(false);
        setInitial(false);
      },
      (failure: Error) => {
        if (generation.current !== mine) return;
        setError(failure);
        setLoading(false);
        setInitial(false);
      },
    );
  };

  // The dependency list is the caller's, plus the reload counter. A layout effect starts the
  // request right after the render instead of after the next frame.
  useLayoutEffect(() => {
    setInitial(true);
    fetchPage(undefined, false);
  }, [...deps, tick]);

  return {
    items,
    loading,
    error,
    initial,
    hasMore: cursor !== null,
    loadMore: () => {
      if (cursor !== null && !loading) fetchPage(cursor, true);
    },
    reload: () => setTick((t) => t + 1),
    update: (match, next) => setItems((old) => old.map((item) => (match(item) ? next : item))),
  };
}

/**
 * The current time, refreshed every 30 s, so relative times ("3 minutes ago") stay true. One timer
 * serves every subscriber: a long session shows thousands of times.
 */
const clockListeners = new Set<(now: number) => void>();
let clockTimer: ReturnType<typeof setInterval> | undefined;

export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    clockListeners.add(setNow);
    clockTimer ??= setInterval(() => {
      const at = Date.now();
      for (const listener of clockListeners) listener(at);
    }, 30_000);
    return () => {
      clockListeners.delete(setNow);
      if (clockListeners.size === 0 && clockTimer !== undefined) {
        clearInterval(clockTimer);
        clockTimer = undefined;
      }
    };
  }, []);
  return now;
}

/** Sets the document title for the view. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ceros`;
  }, [title]);
}
