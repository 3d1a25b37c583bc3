import { useEffect, useRef, useState } from 'preact/hooks';
import { API } from '../api';
import type { Operation, OperationPage } from '../api-types';
import { OPERATION_KINDS, OPERATION_STATUSES, SETTLED } from '../api-types';
import { ProgressChart } from '../components/charts';
import {
  ConfirmDialog,
  ErrorNote,
  Loading,
  ProgressBar,
  StatusBadge,
  TableBox,
  Time,
} from '../components/common';
import { count, millis } from '../format';
import { useActive, useApi, useLoad, useOperation } from '../hooks';
import { CANCELLABLE, PAUSABLE, summaryOf } from '../summary';

const PAGE = 20;

const elapsed = (op: Operation): string =>
  op.startedAt
    ? millis((op.finishedAt ? Date.parse(op.finishedAt) : Date.now()) - Date.parse(op.startedAt))
    : '–';

/** Pause, resume and cancel of one operation, as its kind and status allow. */
export const OperationControls = ({
  operation,
  onChanged,
}: {
  operation: Operation;
  onChanged: (operation: Operation) => void;
}) => {
  const api = useApi();
  const { refresh } = useActive();
  const [error, setError] = useState<Error | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const act = async (verb: 'pause' | 'resume' | 'cancel') => {
    setError(null);
    try {
      onChanged(await api.post<Operation>(`${API}/operations/${operation.id}/${verb}`));
      refresh();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  const running = operation.status === 'running' || operation.status === 'queued';
  return (
    <div class="actions">
      {PAUSABLE.has(operation.kind) && running ? (
        <button type="button" onClick={() => void act('pause')}>
          Pause
        </button>
      ) : null}
      {operation.status === 'paused' || operation.status === 'interrupted' ? (
        <button type="button" class="primary" onClick={() => void act('resume')}>
          Resume
        </button>
      ) : null}
      {CANCELLABLE.has(operation.kind) && (running || operation.status === 'paused') ? (
        <button type="button" class="danger" onClick={() => setConfirmCancel(true)}>
          Cancel
        </button>
      ) : null}
      {confirmCancel ? (
        <ConfirmDialog
          title={`Cancel this ${operation.kind}?`}
          confirmLabel={`Cancel the ${operation.kind}`}
          danger
          onCancel={() => setConfirmCancel(false)}
          onConfirm={() => {
            setConfirmCancel(false);
            void act('cancel');
          }}
        >
          <p>
            It stops at its next batch. What it has already done stays done and recorded
            {operation.kind === 'migrate' ? ': the rows it committed stay in PostgreSQL.' : '.'}
          </p>
        </ConfirmDialog>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
};

/** One operation as it runs: bar, rate, time left, chart and controls; then its result. */
export const OperationPanel = ({ run }: { run: ReturnType<typeof useOperation> }) => {
  const operation = run.operation;
  if (!operation) return null;
  return (
    <div
      class="panel"
      aria-live="polite"
      data-operation={operation.id}
      data-status={operation.status}
    >
      <p>
        <strong>{operation.kind}</strong> <StatusBadge status={operation.status} />{' '}
        <span class="muted">
          started <Time at={operation.startedAt ?? operation.createdAt} />, {elapsed(operation)}
        </span>
      </p>
      <ProgressBar progress={operation.progress} complete={operation.status === 'succeeded'} />
      {SETTLED.has(operation.status) ? (
        <p class="result" data-result={operation.status}>
          {summaryOf(operation)}
        </p>
      ) : (
        <ProgressChart samples={run.samples} unit={operation.progress?.unit ?? 'keys'} />
      )}
      <OperationControls operation={operation} onChanged={(op) => run.watch(op.id)} />
    </div>
  );
};

const Starter = ({ run }: { run: ReturnType<typeof useOperation> }) => {
  const { exclusiveBusy } = useActive();
  const [batchSize, setBatchSize] = useState('');
  const [confirm, setConfirm] = useState(false);
  const params: Record<string, number> = batchSize === '' ? {} : { batchSize: Number(batchSize) };
  return (
    <form class="starter" onSubmit={(event) => event.preventDefault()}>
      <label for="batch-size">Batch size (keys; empty: the default)</label>
      <input
        id="batch-size"
        inputMode="numeric"
        pattern="[0-9]*"
        value={batchSize}
        onInput={(event) => setBatchSize(event.currentTarget.value.trim())}
      />
      <div class="actions">
        <button type="button" disabled={run.busy} onClick={() => void run.start('dry-run', params)}>
          Start dry run
        </button>
        <button
          type="button"
          class="primary"
          disabled={run.busy || exclusiveBusy}
          title={exclusiveBusy ? 'Another operation holds the tenants: wait for it' : undefined}
          onClick={() => setConfirm(true)}
        >
          Start migration
        </button>
        <button type="button" disabled={run.busy} onClick={() => void run.start('validate')}>
          Validate
        </button>
      </div>
      {exclusiveBusy ? (
        <p class="muted" role="status">
          A migration, restore or cleanup is running or paused: it holds the tenants until it ends.
        </p>
      ) : null}
      {confirm ? (
        <ConfirmDialog
          title="Start the migration?"
          confirmLabel="Start migration"
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setConfirm(false);
            void run.start('migrate', params);
          }}
        >
          <p>
            Every tenant under the prefix is read from Redis and written to PostgreSQL (Redis is not
            changed). It continues an interrupted run where it stopped; pause keeps its place.
          </p>
        </ConfirmDialog>
      ) : null}
      <ErrorNote error={run.error} />
    </form>
  );
};

const History = () => {
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const { active } = useActive();
  const page = useLoad(
    (api, signal) =>
      api.get<OperationPage>(
        `${API}/operations`,
        { kind: kind || undefined, status: status || undefined, offset, limit: PAGE },
        signal,
      ),
    [kind, status, offset, active.map((op) => `${op.id}:${op.status}`).join()],
  );
  const data = page.data;
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div class="filters">
        <label>
          Kind{' '}
          <select value={kind} onChange={(e) => (setKind(e.currentTarget.value), setOffset(0))}>
            <option value="">all</option>
            {OPERATION_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => (setStatus(e.currentTarget.value), setOffset(0))}>
            <option value="">all</option>
            {OPERATION_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !data} />
      {data ? (
        <>
          <TableBox label="Operations">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Asked by</th>
                <th scope="col">Created</th>
                <th scope="col">Took</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {data.operations.map((op) => (
                <tr key={op.id} data-operation={op.id}>
                  <td>{op.kind}</td>
                  <td>
                    <StatusBadge status={op.status} />
                  </td>
                  <td>{op.actor ?? '–'}</td>
                  <td>
                    <Time at={op.createdAt} />
                  </td>
                  <td>{elapsed(op)}</td>
                  <td>{summaryOf(op)}</td>
                </tr>
              ))}
            </tbody>
          </TableBox>
          <Pager offset={offset} total={data.total} size={PAGE} onOffset={setOffset} />
        </>
      ) : null}
    </section>
  );
};

export const Pager = ({
  offset,
  total,
  size,
  onOffset,
}: {
  offset: number;
  total: number;
  size: number;
  onOffset: (offset: number) => void;
}) => (
  <div class="pager">
    <button
      type="button"
      disabled={offset === 0}
      onClick={() => onOffset(Math.max(0, offset - size))}
    >
      Previous
    </button>
    <span>
      {total === 0
        ? 'none'
        : `${count(offset + 1)}–${count(Math.min(total, offset + size))} of ${count(total)}`}
    </span>
    <button type="button" disabled={offset + size >= total} onClick={() => onOffset(offset + size)}>
      Next
    </button>
  </div>
);

export const OperationsView = () => {
  const run = useOperation();
  const { active } = useActive();
  // Until this page starts one, it follows the newest operation that is running (once: the
  // operator may then watch another).
  const adopted = useRef(false);
  useEffect(() => {
    if (adopted.current || run.watching !== null || run.busy || active.length === 0) return;
    adopted.current = true;
    run.watch(active[0].id);
  }, [active, run]);
  const shown = run.operation ?? null;
  const other = active.find((op) => op.id !== shown?.id) ?? null;
  return (
    <section aria-labelledby="operations-title">
      <h1 id="operations-title">Operations</h1>
      <h2>Start</h2>
      <Starter run={run} />
      <h2>Current</h2>
      {shown ? <OperationPanel run={run} /> : null}
      {other ? (
        <p>
          {other.kind} is {other.status}.{' '}
          <button type="button" onClick={() => run.watch(other.id)}>
            Watch the {other.kind}
          </button>
        </p>
      ) : null}
      {!shown && !other ? <p class="muted">Nothing running.</p> : null}
      <History />
    </section>
  );
};
