import type { MigrationReport } from './report.types.js';

/** A Markdown table cell: pipes escaped, line breaks as spaces. */
const cell = (value: string): string => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report for people: summary tables, then the listed differences. */
export const toMarkdown = ({ stats, integrity }: MigrationReport): string => {
  const lines = [
    `# Tenant migration report`,
    '',
    `Generated ${stats.at} for key prefix \`${stats.prefix}\`.`,
    '',
    '## Stores',
    '',
    '| | Count |',
    '|---|---:|',
    `| Redis keys | ${stats.redisKeys} |`,
    `| PostgreSQL tenants | ${stats.postgresTenants} |`,
    `| ... from legacy records | ${stats.bySourceFormat.legacy} |`,
    `| ... from enhanced records | ${stats.bySourceFormat.enhanced} |`,
    `| ... created in PostgreSQL | ${stats.bySourceFormat.app} |`,
    `| ... with an incomplete profile | ${stats.incompleteProfiles} |`,
    `| Cleaned up from Redis | ${stats.cleanedUpFromRedis} |`,
    `| Redis write-backs pending | ${stats.pendingWriteBacks} |`,
    '',
    '## Integrity',
    '',
    integrity.consistent ? 'Redis and PostgreSQL agree.' : '**Drift found.**',
    '',
    '| | Count |',
    '|---|---:|',
    `| Matching | ${integrity.matching} |`,
    `| Only in Redis | ${integrity.onlyInRedis} |`,
    `| Only in PostgreSQL | ${integrity.onlyInPostgres} |`,
    `| Different | ${integrity.different} |`,
    `| Invalid records in Redis | ${integrity.invalid} |`,
    '',
  ];
  if (integrity.drift.length > 0) {
    lines.push(
      `### Differences${integrity.truncated ? ` (first ${integrity.drift.length})` : ''}`,
      '',
      '| Kind | Subdomain | Fields (Redis / PostgreSQL) |',
      '|---|---|---|',
    );
    for (const d of integrity.drift) {
      const fields = (d.fields ?? [])
        .map((f) => `${f.field}: ${JSON.stringify(f.redis)} / ${JSON.stringify(f.postgres)}`)
        .join('; ');
      lines.push(`| ${d.kind} | ${cell(d.subdomain)} | ${cell(fields)} |`);
    }
    lines.push('');
  }
  lines.push(
    '## Recent migration runs',
    '',
    '| Run | Status | Started | Scanned | Migrated | Unchanged | Skipped | Rejected | Conflicts |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of stats.lastRuns) {
    const c = r.counts;
    lines.push(
      `| ${r.id} | ${r.status} | ${new Date(r.startedAt).toISOString()} | ${c.scanned} | ${c.migrated} | ${c.unchanged} | ${c.skipped} | ${c.rejected} | ${c.conflicts} |`,
    );
  }
  lines.push(
    '',
    `Success rate of the last completed run: ${stats.successRate === null ? 'n/a' : `${(stats.successRate * 100).toFixed(2)}%`}.`,
    '',
  );
  const reasons = Object.entries(stats.lastRejectedByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) {
    lines.push(
      '## Validation (last completed run)',
      '',
      '| Reason | Keys |',
      '|---|---:|',
      ...reasons.map(([code, n]) => `| ${code} | ${n} |`),
      '',
    );
  }
  lines.push(
    '## Backups',
    '',
    '| Backup | Kind | Created | Entries | Verified |',
    '|---|---|---|---:|---|',
  );
  for (const b of stats.backups) {
    lines.push(
      `| ${b.id} | ${b.kind} | ${new Date(b.createdAt).toISOString()} | ${b.entryCount} | ${b.verifiedAt ? new Date(b.verifiedAt).toISOString() : 'no'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
};
