import type { IntegrityReport, TenantDrift } from '#tenant-migration';
import type { CliOutput } from '../cli-output.service.js';
import { formatCount as n } from '../output-format.js';

const show = (value: unknown): string => (value === null ? 'null' : JSON.stringify(value));

/** One line per drift: what kind, which tenant, and for a difference every field with both values. */
const describeDrift = (d: TenantDrift): string => {
  const head = `${d.kind.padEnd(16)} ${d.subdomain}${d.key ? ` (${d.key})` : ''}`;
  if (d.kind !== 'different') return head;
  const fields = (d.fields ?? [])
    .map((f) => `${f.field}: redis ${show(f.redis)} / postgres ${show(f.postgres)}`)
    .join('; ');
  const sides = [d.changedInRedis ? 'Redis' : null, d.changedInPostgres ? 'PostgreSQL' : null]
    .filter(Boolean)
    .join(' and ');
  return `${head}: ${fields}${sides ? `  [changed in ${sides} since the last migration]` : ''}`;
};

/** The human view of `check`: the verdict, the counts, the differences and the invalid records. */
export const printIntegrityReport = (out: CliOutput, report: IntegrityReport): void => {
  const verdict = report.consistent ? 'Redis and PostgreSQL agree' : 'DRIFT FOUND';
  out.line(`Integrity check: ${verdict} (${(report.durationMs / 1000).toFixed(1)}s)`);
  out.row(
    'redis keys',
    report.redisKeys,
    `(valid ${n(report.valid)}, invalid ${n(report.invalid)}, skipped ${n(report.skipped)})`,
  );
  out.row(
    'postgres',
    report.postgresTenants,
    report.cleanedUp > 0 ? `(${n(report.cleanedUp)} of them cleaned up from Redis on purpose)` : '',
  );
  out.row('matching', report.matching);
  out.row('only redis', report.onlyInRedis);
  out.row('only postgres', report.onlyInPostgres);
  out.row('different', report.different);
  const total = report.onlyInRedis + report.onlyInPostgres + report.different;
  if (total > 0) {
    out.line(
      report.truncated
        ? `First ${report.drift.length} of ${n(total)} differences (--limit 0 or --json for all):`
        : 'Differences:',
    );
    for (const d of report.drift) out.line(`  ${describeDrift(d)}`);
  }
  if (report.invalid > 0) {
    out.line(
      `Invalid records in Redis (a migration rejects them; not drift): ${n(report.invalid)}`,
    );
    for (const r of report.invalidRecords.slice(0, 10))
      out.line(`  ${r.key}: ${r.reasons.map((x) => x.message).join('; ')}`);
  }
};
