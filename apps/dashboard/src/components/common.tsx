import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { OperationProgress, OperationStatus } from '../api-types';
import { ago, count, duration, rate, when } from '../format';

/** An API error in words, announced to screen readers. */
export const ErrorNote = ({ error }: { error: Error | null | undefined }) =>
  error ? (
    <p class="error" role="alert">
      {error.message}
    </p>
  ) : null;

export const Loading = ({ when: loading }: { when: boolean }) =>
  loading ? (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  ) : null;

/** A relative time with the full one as its title. */
export const Time = ({ at }: { at: string | null | undefined }) => (
  <time dateTime={at ?? undefined} title={when(at)}>
    {ago(at)}
  </time>
);

export const Count = ({ value }: { value: number | null | undefined }) => (
  <span class="num">{count(value)}</span>
);

/** A table that scrolls sideways on a narrow screen (focusable, so keys scroll it too). */
export const TableBox = ({ label, children }: { label: string; children: ComponentChildren }) => (
  <div class="table-box" role="region" aria-label={label} tabIndex={0}>
    <table>{children}</table>
  </div>
);

export const StatusBadge = ({ status }: { status: OperationStatus }) => (
  <span class={`badge badge-${status}`}>{status}</span>
);

/** Done of total, as a bar with its numbers, rate and time left. */
export const ProgressBar = ({
  progress,
  complete = false,
}: {
  progress: OperationProgress | null;
  /** The operation succeeded: its work is all done, whatever the last estimate of the total. */
  complete?: boolean;
}) => {
  if (!progress)
    return complete ? null : <p class="muted">Waiting for the first progress report…</p>;
  const fraction = complete
    ? 1
    : progress.total && progress.total > 0
      ? Math.min(1, progress.done / progress.total)
      : null;
  const percent = fraction === null ? null : Math.floor(fraction * 100);
  const label = `${progress.phase}: ${count(progress.done)}${
    progress.total === null ? '' : ` of ${count(progress.total)}`
  } ${progress.unit}`;
  return (
    <div class="progress">
      <progress
        max={100}
        value={percent ?? undefined}
        aria-label={label}
        aria-valuetext={percent === null ? label : `${percent} %`}
        data-percent={percent ?? ''}
      />
      <p class="progress-text">
        <strong>{percent === null ? '…' : `${percent} %`}</strong> · {label} ·{' '}
        {rate(progress.rate, progress.unit)}
        {!complete && progress.etaSeconds !== null
          ? ` · about ${duration(progress.etaSeconds)} left`
          : ''}
      </p>
    </div>
  );
};

export interface ConfirmProps {
  title: string;
  /** What will happen, in words: the dialog's body. */
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation (the native dialog: focus moves into it, Escape cancels). The cancel
 * button has the focus first, so Enter alone never confirms something destructive.
 */
export const ConfirmDialog = (props: ConfirmProps) => {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    element.showModal();
    cancel.current?.focus();
    return () => element.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      <div class="actions">
        <button type="button" ref={cancel} onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
};

/** Counts by code as a small table ("invalid-json: 3"). */
export const CodeCounts = ({
  counts,
  label,
}: {
  counts: Record<string, number> | undefined;
  label: string;
}) => {
  const entries = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return <p class="muted">None.</p>;
  return (
    <TableBox label={label}>
      <thead>
        <tr>
          <th scope="col">Reason</th>
          <th scope="col" class="num">
            Keys
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([code, n]) => (
          <tr key={code}>
            <td>
              <code>{code}</code>
            </td>
            <td class="num">{count(n)}</td>
          </tr>
        ))}
      </tbody>
    </TableBox>
  );
};
