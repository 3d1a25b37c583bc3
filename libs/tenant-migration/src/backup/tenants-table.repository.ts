import { Inject, Injectable } from '@nestjs/common';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { TENANT_TABLE_COLUMNS } from '../tenants/tenant-columns.js';
import type { BackupSource } from './backup.types.js';

/** Lines written into a running `COPY ... FROM STDIN`; `end` resolves once PostgreSQL has them all. */
export interface CopyInSink {
  write(line: string): Promise<void>;
  end(): Promise<void>;
}

/**
 * The tenants table (`tables.tenants`) as PostgreSQL backups read and restore it: COPY out and
 * in, in COPY text format, on the caller's client (and in its transaction).
 */
@Injectable()
export class TenantsTableRepository {
  readonly table: string;

  constructor(@Inject(RESOLVED_OPTIONS) options: ResolvedTenantMigrationOptions) {
    this.table = options.tables.tenants;
  }

  /** The server and database the client is connected to, without credentials. */
  async location(client: PoolClient): Promise<BackupSource> {
    const {
      rows: [where],
    } = await client.query<{ host: string | null; port: number | null; database: string }>(
      'SELECT host(inet_server_addr()) AS host, inet_server_port() AS port, current_database() AS database',
    );
    return {
      host: where.host ?? 'local socket',
      port: where.port ?? 5432,
      database: where.database,
    };
  }

  /** The number of rows in the table. */
  async count(client: PoolClient): Promise<number> {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(rows[0].n);
  }

  /** Every row (`TENANT_TABLE_COLUMNS`, ordered by subdomain) as COPY text lines, without their newline. */
  async *copyOut(client: PoolClient): AsyncGenerator<string> {
    const rows = client.query(
      copyTo(
        `COPY (SELECT ${TENANT_TABLE_COLUMNS.join(', ')} FROM ${this.table} ORDER BY subdomain) TO STDOUT`,
      ),
    );
    // Chunks are cut anywhere, even inside a character: decode across their boundaries.
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for await (const chunk of rows as AsyncIterable<Buffer>) {
      const lines = (carry + decoder.write(chunk)).split('\n');
      carry = lines.pop() ?? '';
      yield* lines;
    }
  }

  async deleteAll(client: PoolClient): Promise<void> {
    await client.query(`DELETE FROM ${this.table}`);
  }

  /** Starts a `COPY ... FROM STDIN` of `TENANT_TABLE_COLUMNS`; each write waits whenever PostgreSQL is behind. */
  copyIn(client: PoolClient): CopyInSink {
    const copy = client.query(
      copyFrom(`COPY ${this.table} (${TENANT_TABLE_COLUMNS.join(', ')}) FROM STDIN`),
    );
    const copied = new Promise<void>((resolvePromise, reject) => {
      copy.on('finish', resolvePromise);
      copy.on('error', reject);
    });
    return {
      write: async (line) => {
        if (!copy.write(`${line}\n`)) await once(copy, 'drain');
      },
      end: async () => {
        copy.end();
        await copied;
      },
    };
  }
}
