import { Inject, Injectable } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import { escapeKeyName } from '../source/key-name.js';
import type { KeyspaceEntry } from '../source/keyspace-entry.js';
import { KeyspaceClassifier, type PreparedBatch } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { decideMerge } from '../migration/outcome.js';
import { accountBatch } from '../migration/batch-accounting.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { runFixtures } from './self-test-fixtures.js';
import { couldNotComplete, type TestLog } from './self-test-log.js';

/** How many offending keys a warning names; the count always covers all of them. */
export const LISTED = 10;

/** The first `sampleSize` keys SCAN returned, classified exactly as a migration would. */
export interface LiveSample {
  /** Every key under the prefix is in the sample. */
  complete: boolean;
  prepared: PreparedBatch;
  /** The raw values of the keys that held one, by key. */
  values: Map<string, Buffer>;
}

const listCounts = (table: Record<string, number>): string =>
  Object.entries(table)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');

/**
 * Test 2, migration process validation: built-in legacy, enhanced and known-bad records get
 * the verdicts they must get, and a dry run over a sample of the live keyspace (the migration's
 * own classification and merge decision, against a read-only snapshot of the tenants table)
 * says what a migration would do with it.
 */
@Injectable()
export class ProcessTest {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly sessions: PostgresSessionFactory,
    private readonly reader: RedisKeyspaceReader,
    private readonly classifier: KeyspaceClassifier,
    private readonly validator: TenantValidator,
    private readonly merges: TenantMergeRepository,
  ) {}

  /**
   * Runs the test and returns the live sample it read, which the compatibility test checks
   * next: once read, the sample is returned even when the dry run over it fails.
   */
  async run(log: TestLog, sampleSize: number): Promise<LiveSample> {
    const { keyPrefix } = this.options;
    const verdicts = runFixtures(this.validator, keyPrefix, this.options.validation);
    const wrong = verdicts.filter((v) => !v.ok);
    for (const v of wrong) log.fail(`built-in record "${v.fixture}": ${v.detail}`);
    log.detail(
      `${verdicts.length - wrong.length} of ${verdicts.length} built-in records got the verdict they must get ` +
        `(${verdicts.map((v) => v.fixture).join(', ')})`,
    );
    const sample = await this.readSample(sampleSize);
    await this.dryRun(log, sample, sampleSize).catch((error: unknown) =>
      log.fail(couldNotComplete(error)),
    );
    return sample;
  }

  /** The migration's decision for every sampled key, counted and checked. */
  private async dryRun(log: TestLog, sample: LiveSample, sampleSize: number): Promise<void> {
    const { keyPrefix, conflictPolicy } = this.options;
    const { prepared } = sample;
    const candidates = prepared.candidates;
    const existing = await this.sessions.withReadOnlySession((client) =>
      this.merges.findExisting(
        client,
        candidates.map((c) => c.record.subdomain),
      ),
    );
    const { counts, exceptions } = accountBatch(prepared, (c) =>
      decideMerge(
        existing.get(c.record.subdomain),
        { sourceHash: c.record.sourceHash, sourceKey: c.key },
        conflictPolicy,
      ),
    );
    const {
      scanned,
      migrated,
      created,
      updated,
      unchanged,
      skipped,
      conflicts,
      skippedByReason,
      rejectedByReason,
    } = counts;
    const rejected = exceptions
      .filter((e) => e.bucket === 'rejected')
      .map((e) => ({ key: e.key, reasons: e.reasons.map((r) => r.message).join('; ') }));
    const scope = sample.complete
      ? `all ${scanned} keys under "${keyPrefix}"`
      : `a sample of ${scanned} keys under "${keyPrefix}" (the first SCAN returned; sample size ${sampleSize})`;
    if (scanned !== migrated + unchanged + skipped + rejected.length) {
      log.fail(
        `the dry run's counts do not add up: scanned ${scanned} != migrated ${migrated} + unchanged ${unchanged} + skipped ${skipped} + rejected ${rejected.length}`,
      );
    }
    log.detail(
      `dry run (read-only, policy ${conflictPolicy}) over ${scope}: would migrate ${migrated} (create ${created}, update ${updated}), ` +
        `unchanged ${unchanged}, skipped ${skipped}${skipped > 0 ? ` (${listCounts(skippedByReason)})` : ''}, ` +
        `rejected ${rejected.length}${rejected.length > 0 ? ` (${listCounts(rejectedByReason)})` : ''}`,
    );
    if (scanned === 0)
      log.warn(
        `no keys under "${keyPrefix}": the dry run had nothing to read (is the key prefix right?)`,
      );
    if (rejected.length > 0) {
      const listed = rejected.slice(0, LISTED).map((r) => `${r.key}: ${r.reasons}`);
      log.warn(
        `${rejected.length} live record(s) in the sample would be rejected by a migration (data, not a failure of the self-test): ${listed.join(' | ')}`,
      );
    }
    if (conflicts > 0)
      log.warn(
        `${conflicts} tenant(s) in the sample changed in PostgreSQL since their last migration and would be kept (conflicts)`,
      );
  }

  /** The first `size` keys SCAN returns, fetched and classified as a migration would (no read-ahead). */
  private async readSample(size: number): Promise<LiveSample> {
    const { keyPrefix, maxValueBytes } = this.options;
    const names = new Set<string>();
    const badNames = new Set<string>();
    let complete = true;
    for await (const page of this.reader.keys(keyPrefix, size)) {
      for (const name of page) {
        if (names.size + badNames.size >= size) break;
        if (isUtf8(name)) names.add(name.toString('utf8'));
        else badNames.add(escapeKeyName(name));
      }
      if (names.size + badNames.size >= size) {
        complete = false;
        break;
      }
    }
    const entries: KeyspaceEntry[] = [
      ...[...badNames].map((key): KeyspaceEntry => ({ key, kind: 'bad-name' })),
      ...(await this.reader.fetch([...names], maxValueBytes)),
    ];
    const values = new Map<string, Buffer>();
    for (const entry of entries) if (entry.kind === 'value') values.set(entry.key, entry.value);
    const prepared = await this.classifier.classify({ cursor: '0', entries });
    return { complete, prepared, values };
  }
}
