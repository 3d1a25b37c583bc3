/**
 * The loop every copy scenario shares: for each --tenants size and each of --runs runs, fresh
 * stores, one measurement, one row; then the table and, for two sizes or more, the ratio of their
 * peak RSS.
 */
import { runs, sizes } from './settings.js';
import { seedFresh } from './steps.js';

/** One run's row of a scenario's table (after the tenants and run columns), and its peak RSS. */
export interface SizeResult {
  cells: string[];
  peakRssMb: number;
}

/**
 * Runs `measureSize` for each size and run on freshly seeded stores, then prints the table;
 * `header` names the columns after `tenants` and `run`.
 */
export const forEachSize = async (
  title: string,
  header: string,
  measureSize: (n: number, run: number) => Promise<SizeResult>,
): Promise<void> => {
  const rows: string[] = [];
  const rss = new Map<number, number>();
  for (const n of sizes) {
    for (let run = 1; run <= runs; run++) {
      await seedFresh(n);
      const { cells, peakRssMb } = await measureSize(n, run);
      rss.set(n, Math.max(rss.get(n) ?? 0, peakRssMb));
      rows.push(
        [n.toLocaleString('en-US').padStart(10), String(run).padStart(3), ...cells].join('  '),
      );
    }
  }
  console.log(`\nscenario: ${title}`);
  console.log(`   tenants  run  ${header}`);
  for (const row of rows) console.log(row);
  if (rss.size < 2) return;
  const [small, large] = [Math.min(...rss.keys()), Math.max(...rss.keys())];
  console.log(
    `peak RSS ${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')}: ${(rss.get(large)! / rss.get(small)!).toFixed(2)}x`,
  );
};
