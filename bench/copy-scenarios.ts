/**
 * The scenarios timed against the reference pipeline: `migrate` (the project's migration) and
 * `check` (the integrity check of a consistent migration). On each run of a size the two go one
 * after the other, the project first on odd runs and the reference first on even runs.
 */
import { inRunOrder, parseOutput, positiveFigure, ratio, runOrder } from './figures.js';
import { batchSize, fail, redisUrl, seedArgs } from './settings.js';
import { forEachSize } from './size-table.js';
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

/** Migrates N tenants with the real CLI and with the reference pipeline, on the same data. */
export const runMigrate = (): Promise<void> =>
  forEachSize(
    `migrate (batch size ${batchSize || 'default'}, seed ${seedArgs.join(' ')})`,
    '    first  project_s  refer_s   ratio  tenants/s  proj_rss  ref_rss  accounting',
    async (n, run) => {
      const timed = await inRunOrder(
        run,
        () => {
          process.stderr.write('bench: project migration\n');
          // Exit 1 is an answer: some keys were rejected (what --bad-pct asks for).
          return cli(
            'project migration',
            ['migrate', '--json', ...(batchSize ? ['--batch-size', batchSize] : [])],
            { REDIS_URL: redisUrl },
            [0, 1],
          );
        },
        runReference,
      );
      const project = timed.project;
      const result = parseOutput<{
        counts: { scanned: number; migrated: number; rejected: number };
        balanced: boolean;
      }>(project.output, 'project migration');
      if (!result.balanced || result.counts.scanned !== n)
        fail(`project accounting is off: ${JSON.stringify(result.counts)}`);
      const perSecond = positiveFigure(n / project.seconds, 'project migration', 'tenants/s');
      return {
        cells: [
          firstCell(run),
          project.seconds.toFixed(2).padStart(9),
          timed.reference.seconds.toFixed(2).padStart(8),
          ratio(project.seconds, timed.reference.seconds, 'project migration')
            .toFixed(2)
            .padStart(6),
          Math.round(perSecond).toLocaleString('en-US').padStart(10),
          String(project.peakRssMb).padStart(8),
          String(timed.reference.peakRssMb).padStart(7),
          `migrated ${result.counts.migrated.toLocaleString('en-US')}, rejected ${result.counts.rejected.toLocaleString('en-US')}`,
        ],
        peakRssMb: project.peakRssMb,
      };
    },
  );
