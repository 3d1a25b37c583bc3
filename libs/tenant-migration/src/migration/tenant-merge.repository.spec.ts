import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyValue } from '../common/copy-text.js';
import type { TenantRecord } from '../tenants/tenant.types.js';
import { enhancedRecord } from '../tenants/tenant-record.spec-fixture.js';
import type { PoolClient } from 'pg';
import { resolveOptions } from '../tenant-migration.module.js';
import { TENANT_COLUMN_TABLE } from '../tenants/tenant-columns.js';
import { TenantMergeRepository } from './tenant-merge.repository.js';
import { mergeStagedSql, stagingTableSql, tenantCopyRow } from './tenant-merge.sql.js';

/** Salon, with a tab, a backslash and a newline for COPY to escape. */
const record = (over: Partial<TenantRecord> = {}): TenantRecord =>
  enhancedRecord({
    businessName: 'Salon\tÉlise\\n',
    businessDescription: 'Cuts\nand colour',
    ...over,
  });

/** The COPY line built generically from the column table, booleans as COPY writes them. */
const generic = ({ key, record: r }: { key: string; record: TenantRecord }): string =>
  `${TENANT_COLUMN_TABLE.flatMap((c) => ('value' in c ? [c.value(r, key)] : []))
    .map((v) => copyValue(typeof v === 'boolean' ? (v ? 't' : 'f') : v))
    .join('\t')}\n`;

describe('tenant COPY line and insert parameters', () => {
  it('agree column by column, escaping included (the hand-written COPY line cannot drift)', () => {
    for (const r of [
      record(),
      record({
        brandColors: null,
        sourceId: null,
        subscription: { plan: 'basic', status: 'active', expiresAt: 1799999999000 },
      }),
    ]) {
      const staged = { key: 'subdomain:salon', record: r };
      assert.equal(tenantCopyRow(staged), generic(staged));
    }
  });
});

/** A bare table reference to a default name (not a column such as `tenants.x`, nor part of another name). */
const DEFAULT_TABLE = /(?<![\w.])(tenants|migration_exceptions)(?![\w])/;

/** A client that records the SQL it is sent and answers like an empty database. */
const recordingClient = (): { client: PoolClient; sent: string[] } => {
  const sent: string[] = [];
  const query = (sql: string) => {
    sent.push(sql);
    return Promise.resolve({ rows: [{ created: 0, updated: [], unwritten: [] }], rowCount: 0 });
  };
  return { client: { query } as unknown as PoolClient, sent };
};

describe('tenant merge SQL and the configured table names', () => {
  it('stages and merges into the table it is given (default names unchanged)', () => {
    assert.match(
      stagingTableSql('tenants', 'tenant_stage', 'DROP'),
      /CREATE TEMP TABLE tenant_stage \(LIKE tenants INCLUDING DEFAULTS\) ON COMMIT DROP;/,
    );
    const merge = mergeStagedSql('tenants', 'tenant_tombstones', 'tenant_stage', 'keep-postgres');
    assert.match(merge, /INSERT INTO tenants \(id, subdomain, /);
    assert.match(
      merge,
      /WHERE tenants\.source_hash IS DISTINCT FROM EXCLUDED\.source_hash AND tenants\.source_key = EXCLUDED\.source_key/,
    );

    const staging = stagingTableSql('tenancy.shops', 'sync_stage', 'DELETE ROWS');
    assert.match(
      staging,
      /CREATE TEMP TABLE sync_stage \(LIKE tenancy\.shops INCLUDING DEFAULTS\) ON COMMIT DELETE ROWS;/,
    );
    assert.doesNotMatch(staging, DEFAULT_TABLE);
    for (const policy of ['keep-postgres', 'overwrite', 'skip'] as const) {
      const sql = mergeStagedSql('tenancy.shops', 'tenancy.tombstones', 'sync_stage', policy);
      assert.match(sql, /INSERT INTO tenancy\.shops \(id, subdomain, /, policy);
      assert.match(sql, /FROM sync_stage s/, policy);
      assert.doesNotMatch(sql, DEFAULT_TABLE, policy);
      assert.doesNotMatch(sql, /(?<![\w.])tenants\./, policy);
    }
  });

  it('sends every statement to the configured tables', async () => {
    const merges = new TenantMergeRepository(
      resolveOptions({
        tables: {
          tenants: 'tenancy.shops',
          migrationExceptions: 'tm_exceptions',
          tenantTombstones: 'tenancy.tombstones',
        },
      }),
    );
    const { client, sent } = recordingClient();
    await merges.prepareSession(client);
    await merges.findExisting(client, ['salon']);
    await merges.mergeStaged(client, 'overwrite', '1:1:');
    await merges.mergeStaged(client, 'overwrite', '1:1:');
    await merges.insertExceptions(client, 'run', [
      { key: 'subdomain:x', bucket: 'rejected', reasons: [{ code: 'c', message: 'm' }] },
    ]);
    await merges.insertIfAbsent(
      (sql) => client.query(sql),
      { key: 'subdomain:salon', record: record() },
      '1:1:',
    );
    assert.equal(sent.length, 6);
    for (const sql of sent) assert.doesNotMatch(sql, DEFAULT_TABLE, sql);
    assert.match(sent[0], /LIKE tenancy\.shops INCLUDING DEFAULTS/);
    assert.match(sent[1], /FROM tenancy\.shops WHERE subdomain = ANY/);
    assert.match(sent[2], /INSERT INTO tenancy\.shops .*FROM tenant_stage/s);
    assert.equal(sent[3], sent[2], 'the merge statement is built once and reused');
    assert.match(sent[4], /^INSERT INTO tm_exceptions \(run_id, /);
    assert.match(
      sent[5],
      /^INSERT INTO tenancy\.shops \(id, subdomain, .*FROM tenancy\.tombstones .*ON CONFLICT DO NOTHING$/s,
    );
  });
});
