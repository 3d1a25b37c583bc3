import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import { TENANT_REDIS, withTimeout } from '#tenant-migration';

/**
 * How long each store may take to answer. An unreachable Redis otherwise holds the ping in
 * the client's offline queue through all its reconnection attempts, and the probe times out
 * instead of getting its 503.
 */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

export type StoreState = 'up' | 'down';

const probe = (check: Promise<unknown>, store: string): Promise<StoreState> =>
  withTimeout(check, HEALTH_CHECK_TIMEOUT_MS, store).then(
    () => 'up' as const,
    () => 'down' as const,
  );

/** The stores' liveness for `/health`: one trivial round trip to each, bounded in time. */
@Injectable()
export class StoreProbe {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly client: Redis,
  ) {}

  postgres(): Promise<StoreState> {
    return probe(this.dataSource.query('SELECT 1'), 'PostgreSQL');
  }

  redis(): Promise<StoreState> {
    return probe(this.client.ping(), 'Redis');
  }
}
