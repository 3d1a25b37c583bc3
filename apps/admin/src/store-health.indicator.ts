import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { HEALTH_CHECK_TIMEOUT_MS, StoreProbe, type StoreState } from './store-probe.js';

/** Why a store is down, without anything of its address or credentials. */
const DOWN_MESSAGE = `unreachable, or no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`;

/**
 * The stores as terminus indicators of `/health/ready`: the same bounded round trips as
 * `/health` (StoreProbe), so both routes agree on whether a store is up.
 */
@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly stores: StoreProbe,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async postgres(): Promise<HealthIndicatorResult<'postgres'>> {
    return this.resultOf('postgres', await this.stores.postgres());
  }

  async redis(): Promise<HealthIndicatorResult<'redis'>> {
    return this.resultOf('redis', await this.stores.redis());
  }

  private resultOf<Key extends string>(key: Key, state: StoreState): HealthIndicatorResult<Key> {
    const check = this.indicators.check(key);
    return state === 'up' ? check.up() : check.down({ message: DOWN_MESSAGE });
  }
}
