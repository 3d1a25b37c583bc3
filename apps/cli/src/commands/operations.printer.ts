import type {
  Operation,
  OperationPage,
  OperationProgress,
  OperationStatus,
} from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { formatCount as n } from '../output-format.js';

/** `done/total` (`done/?` while the total is unknown), or `-` before the first report. */
export const progressCell = (progress: OperationProgress | null): string =>
  progress === null
    ? '-'
    : `${n(progress.done)}/${progress.total === null ? '?' : n(progress.total)}`;

const COLUMNS = ['ID', 'KIND', 'STATUS', 'PROGRESS', 'ACTOR', 'CREATED'] as const;

/** The rows of the list table, header first, each column as wide as its widest cell. */
export const operationRows = (operations: readonly Operation[]): string[] => {
  const rows = [
    [...COLUMNS],
    ...operations.map((o) => [
      o.id,
      o.kind,
      o.status,
      progressCell(o.progress),
      o.actor ?? '-',
      o.createdAt.toISOString(),
    ]),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
};

/** `succeeded 2, failed 1`: the page's counts by status, in the model's order of statuses. */
const byStatus = (counts: Partial<Record<OperationStatus, number>>): string =>
  Object.entries(counts)
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([status, count]) => `${status} ${n(count ?? 0)}`)
    .join(', ');

/** `operations list`: a compact table, newest first, then how many matched in all. */
export const printOperationPage = (out: CliOutput, page: OperationPage): void => {
  if (page.total === 0) return out.line('No operations recorded (that match).');
  if (page.operations.length === 0)
    return out.line(`No operations at offset ${n(page.offset)} (${n(page.total)} match).`);
  for (const row of operationRows(page.operations)) out.line(row);
  const from = page.offset + 1;
  const to = page.offset + page.operations.length;
  out.line(`Operations ${n(from)}-${n(to)} of ${n(page.total)}: ${byStatus(page.byStatus)}`);
};

/** A summary of a kind's result: its plain members (numbers, booleans, short strings). */
export const resultSummary = (result: Record<string, unknown>): string =>
  Object.entries(result)
    .filter(
      ([, value]) =>
        typeof value === 'number' ||
        typeof value === 'boolean' ||
        (typeof value === 'string' && value.length <= 80),
    )
    .map(([name, value]) => `${name} ${typeof value === 'number' ? n(value) : String(value)}`)
    .join(', ');

/** `scanned 12,000, migrated 11,990`: the numbers of a counts object, or '' without any. */
export const countsSummary = (counts: unknown): string =>
  typeof counts === 'object' && counts !== null
    ? Object.entries(counts)
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
        .map(([name, count]) => `${name} ${n(count)}`)
        .join(', ')
    : '';

const describeProgress = (p: OperationProgress): string => {
  const pace = [
    p.rate === null ? null : `${n(p.rate)}/s`,
    p.etaSeconds === null ? null : `ETA ${p.etaSeconds}s`,
  ].filter((part) => part !== null);
  return `${p.phase} ${progressCell(p)}${pace.length > 0 ? ` (${pace.join(', ')})` : ''}`;
};

/** `operations show`: the operation's status, progress, run, error and result, one per line. */
export const printOperation = (out: CliOutput, o: Operation): void => {
  const row = (label: string, value: string) => out.line(`  ${label.padEnd(9)} ${value}`);
  out.line(`Operation ${o.id}`);
  row('kind', o.kind);
  row('status', o.status);
  row('actor', o.actor ?? '-');
  const params = Object.entries(o.params).map(([name, value]) => `${name}=${String(value)}`);
  if (params.length > 0) row('params', params.join(' '));
  row('progress', o.progress ? describeProgress(o.progress) : '-');
  if (o.runId) row('run', o.runId);
  row('attempts', String(o.attempts));
  if (o.worker) row('worker', o.worker);
  row('created', o.createdAt.toISOString());
  if (o.startedAt) row('started', o.startedAt.toISOString());
  if (o.finishedAt) row('finished', o.finishedAt.toISOString());
  if (o.error) row('error', `${o.error.code}: ${o.error.message}`);
  if (o.result) {
    const summary = resultSummary(o.result);
    if (summary) row('result', summary);
  }
  const counts = countsSummary(o.result ? o.result.counts : o.progress?.counts);
  if (counts) row('counts', counts);
};

/** What a control request did, in a line: what happens next, and the command that follows. */
export const controlLine = (o: Operation): string => {
  const what = `Operation ${o.id} (${o.kind})`;
  switch (o.status) {
    case 'cancelling':
      return `${what} is cancelling: it stops at its next batch boundary, keeping what it committed.`;
    case 'pausing':
      return `${what} is pausing: it stops at its next batch boundary and keeps its checkpoint; \`operations resume ${o.id}\` continues it.`;
    case 'queued':
      return `${what} is queued again: a worker (the admin app or \`npm run worker\`) runs it; the CLI runs none.`;
    default:
      return `${what} is ${o.status}.`;
  }
};
