import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { toLegacyValue } from '../tenants/tenant-mapper.js';
import { tenantFromRow } from '../tenants/tenant-row.js';
import {
  comparedFieldsFor,
  legacyRoundTrip,
  tenantDifferences,
  tenantOf,
} from './self-test-checks.js';
import type { TestLog } from './self-test-log.js';
import { LISTED, type LiveSample } from './process-test.js';
import { SelfTestPostgresRepository } from './self-test-postgres.repository.js';

/**
 * Test 3, backward compatibility verification: the sampled live values survive the mapping for
 * legacy readers (`toLegacyValue` gives the emoji and createdAt they read today), and the
 * sampled tenants already in PostgreSQL read back (the resolver's SELECT) as their Redis value maps.
 */
@Injectable()
export class CompatibilityTest {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly sessions: PostgresSessionFactory,
    private readonly validator: TenantValidator,
    private readonly postgres: SelfTestPostgresRepository,
  ) {}

  async run(log: TestLog, sample: LiveSample): Promise<void> {
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
    await this.compareWithPostgres(log, sample);
  }

  /** The tenants already in PostgreSQL, read with the resolver's own SELECT and mapping. */
  private async compareWithPostgres(log: TestLog, sample: LiveSample): Promise<void> {
    const { candidates } = sample.prepared;
    const rows = await this.sessions.withReadOnlySession((client) =>
      this.postgres.tenantRows(
        client,
        candidates.map((c) => c.record.subdomain),
      ),
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
