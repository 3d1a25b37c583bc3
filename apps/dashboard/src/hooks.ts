import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { API, type ApiClient } from './api';
import { SETTLED, type Operation, type OperationKind, type OperationPage } from './api-types';
import { followOperation, operationOf, type OperationEvent } from './events';

export const ApiContext = createContext<ApiClient | null>(null);

export const useApi = (): ApiClient => {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in dashboard');
  return api;
};

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Reads once, again on `reload` or when a dependency changes; the last answer stays shown. */
export const useLoad = <T>(
  read: (api: ApiClient, signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): Loaded<T> => {
  const api = useApi();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const aborted = new AbortController();
    setLoading(true);
    read(api, aborted.signal).then(
      (value) => {
        if (aborted.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (aborted.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
    return () => aborted.abort();
  }, [api, generation, ...deps]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, loading, reload };
};

/**
 * The newest operation of `kind` that succeeded (its result is the kind's latest report), or
 * null when there is none; read again when a dependency changes.
 */
export const useLatestSucceeded = (
  kind: OperationKind,
  deps: readonly unknown[],
): Loaded<Operation | null> =>
  useLoad(
    (api, signal) =>
      api
        .get<OperationPage>(`${API}/operations`, { kind, status: 'succeeded', limit: 1 }, signal)
        .then((page) => page.operations[0] ?? null),
    deps,
  );

/** The operations not settled yet, polled, shared by every view (exclusive buttons wait). */
export interface ActiveOperations {
  active: Operation[];
  /** An operation holds the tenants (migrate, a confirmed restore or cleanup, running or paused). */
  exclusiveBusy: boolean;
  refresh: () => void;
}

export const ActiveContext = createContext<ActiveOperations>({
  active: [],
  exclusiveBusy: false,
  refresh: () => undefined,
});

const ACTIVE_POLL_MS = 2000;

export const useActivePolling = (api: ApiClient): ActiveOperations => {
  const [active, setActive] = useState<Operation[]>([]);
  const [holding, setHolding] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const read = async () => {
      try {
        const page = await api.get<OperationPage>(`${API}/operations`, { limit: 50 });
        if (stopped) return;
        setActive(page.operations.filter((op) => !SETTLED.has(op.status)));
        // A paused migration (or confirmed restore or cleanup) keeps holding the tenants.
        setHolding(
          page.operations.some(
            (op) =>
              op.exclusiveScope !== null && (op.status === 'paused' || !SETTLED.has(op.status)),
          ),
        );
      } catch {
        // shown by the views that read; the poll tries again
      }
    };
    void read();
    const timer = setInterval(() => void read(), ACTIVE_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, tick]);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  return {
    active,
    exclusiveBusy: holding,
    refresh,
  };
};

export const useActive = (): ActiveOperations => useContext(ActiveContext);

/** One operation as it runs: its record, kept current by its event stream. */
export interface Watched {
  operation: Operation | null;
  /** Progress samples (time, done) for the chart. */
  samples: { at: number; done: number }[];
  error: Error | null;
}

/**
 * Follows the operation with this id (null: none) until it settles; a new `generation` follows
 * it again (after a resume).
 */
export const useWatch = (id: string | null, generation = 0): Watched => {
  const api = useApi();
  const { refresh } = useActive();
  const [state, setState] = useState<Watched>({ operation: null, samples: [], error: null });
  const idRef = useRef(id);
  idRef.current = id;
  useEffect(() => {
    // Another operation: nothing of the last one stays shown as if it were this one's.
    setState({ operation: null, samples: [], error: null });
    if (id === null) return;
    const aborted = new AbortController();
    const update = (change: (operation: Operation) => Operation) =>
      setState((s) => (s.operation ? { ...s, operation: change(s.operation) } : s));
    const onEvent = (event: OperationEvent) => {
      if (event.type === 'status') update((op) => ({ ...op, status: event.status }));
      if (event.type === 'run') update((op) => ({ ...op, runId: event.runId }));
      if (event.type === 'progress')
        setState((s) => ({
          ...s,
          operation: s.operation ? { ...s.operation, progress: event.progress } : s.operation,
          samples: [...s.samples, { at: Date.parse(event.at), done: event.progress.done }],
        }));
    };
    const run = async () => {
      try {
        const first = await operationOf(api, id);
        if (aborted.signal.aborted) return;
        setState({ operation: first, samples: [], error: null });
        if (!SETTLED.has(first.status)) await followOperation(api, id, onEvent, aborted.signal);
        if (aborted.signal.aborted) return;
        const last = await operationOf(api, id);
        if (!aborted.signal.aborted && idRef.current === id) {
          setState((s) => ({ ...s, operation: last }));
          refresh();
        }
      } catch (error) {
        if (!aborted.signal.aborted)
          setState((s) => ({
            ...s,
            error: error instanceof Error ? error : new Error(String(error)),
          }));
      }
    };
    void run();
    return () => aborted.abort();
  }, [api, id, generation, refresh]);
  return state;
};

/** Starts an operation of a kind; answers its record (202) or throws an ApiError in words. */
export const startOperation = (
  api: ApiClient,
  kind: OperationKind,
  params: Record<string, string | number | boolean> = {},
): Promise<Operation> => api.post<Operation>(`${API}/operations`, { kind, ...params });

/** Starts an operation and watches it; `busy` while the request is out. */
export const useOperation = () => {
  const api = useApi();
  const { refresh } = useActive();
  const [target, setTarget] = useState<{ id: string | null; generation: number }>({
    id: null,
    generation: 0,
  });
  const [startError, setStartError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const watched = useWatch(target.id, target.generation);
  const watch = useCallback(
    (id: string) => setTarget((t) => ({ id, generation: t.generation + 1 })),
    [],
  );
  const start = useCallback(
    async (kind: OperationKind, params: Record<string, string | number | boolean> = {}) => {
      setBusy(true);
      setStartError(null);
      try {
        const operation = await startOperation(api, kind, params);
        watch(operation.id);
        refresh();
        return operation;
      } catch (error) {
        setStartError(error instanceof Error ? error : new Error(String(error)));
        return null;
      } finally {
        setBusy(false);
      }
    },
    [api, refresh, watch],
  );
  const settled = watched.operation !== null && SETTLED.has(watched.operation.status);
  return {
    start,
    busy,
    operation: watched.operation,
    samples: watched.samples,
    error: startError ?? watched.error,
    settled,
    watch,
    /** The operation followed (or about to be), if any. */
    watching: target.id,
  };
};
