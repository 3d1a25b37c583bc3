import { Inject, Injectable } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { RESOLVED_OPTIONS, TENANT_REDIS } from '../tenant-migration.constants.js';
import { InjectTenantDataSource } from '../tenant-migration.tokens.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { withTimeout } from '../common/with-timeout.js';
import { redisReady } from '../common/redis-ready.js';
import { LATEST_SCHEMA_MIGRATION, TENANT_MIGRATION_SCHEMA_MIGRATIONS } from '../database/index.js';
import { InvalidOptionError, StoreUnavailableError } from '../errors/index.js';
import { redactUrl } from '../common/redact-url.js';
import {
  escapeKeyName,
  RedisKeyspaceReader,
  scanPatternFor,
} from '../source/redis-keyspace.reader.js';
import type { KeyspaceEntry } from '../source/keyspace-entry.js';
import { KeyspaceClassifier, type PreparedBatch } from '../migration/keyspace-classifier.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TenantMergeRepository } from '../migration/tenant-merge.repository.js';
import { decideMerge } from '../migration/outcome.js';
import { accountBatch } from '../migration/batch-accounting.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { toLegacyValue } from '../tenants/tenant-mapper.js';
import { TENANT_ROW_SELECT, tenantFromRow, type TenantRow } from '../tenants/tenant-row.js';
import { runFixtures } from './self-test-fixtures.js';
import {
  comparedFieldsFor,
  legacyRoundTrip,
  tenantDifferences,
  tenantOf,
} from './self-test-checks.js';
import {
  SELF_TEST_NAMES,
  type SelfTestName,
  type SelfTestReport,
  type SelfTestRequest,
  type SelfTestResult,
} from './self-test.types.js';

const DEFAULT_SAMPLE_SIZE = 100;
const MAX_SAMPLE_SIZE = 10_000;
const DEFAULT_TIMEOUT_MS = 5000;
/** How many offending keys a warning names; the count always covers all of them. */
const LISTED = 10;

const [CONNECTIVITY, PROCESS, COMPATIBILITY] = SELF_TEST_NAMES;

/** The first `sampleSize` keys SCAN returned, classified exactly as a migration would. */
interface LiveSample {
  /** Every key under the prefix is in the sample. */
  complete: boolean;
  prepared: PreparedBatch;
  /** The raw values of the keys that held one, by key. */
  values: Map<string, Buffer>;
}

/** Collects what one test found: failures (the reason it failed), details and warnings. */
class TestLog {
  readonly failures: string[] = [];
  readonly details: string[] = [];
  readonly warnings: string[] = [];

  fail(line: string): void {
    this.failures.push(line);
  }

  detail(line: string): void {
    this.details.push(line);
  }

  warn(line: string): void {
    this.warnings.push(line);
  }

  result(name: SelfTestName, durationMs: number): SelfTestResult {
    const result: SelfTestResult = {
      name,
      passed: this.failures.length === 0,
      durationMs,
      details: [...this.failures, ...this.details],
    };
    if (this.warnings.length > 0) result.warnings = [...this.warnings];
    return result;
  }
}

/** One line for an error: its message, its cause's, and the parts of an AggregateError (pg tries every address). */
const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  let message = error.message;
  if (!message && error instanceof AggregateError)
    message = error.errors.map(describeError).join('; ');
  if (!message) message = (error as Error & { code?: string }).code ?? error.name;
  const cause = error.cause === undefined ? '' : describeError(error.cause);
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
};

const listCounts = (table: Record<string, number>): string =>
  Object.entries(table)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');

/**
 * The spec's runtime self-test (`MigrationTests.runAllTests()`), strictly read-only: it never
 * writes to Redis or PostgreSQL. It checks, against the configured stores:
 *
 * 1. **Database connectivity**: PostgreSQL answers, its schema is the latest and has the
 *    configured tenants table; Redis answers PING; the tenant keys are readable (SCAN).
 * 2. **Migration process validation**: built-in legacy, enhanced and known-bad records get the
 *    verdicts they must get, and a dry run over a sample of the live keyspace (the migration's
 *    own classification and merge decision, against a read-only snapshot of the tenants table)
 *    says what a migration would do with it.
 * 3. **Backward compatibility verification**: the sampled live values survive the mapping for
 *    legacy readers (`toLegacyValue` gives the emoji and createdAt they read today), and the
 *    sampled tenants already in PostgreSQL read back (the resolver's SELECT) as their Redis value maps.
 *
 * Invalid live records and drift are data, reported as warnings; only the machinery failing
 * fails a test. A store that is down fails the first test with the reason, and the others
 * are reported as not run: `runAllTests()` does not throw for an outage.
 *
 * Redis: PING, INFO, SCAN, the reader's read-only EVAL (TYPE/STRLEN), MGET and EXISTS.
 * PostgreSQL: SELECTs in `REPEATABLE READ READ ONLY` transactions that end with ROLLBACK. If
 * the host has not connected its DataSource yet (the CLI connects on demand), it is connected,
 * unless connecting would run schema migrations or synchronize.
 */
/** SCAN pages (of about 1,000 keys) the connectivity check reads at most to find a tenant key. */
const SCAN_PAGES = 20;

@Injectable()
export class MigrationTests {
  private connecting: Promise<void> | null = null;

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    @InjectTenantDataSource() private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
    private readonly sessions: PostgresSessionFactory,
    private readonly reader: RedisKeyspaceReader,
    private readonly classifier: KeyspaceClassifier,
    private readonly validator: TenantValidator,
    private readonly merges: TenantMergeRepository,
  ) {}

  /** Runs the three tests in order; the report's `passed` is true when all passed. */
  async runAllTests(request: SelfTestRequest = {}): Promise<SelfTestReport> {
    const sampleSize = request.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > MAX_SAMPLE_SIZE) {
      throw new InvalidOptionError(
        `the self-test sample size must be an integer from 1 to ${MAX_SAMPLE_SIZE}, got ${sampleSize}`,
        { sampleSize },
      );
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new InvalidOptionError(
        `the self-test timeout must be a positive integer (ms), got ${timeoutMs}`,
        { timeoutMs },
      );
    }
    const started = Date.now();
    const tests: SelfTestResult[] = [];
    const connectivity = await this.timed(CONNECTIVITY, (log) =>
      this.testConnectivity(log, timeoutMs),
    );
    tests.push(connectivity);
    if (!connectivity.passed) {
      const reason = `not run: ${CONNECTIVITY} failed (${connectivity.details[0] ?? 'no reason given'})`;
      tests.push(notRun(PROCESS, reason), notRun(COMPATIBILITY, reason));
    } else {
      const holder: { sample: LiveSample | null } = { sample: null };
      tests.push(await this.timed(PROCESS, (log) => this.testProcess(log, sampleSize, holder)));
      const { sample } = holder;
      tests.push(
        sample
          ? await this.timed(COMPATIBILITY, (log) => this.testCompatibility(log, sample))
          : notRun(COMPATIBILITY, `not run: the live sample could not be read (see ${PROCESS})`),
      );
    }
    return { passed: tests.every((t) => t.passed), tests, durationMs: Date.now() - started };
  }

  private async timed(
    name: SelfTestName,
    body: (log: TestLog) => Promise<void>,
  ): Promise<SelfTestResult> {
    const started = Date.now();
    const log = new TestLog();
    try {
      await body(log);
    } catch (error) {
      log.fail(`could not complete: ${describeError(error)}`);
    }
    return log.result(name, Date.now() - started);
  }

  // ---- 1. Database connectivity -------------------------------------------------------------

  /** Both stores at once; the report lists PostgreSQL's lines first, then Redis's. */
  private async testConnectivity(log: TestLog, timeoutMs: number): Promise<void> {
    const [postgres, redis] = [new TestLog(), new TestLog()];
    await Promise.all([this.checkPostgres(postgres, timeoutMs), this.checkRedis(redis, timeoutMs)]);
    for (const part of [postgres, redis]) {
      part.failures.forEach((line) => log.fail(line));
      part.details.forEach((line) => log.detail(line));
      part.warnings.forEach((line) => log.warn(line));
    }
  }

  private async checkPostgres(log: TestLog, timeoutMs: number): Promise<void> {
    let found: {
      version: string;
      database: string;
      applied: string[] | null;
      tenantsTable: boolean;
    };
    const { tenants } = this.options.tables;
    try {
      await withTimeout(
        this.connectPostgres(),
        timeoutMs,
        `PostgreSQL at ${this.postgresTarget()}`,
      );
      found = await withTimeout(
        this.readOnly(async (client) => {
          const { rows } = await client.query<{ version: string; database: string }>(
            `SELECT current_setting('server_version') AS version, current_database() AS database`,
          );
          return { ...rows[0], ...(await this.sessions.schemaState(client)) };
        }),
        timeoutMs,
        `PostgreSQL at ${this.postgresTarget()}`,
      );
    } catch (error) {
      log.fail(`PostgreSQL does not answer: ${describeError(error)}`);
      return;
    }
    log.detail(`PostgreSQL ${found.version} answers (database ${found.database})`);
    const { applied } = found;
    if (applied === null || applied.length === 0) {
      log.fail(
        'the database schema is missing (no schema migration applied): run `npm run db:migrate`',
      );
    } else if (!applied.includes(LATEST_SCHEMA_MIGRATION)) {
      log.fail(
        `the database schema is out of date (newest applied ${applied[0]}, expected ${LATEST_SCHEMA_MIGRATION}): run \`npm run db:migrate\``,
      );
    } else {
      log.detail(`the schema is at ${LATEST_SCHEMA_MIGRATION} (the latest)`);
      if (!found.tenantsTable) {
        log.fail(
          `the tenants table ${tenants} (option tables.tenants) does not exist: the schema migrations were run with other table names`,
        );
      }
      const known = new Set(TENANT_MIGRATION_SCHEMA_MIGRATIONS.map((m) => m.name));
      const unknown = applied.filter((name) => !known.has(name));
      if (unknown.length > 0)
        log.warn(
          `the database has schema migrations this build does not know: ${unknown.join(', ')}`,
        );
    }
  }

  private async checkRedis(log: TestLog, timeoutMs: number): Promise<void> {
    const target = `Redis at ${this.redisTarget()}`;
    try {
      await redisReady(this.redis, timeoutMs);
      const pong = await withTimeout(this.redis.ping(), timeoutMs, target);
      if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
    } catch (error) {
      log.fail(`${target} does not answer PING: ${describeError(error)}`);
      return;
    }
    const info = await withTimeout(this.redis.info('server'), timeoutMs, target).catch(() => '');
    const version = /^redis_version:(\S+)/m.exec(info)?.[1];
    log.detail(`Redis ${version ?? '(version not reported)'} answers PING (${this.redisTarget()})`);
    const { keyPrefix } = this.options;
    try {
      // A few pages at most: a large database can hold many keys before the first tenant key.
      let cursor = '0';
      let found = false;
      for (let page = 0; page < SCAN_PAGES && !found; page++) {
        const [next, keys] = await withTimeout(
          this.redis.scan(cursor, 'MATCH', scanPatternFor(keyPrefix), 'COUNT', 1000),
          timeoutMs,
          target,
        );
        found = keys.length > 0;
        cursor = next;
        if (cursor === '0') break;
      }
      log.detail(
        `the tenant keys under "${keyPrefix}" are readable (SCAN answered${found ? ', keys found' : ''})`,
      );
    } catch (error) {
      log.fail(`SCAN of the tenant keys under "${keyPrefix}" failed: ${describeError(error)}`);
    }
  }

  /** Connects the host's DataSource if it is not yet (once, shared by concurrent calls). */
  private connectPostgres(): Promise<void> {
    if (this.dataSource.isInitialized) return Promise.resolve();
    const { synchronize, migrationsRun, dropSchema } = this.dataSource.options;
    if (synchronize || migrationsRun || dropSchema) {
      return Promise.reject(
        new Error(
          'the DataSource is not connected, and connecting it would change the schema (synchronize or migrationsRun)',
        ),
      );
    }
    this.connecting ??= this.dataSource
      .initialize()
      .then(() => undefined)
      .catch((error: unknown) => {
        throw new StoreUnavailableError(
          `cannot reach PostgreSQL at ${this.postgresTarget()}`,
          {},
          { cause: error },
        );
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /** Where PostgreSQL is, without credentials. */
  private postgresTarget(): string {
    const options = this.dataSource.options as {
      url?: string;
      host?: string;
      port?: number;
      database?: string;
    };
    if (options.url) return redactUrl(options.url);
    return `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? ''}`;
  }

  /** Where Redis is, without credentials. */
  private redisTarget(): string {
    const { host, port, db, path } = this.redis.options;
    return path ? path : `${host ?? 'localhost'}:${port ?? 6379}${db ? `/${db}` : ''}`;
  }

  /** Runs reads in one `REPEATABLE READ READ ONLY` transaction (PostgreSQL refuses any write), then rolls back. */
  private async readOnly<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const session = await this.sessions.open();
    try {
      await session.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await work(session.client);
      } finally {
        await session.client.query('ROLLBACK').catch(() => undefined);
      }
    } finally {
      await session.release();
    }
  }

  // ---- 2. Migration process validation ------------------------------------------------------

  private async testProcess(
    log: TestLog,
    sampleSize: number,
    holder: { sample: LiveSample | null },
  ): Promise<void> {
    const { keyPrefix, conflictPolicy } = this.options;
    const verdicts = runFixtures(this.validator, keyPrefix, this.options.validation);
    const wrong = verdicts.filter((v) => !v.ok);
    for (const v of wrong) log.fail(`built-in record "${v.fixture}": ${v.detail}`);
    log.detail(
      `${verdicts.length - wrong.length} of ${verdicts.length} built-in records got the verdict they must get ` +
        `(${verdicts.map((v) => v.fixture).join(', ')})`,
    );

    const sample = await this.readSample(sampleSize);
    holder.sample = sample;
    const { prepared } = sample;
    const candidates = prepared.candidates;
    const existing = await this.readOnly((client) =>
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

  // ---- 3. Backward compatibility verification -----------------------------------------------

  private async testCompatibility(log: TestLog, sample: LiveSample): Promise<void> {
    const prefixLength = this.options.keyPrefix.length;
    const { candidates } = sample.prepared;
    const outcomes = { identical: 0, equal: 0, normalized: 0 };
    const normalized: string[] = [];
    for (const c of candidates) {
      const raw = sample.values.get(c.key);
      if (!raw) {
        log.fail(`${c.key}: the sampled value is missing`);
        continue;
      }
      const trip = legacyRoundTrip(raw, c.record, c.notes);
      if (trip.outcome === 'mismatch')
        log.fail(
          `${c.key}: a legacy reader would see another value after the mapping: ${trip.detail}`,
        );
      else outcomes[trip.outcome]++;
      if (trip.outcome === 'normalized') normalized.push(`${c.key}: ${trip.detail}`);
      // The legacy value written back (sync) must read as the same tenant again.
      const back = this.validator.validateValue(
        c.key,
        c.key.slice(prefixLength),
        Buffer.from(toLegacyValue(c.record), 'utf8'),
      );
      if (!back.ok)
        log.fail(
          `${c.key}: its legacy value is rejected: ${back.reasons.map((r) => r.message).join('; ')}`,
        );
      else if (
        back.record.id !== c.record.id ||
        back.record.emoji !== c.record.emoji ||
        back.record.createdAt !== c.record.createdAt
      ) {
        log.fail(
          `${c.key}: its legacy value reads back as another tenant (id, emoji or createdAt)`,
        );
      }
    }
    log.detail(
      candidates.length === 0
        ? 'no valid live record in the sample to map'
        : `${candidates.length} valid live record(s) mapped and written back as legacy values: ${outcomes.identical} byte-identical, ` +
            `${outcomes.equal} with the same emoji and createdAt, ${outcomes.normalized} normalized on the way in; every one reads back as the same tenant`,
    );
    if (normalized.length > 0) {
      log.warn(
        `${normalized.length} live record(s) are normalized by the migration, so legacy readers would see the normalized value: ${normalized.slice(0, LISTED).join(' | ')}`,
      );
    }
    if (candidates.length === 0) return;

    // The tenants already in PostgreSQL, read with the resolver's own SELECT and mapping.
    const rows = await this.readOnly(
      async (client) =>
        (
          await client.query<TenantRow>(
            `SELECT ${TENANT_ROW_SELECT} FROM ${this.options.tables.tenants} WHERE subdomain = ANY($1::text[])`,
            [candidates.map((c) => c.record.subdomain)],
          )
        ).rows,
    );
    const bySubdomain = new Map(rows.map((row) => [row.subdomain, row]));
    const drifted: string[] = [];
    let matching = 0;
    for (const c of candidates) {
      const row = bySubdomain.get(c.record.subdomain);
      if (!row) continue;
      const differences = tenantDifferences(
        tenantOf(c.record),
        tenantFromRow(row),
        comparedFieldsFor(c.record.sourceFormat),
      );
      if (differences.length === 0) {
        matching++;
        continue;
      }
      const sides = [
        row.source_hash !== c.record.sourceHash ? 'Redis' : null,
        row.changed_in_postgres ? 'PostgreSQL' : null,
      ]
        .filter(Boolean)
        .join(' and ');
      drifted.push(
        `${c.record.subdomain}: ${differences.join('; ')}${sides ? ` [changed in ${sides} since the last migration]` : ''}`,
      );
    }
    log.detail(
      rows.length === 0
        ? `none of the ${candidates.length} sampled tenants is in PostgreSQL yet: nothing to compare`
        : `${rows.length} of the ${candidates.length} sampled tenants are in PostgreSQL: ${matching} read back (resolver's SELECT) equal to ` +
            `the mapping of their Redis value, ${drifted.length} drifted`,
    );
    if (drifted.length > 0) {
      log.warn(
        `${drifted.length} sampled tenant(s) differ between Redis and PostgreSQL (drift; see \`check\`, reconcile with \`sync\`): ${drifted.slice(0, LISTED).join(' | ')}`,
      );
    }
  }
}

const notRun = (name: SelfTestName, reason: string): SelfTestResult => ({
  name,
  passed: false,
  durationMs: 0,
  details: [reason],
});
