import { useState } from 'preact/hooks';
import { ACTIONS, ApiError } from '../api';
import type { IntegrityReport, SyncResult, TenantDrift } from '../api-types';
import { SETTLED } from '../api-types';
import { ConfirmDialog, ErrorNote, Time } from '../components/common';
import { FieldsTable } from '../components/tables';
import { count, millis } from '../format';
import { useActive, useApi, useLatestSucceeded, useOperation } from '../hooks';
import { OperationPanel } from './operations';

export const DIRECTION_WORDS: Record<SyncResult['direction'], string> = {
  'redis-to-postgres': 'Redis → PostgreSQL',
  'postgres-to-redis': 'PostgreSQL → Redis',
  none: 'nothing to copy',
};

const changeWords = (result: SyncResult): string => {
  const target = result.direction === 'postgres-to-redis' ? 'the Redis key' : 'the PostgreSQL row';
  if (result.change === 'write') return `write ${target}`;
  if (result.change === 'delete') return `delete ${target}`;
  return 'change nothing';
};

const sideChanged = (drift: TenantDrift): string => {
  if (drift.kind === 'only-in-redis') return 'Only in Redis';
  if (drift.kind === 'only-in-postgres') return 'Only in PostgreSQL';
  if (drift.changedInRedis && drift.changedInPostgres) return 'Both sides changed';
  if (drift.changedInPostgres) return 'PostgreSQL changed';
  if (drift.changedInRedis) return 'Redis changed';
  return 'Differs';
};

/**
 * Sync of one tenant: first a dry run that says which way it will copy and why, then the
 * confirmation, then the sync. When both sides changed, the operator picks the side that wins.
 */
export const SyncButton = ({
  subdomain,
  onSynced,
}: {
  subdomain: string;
  onSynced: (result: SyncResult) => void;
}) => {
  const api = useApi();
  const [plan, setPlan] = useState<SyncResult | null>(null);
  const [prefer, setPrefer] = useState<'redis' | 'postgres' | null>(null);
  const [needsPrefer, setNeedsPrefer] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const sync = (dryRun: boolean, side: 'redis' | 'postgres' | null) =>
    api.post<SyncResult>(ACTIONS, {
      action: 'sync',
      subdomain,
      dryRun,
      ...(side ? { prefer: side } : {}),
    });
  const preview = async (side: 'redis' | 'postgres' | null) => {
    setBusy(true);
    setError(null);
    try {
      setPrefer(side);
      setPlan(await sync(true, side));
      setNeedsPrefer(false);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409 && side === null)
        setNeedsPrefer(true);
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setPlan(null);
    setBusy(true);
    try {
      onSynced(await sync(false, prefer));
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <button type="button" disabled={busy} onClick={() => void preview(null)}>
        Sync {subdomain}…
      </button>
      {needsPrefer ? (
        <div class="actions">
          <button type="button" onClick={() => void preview('redis')}>
            Keep the Redis side
          </button>
          <button type="button" onClick={() => void preview('postgres')}>
            Keep the PostgreSQL side
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
      {plan ? (
        <ConfirmDialog
          title={`Sync ${subdomain}: ${DIRECTION_WORDS[plan.direction]}`}
          confirmLabel={
            plan.change === 'none' ? 'Close' : `Sync ${DIRECTION_WORDS[plan.direction]}`
          }
          onCancel={() => setPlan(null)}
          onConfirm={() => (plan.change === 'none' ? setPlan(null) : void apply())}
        >
          <p data-direction={plan.direction}>
            Direction: <strong>{DIRECTION_WORDS[plan.direction]}</strong>. It will{' '}
            <strong>{changeWords(plan)}</strong> (key <code>{plan.key}</code>).
          </p>
          <p>Why: {plan.reason}</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
};

const DriftItem = ({ drift }: { drift: TenantDrift }) => {
  const [synced, setSynced] = useState<SyncResult | null>(null);
  return (
    <li class="drift" data-subdomain={drift.subdomain}>
      <h3>
        {drift.subdomain} <span class="muted">· {sideChanged(drift)}</span>
      </h3>
      {drift.key ? (
        <p class="muted">
          Key <code>{drift.key}</code>
        </p>
      ) : null}
      {drift.fields && drift.fields.length > 0 ? (
        <FieldsTable
          fields={drift.fields}
          label={`Fields that differ for ${drift.subdomain}`}
          changedInRedis={drift.changedInRedis}
          changedInPostgres={drift.changedInPostgres}
        />
      ) : null}
      {synced ? (
        <p role="status" data-synced={synced.direction}>
          Synced {DIRECTION_WORDS[synced.direction]}: {changeWords(synced)}.
        </p>
      ) : (
        <SyncButton subdomain={drift.subdomain} onSynced={setSynced} />
      )}
    </li>
  );
};

export const IntegrityReportView = ({
  report,
  at,
}: {
  report: IntegrityReport;
  at: string | null;
}) => (
  <div data-check={report.consistent ? 'consistent' : 'drift'}>
    <p class={report.consistent ? 'ok' : 'warn'} role="status">
      {report.consistent ? 'The stores are consistent.' : 'The stores differ.'} Checked{' '}
      <Time at={at} /> in {millis(report.durationMs)}.
    </p>
    <dl class="figures">
      {(
        [
          ['Redis keys', report.redisKeys],
          ['PostgreSQL tenants', report.postgresTenants],
          ['Matching', report.matching],
          ['Different', report.different],
          ['Only in Redis', report.onlyInRedis],
          ['Only in PostgreSQL', report.onlyInPostgres],
          ['Invalid in Redis', report.invalid],
        ] as const
      ).map(([label, value]) => (
        <div class="figure" key={label}>
          <dt>{label}</dt>
          <dd>{count(value)}</dd>
        </div>
      ))}
    </dl>
    {report.drift.length > 0 ? (
      <>
        <h2>Drift{report.truncated ? ` (the first ${count(report.drift.length)})` : ''}</h2>
        <ul class="plain drifts">
          {report.drift.map((drift) => (
            <DriftItem key={`${drift.kind}:${drift.subdomain}`} drift={drift} />
          ))}
        </ul>
      </>
    ) : null}
    {report.invalidRecords.length > 0 ? (
      <>
        <h2>Invalid in Redis</h2>
        <ul class="plain">
          {report.invalidRecords.map((r) => (
            <li key={r.key}>
              <code>{r.key}</code>: {r.reasons.map((reason) => reason.message).join('; ')}
            </li>
          ))}
        </ul>
      </>
    ) : null}
  </div>
);

export const IntegrityView = () => {
  const run = useOperation();
  const { active } = useActive();
  const checking = active.some((op) => op.kind === 'check');
  const last = useLatestSucceeded('check', [run.settled]);
  const fresh = run.operation?.status === 'succeeded' ? run.operation : null;
  const shown = fresh ?? last.data;
  return (
    <section aria-labelledby="integrity-title">
      <h1 id="integrity-title">Integrity</h1>
      <p class="muted">
        Compares every tenant field by field between Redis and PostgreSQL. It writes nothing.
      </p>
      <div class="actions">
        <button
          type="button"
          class="primary"
          disabled={
            run.busy || checking || (run.operation !== null && !SETTLED.has(run.operation.status))
          }
          onClick={() => void run.start('check')}
        >
          Run check
        </button>
      </div>
      <ErrorNote error={run.error ?? last.error} />
      {run.operation && run.operation.status !== 'succeeded' ? <OperationPanel run={run} /> : null}
      {shown?.result ? (
        <IntegrityReportView
          key={shown.id}
          report={shown.result as unknown as IntegrityReport}
          at={shown.finishedAt}
        />
      ) : !last.loading && !run.operation ? (
        <p class="muted">No check has run yet.</p>
      ) : null}
    </section>
  );
};
