/**
 * The scenarios timed against the reference pipeline: `migrate` (the project's migration) and
 * `check` (the integrity check of a consistent migration). On each run of a size the two go one
 * after the other, the project first on odd runs and the reference first on even runs.
 */
import { inRunOrder, parseOutput, positiveFigure, ratio, runOrder } from './figures.js';
import { batchSize, fail, redisUrl, seedArgs } from './settings.js';
import { forEachSize } from './size-table.js';
import type { Measurement } from './child.js';
import { cli, runReference } from './steps.js';

/** Which pipeline went first, for the table's `first` column. */
const firstCell = (run: number): string =>
  (runOrder(run) === 'project-first' ? 'project' : 'reference').padStart(9);

/** Migrates N tenants, then times the integrity check of the consistent stores against the reference pipeline. */
export const runCheckScenario = (): Promise<void> =>
  forEachSize(
    'check (integrity check of a consistent migration vs the reference pipeline)',
    '    first   check_s  refer_s   ratio  check_rss  result',
    async (n, run) => {
      process.stderr.write('bench: migration (not timed here)\n');
      await cli(
        'migration before the check',
        ['migrate', '--json'],
        { REDIS_URL: redisUrl },
        [0, 1],
      );
      const timed = await inRunOrder(
        run,
        () => {
          process.stderr.write('bench: integrity check\n');
          // Exit 1 is an answer (drift), refused below with the report.
          return cli('integrity check', ['check', '--json'], { REDIS_URL: redisUrl }, [0, 1]);
        },
        runReference,
      );
      const check = timed.project;
      const report = parseOutput<{ consistent: boolean; redisKeys: number; matching: number }>(
        check.output,
        'integrity check',
      );
      if (!report.consistent || report.redisKeys !== n)
        fail(`the check of a fresh migration is not clean: ${check.output.slice(0, 500)}`);
      return {
        cells: [
          firstCell(run),
          check.seconds.toFixed(2).padStart(8),
          timed.reference.seconds.toFixed(2).padStart(8),
          ratio(check.seconds, timed.reference.seconds, 'integrity check').toFixed(2).padStart(6),
          String(check.peakRssMb).padStart(9),
          `matching ${report.matching.toLocaleString('en-US')}`,
        ],
        peakRssMb: check.peakRssMb,
      };
    },
  );

/** The project's migration of the bench stores, as an operator runs it. */
const projectMigration = (step: string): Promise<Measurement> => {
  process.stderr.write(`bench: ${step}\n`);
  // Exit 1 is an answer: some keys were rejected (what --bad-pct asks for).
  return cli(
    step,
    ['migrate', '--json', ...(batchSize ? ['--batch-size', batchSize] : [])],
    { REDIS_URL: redisUrl },
    [0, 1],
  );
};

interface MigrationSummary {
  counts: { scanned: number; migrated: number; unchanged: number; rejected: number };
  balanced: boolean;
}

/** The migration's JSON summary; the bench stops when its accounting is off. */
const checkedSummary = (n: number, run: Measurement, step: string): MigrationSummary => {
  const result = parseOutput<MigrationSummary>(run.output, step);
  if (!result.balanced || result.counts.scanned !== n)
    fail(`${step}: the accounting is off: ${JSON.stringify(result.counts)}`);
  return result;
};

const seconds = (run: Measurement, width: number): string => run.seconds.toFixed(2).padStart(width);

/**
 * Migrates N tenants into an empty table with the real CLI, and copies them with the reference
 * pipeline in both its modes (upsert, then raw COPY), on the same data: both ratios.
 */
export const runMigrate = (): Promise<void> =>
  forEachSize(
    `migrate, first load (batch size ${batchSize || 'default'}, seed ${seedArgs.join(' ')})`,
    '    first  project_s  upsert_s  copy_s  vs_upsert  vs_copy  tenants/s  proj_rss  ref_rss  accounting',
    async (n, run) => {
      const timed = await inRunOrder(
        run,
        () => projectMigration('project migration'),
        async () => ({ upsert: await runReference('upsert'), copy: await runReference('copy') }),
      );
      const { project } = timed;
      const { upsert, copy } = timed.reference;
      const { counts } = checkedSummary(n, project, 'project migration');
      const perSecond = positiveFigure(n / project.seconds, 'project migration', 'tenants/s');
      return {
        cells: [
          firstCell(run),
          seconds(project, 9),
          seconds(upsert, 8),
          seconds(copy, 6),
          ratio(project.seconds, upsert.seconds, 'project migration').toFixed(2).padStart(9),
          ratio(project.seconds, copy.seconds, 'project migration').toFixed(2).padStart(7),
          Math.round(perSecond).toLocaleString('en-US').padStart(10),
          String(project.peakRssMb).padStart(8),
          String(Math.max(upsert.peakRssMb, copy.peakRssMb)).padStart(7),
          `migrated ${counts.migrated.toLocaleString('en-US')}, rejected ${counts.rejected.toLocaleString('en-US')}`,
        ],
        peakRssMb: project.peakRssMb,
      };
    },
  );

/**
 * Migrates N tenants (not timed), then times a second migration of the unchanged keyspace
 * against the upsert reference: every tenant must come out unchanged.
 */
export const runRerun = (): Promise<void> =>
  forEachSize(
    `re-run of an unchanged keyspace (batch size ${batchSize || 'default'}, seed ${seedArgs.join(' ')})`,
    '    first  rerun_s  upsert_s  ratio  rerun_rss  accounting',
    async (n, run) => {
      const first = checkedSummary(
        n,
        await projectMigration('first migration (not timed)'),
        'first migration',
      );
      const timed = await inRunOrder(
        run,
        () => projectMigration('re-run'),
        () => runReference('upsert'),
      );
      const { counts } = checkedSummary(n, timed.project, 're-run');
      // What the first run migrated is unchanged now, and nothing is written again.
      if (counts.migrated !== 0 || counts.unchanged !== first.counts.migrated)
        fail(`re-run: the unchanged keyspace was not found unchanged: ${JSON.stringify(counts)}`);
      return {
        cells: [
          firstCell(run),
          seconds(timed.project, 7),
          seconds(timed.reference, 8),
          ratio(timed.project.seconds, timed.reference.seconds, 're-run').toFixed(2).padStart(5),
          String(timed.project.peakRssMb).padStart(9),
          `unchanged ${counts.unchanged.toLocaleString('en-US')} of ${counts.scanned.toLocaleString('en-US')}`,
        ],
        peakRssMb: timed.project.peakRssMb,
      };
    },
  );
