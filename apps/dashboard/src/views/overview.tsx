import { ACTIONS } from '../api';
import type { IntegrityReport, MigrationStats } from '../api-types';
import { ProgressChart, RunsChart } from '../components/charts';
import { Count, ErrorNote, Loading, ProgressBar, StatusBadge, Time } from '../components/common';
import { bytes, count, percent } from '../format';
import { useActive, useLatestSucceeded, useLoad, useWatch } from '../hooks';

const Figure = ({ label, value, id }: { label: string; value: number | null; id: string }) => (
  <div class="figure">
    <dt id={`${id}-label`}>{label}</dt>
    <dd aria-labelledby={`${id}-label`} data-figure={id}>
      <Count value={value} />
    </dd>
  </div>
);

/** The newest running operation, with its live bar and its progress over time. */
const RunningNow = () => {
  const { active } = useActive();
  const current = active[0] ?? null;
  const watched = useWatch(current?.id ?? null);
  if (!current)
    return (
      <p class="muted">
        Nothing is running. Start one from <a href="#/operations">Operations</a>.
      </p>
    );
  const operation = watched.operation ?? current;
  return (
    <div>
      <p>
        <strong>{operation.kind}</strong> <StatusBadge status={operation.status} /> started{' '}
        <Time at={operation.startedAt ?? operation.createdAt} />
      </p>
      <ProgressBar progress={operation.progress} />
      <ProgressChart samples={watched.samples} unit={operation.progress?.unit ?? 'keys'} />
    </div>
  );
};

export const OverviewView = () => {
  const stats = useLoad(
    (api, signal) => api.get<MigrationStats>(ACTIONS, { action: 'stats' }, signal),
    [],
  );
  const lastCheck = useLatestSucceeded('check', []);
  const s = stats.data;
  const lastRun = s?.lastRuns[0] ?? null;
  const check = lastCheck.data;
  const report = check?.result as IntegrityReport | undefined;
  return (
    <section aria-labelledby="overview-title">
      <div class="title-row">
        <h1 id="overview-title">Overview</h1>
        <button type="button" onClick={() => (stats.reload(), lastCheck.reload())}>
          Refresh
        </button>
      </div>
      <ErrorNote error={stats.error} />
      <Loading when={stats.loading && !s} />
      {s ? (
        <>
          <p class="muted">
            Prefix <code>{s.prefix}</code>, counted{' '}
            <time dateTime={s.at}>{new Date(s.at).toLocaleTimeString()}</time>.
          </p>
          <dl class="figures">
            <Figure id="redis-keys" label="Tenants in Redis" value={s.redisKeys} />
            <Figure id="postgres-tenants" label="Tenants in PostgreSQL" value={s.postgresTenants} />
            <Figure id="legacy" label="From the legacy format" value={s.bySourceFormat.legacy} />
            <Figure
              id="enhanced"
              label="From the enhanced format"
              value={s.bySourceFormat.enhanced}
            />
            <Figure id="app" label="Written by the app" value={s.bySourceFormat.app} />
            <Figure id="incomplete" label="Incomplete profiles" value={s.incompleteProfiles} />
            <Figure
              id="quarantine"
              label="Quarantined by the last run"
              value={lastRun ? lastRun.counts.rejected + lastRun.counts.skipped : null}
            />
            <Figure
              id="pending-write-backs"
              label="Write-backs pending"
              value={s.pendingWriteBacks}
            />
            <Figure id="cleaned-up" label="Cleaned up from Redis" value={s.cleanedUpFromRedis} />
          </dl>
          <p>
            Last run's success rate: <strong>{percent(s.successRate)}</strong>
          </p>
        </>
      ) : null}

      <h2>Running now</h2>
      <RunningNow />

      <h2>Last integrity check</h2>
      <ErrorNote error={lastCheck.error} />
      {report ? (
        <p data-check={report.consistent ? 'consistent' : 'drift'}>
          {report.consistent ? 'Consistent' : 'Drift found'}, <Time at={check?.finishedAt} />:{' '}
          {count(report.matching)} matching, {count(report.different)} different,{' '}
          {count(report.onlyInRedis)} only in Redis, {count(report.onlyInPostgres)} only in
          PostgreSQL, {count(report.invalid)} invalid. <a href="#/integrity">Details</a>
        </p>
      ) : lastCheck.loading ? null : (
        <p class="muted">
          No check has run yet. <a href="#/integrity">Run one</a>.
        </p>
      )}

      <h2>Runs</h2>
      {s ? <RunsChart runs={s.lastRuns} /> : null}

      <h2>Backups</h2>
      {s && s.backups.length > 0 ? (
        <ul class="plain">
          {s.backups.slice(0, 5).map((b) => (
            <li key={b.id}>
              {b.kind} backup of {count(b.entryCount)} entries ({bytes(b.totalBytes)}),{' '}
              <Time at={b.createdAt} />
              {b.verifiedAt ? ', verified' : ', not verified yet'}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">
          No backup yet. <a href="#/backups">Take one</a>.
        </p>
      )}
    </section>
  );
};
