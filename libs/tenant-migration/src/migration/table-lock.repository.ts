import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';

/** The library's advisory-lock namespace: the high 32 bits of every lock key it takes. */
export const TABLE_LOCK_SPACE = 0x746d6c6b;

/**
 * SQL for the advisory-lock key of a tenants table given by the text parameter `param`: the
 * namespace and the table's OID. The OID names the table itself, however it is written
 * (`tenants`, `public.tenants`), and two tables never share one.
 */
export const tableLockKeySql = (param: string): string =>
  `((${TABLE_LOCK_SPACE}::bigint << 32) | to_regclass(${param})::oid::bigint)`;

const LOCK_SQL = `SELECT pg_try_advisory_lock(${tableLockKeySql('$1')}) AS locked`;
const UNLOCK_SQL = `SELECT pg_advisory_unlock(${tableLockKeySql('$1')}) AS unlocked`;

/** The session-level advisory lock of a tenants table, taken and released on a given session. */
@Injectable()
export class TableLockRepository {
  /** Tries to take the lock of `table` without waiting: whether it was taken. */
  async tryLock(client: PoolClient, table: string): Promise<boolean> {
    const { rows } = await client.query<{ locked: boolean | null }>(LOCK_SQL, [table]);
    return rows[0]?.locked === true;
  }

  /** Releases the lock of `table`: whether this session held it. */
  async unlock(client: PoolClient, table: string): Promise<boolean> {
    const { rows } = await client.query<{ unlocked: boolean }>(UNLOCK_SQL, [table]);
    return rows[0]?.unlocked === true;
  }
}
