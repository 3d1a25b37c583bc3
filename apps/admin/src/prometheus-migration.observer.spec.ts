import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { PrometheusMigrationObserver } from './prometheus-migration.observer.js';
import { METRIC_NAMES } from './migration-metrics.js';

/** The observer over metrics of a private registry (never the process-wide one). */
const observerOver = () => {
  const registry = new Registry();
  const keys = new Counter({
    name: METRIC_NAMES.keys,
    help: 'keys',
    labelNames: ['outcome', 'reason', 'dry_run'],
    registers: [registry],
  });
  const batches = new Histogram({
    name: METRIC_NAMES.batchDuration,
    help: 'batches',
    labelNames: ['dry_run'],
    registers: [registry],
  });
  const lookups = new Counter({
    name: METRIC_NAMES.resolverLookups,
    help: 'lookups',
    labelNames: ['result'],
    registers: [registry],
  });
  return {
    observer: new PrometheusMigrationObserver(keys, batches, lookups),
    keys,
    batches,
    lookups,
  };
};

describe('PrometheusMigrationObserver', () => {
  it('adds a batch’s keys by outcome and reason, and its duration in seconds', async () => {
    const { observer, keys, batches } = observerOver();
    const batch = {
      dryRun: false,
      created: 2,
      updated: 0,
      unchanged: 1,
      skippedByReason: { reserved: 1 },
      rejectedByReason: { 'invalid-json': 2 },
      readMs: 250,
      writeMs: 750,
    };
    observer.onBatch(batch);
    observer.onBatch({ ...batch, dryRun: true });
    const values = (await keys.get()).values.map((v) => [v.labels, v.value]);
    assert.deepEqual(values, [
      [{ outcome: 'created', reason: '', dry_run: 'false' }, 2],
      [{ outcome: 'unchanged', reason: '', dry_run: 'false' }, 1],
      [{ outcome: 'skipped', reason: 'reserved', dry_run: 'false' }, 1],
      [{ outcome: 'rejected', reason: 'invalid-json', dry_run: 'false' }, 2],
      [{ outcome: 'created', reason: '', dry_run: 'true' }, 2],
      [{ outcome: 'unchanged', reason: '', dry_run: 'true' }, 1],
      [{ outcome: 'skipped', reason: 'reserved', dry_run: 'true' }, 1],
      [{ outcome: 'rejected', reason: 'invalid-json', dry_run: 'true' }, 2],
    ]);
    const sums = (await batches.get()).values.filter((v) => v.metricName?.endsWith('_sum'));
    assert.deepEqual(
      sums.map((v) => [v.labels.dry_run, v.value]),
      [
        ['false', 1],
        ['true', 1],
      ],
    );
  });

  it('counts resolver lookups by result', async () => {
    const { observer, lookups } = observerOver();
    observer.onResolverLookup('postgres');
    observer.onResolverLookup('postgres');
    observer.onResolverLookup('miss');
    const values = (await lookups.get()).values.map((v) => [v.labels.result, v.value]);
    assert.deepEqual(values, [
      ['postgres', 2],
      ['miss', 1],
    ]);
  });
});
