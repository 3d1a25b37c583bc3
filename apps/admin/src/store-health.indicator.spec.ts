import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthIndicatorService } from '@nestjs/terminus';
import { StoreHealthIndicator } from './store-health.indicator.js';
import type { StoreProbe, StoreState } from './store-probe.js';

/** A probe that answers fixed states and counts what it was asked. */
class FakeProbe {
  asked: string[] = [];
  constructor(private readonly states: { postgres: StoreState; redis: StoreState }) {}
  postgres(): Promise<StoreState> {
    this.asked.push('postgres');
    return Promise.resolve(this.states.postgres);
  }
  redis(): Promise<StoreState> {
    this.asked.push('redis');
    return Promise.resolve(this.states.redis);
  }
}

const indicatorOver = (probe: FakeProbe) =>
  new StoreHealthIndicator(probe as unknown as StoreProbe, new HealthIndicatorService());

describe('StoreHealthIndicator', () => {
  it('reports each store up under its own key, asking only that store', async () => {
    const probe = new FakeProbe({ postgres: 'up', redis: 'up' });
    const indicator = indicatorOver(probe);
    assert.deepEqual(await indicator.postgres(), { postgres: { status: 'up' } });
    assert.deepEqual(probe.asked, ['postgres']);
    assert.deepEqual(await indicator.redis(), { redis: { status: 'up' } });
    assert.deepEqual(probe.asked, ['postgres', 'redis']);
  });

  it('reports a store that is down with the bound, and nothing of its address', async () => {
    const indicator = indicatorOver(new FakeProbe({ postgres: 'down', redis: 'down' }));
    const message = 'unreachable, or no answer within 2000 ms';
    assert.deepEqual(await indicator.postgres(), { postgres: { status: 'down', message } });
    assert.deepEqual(await indicator.redis(), { redis: { status: 'down', message } });
  });
});
