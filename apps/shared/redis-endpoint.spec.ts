import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateEnvironment } from './environment.js';
import { resolveRedisEndpoint } from './redis-endpoint.js';

describe('resolveRedisEndpoint', () => {
  const cases: [
    label: string,
    env: Parameters<typeof resolveRedisEndpoint>[0],
    expected: ReturnType<typeof resolveRedisEndpoint>,
  ][] = [
    [
      'REDIS_URL alone',
      { REDIS_URL: 'redis://cache:6379/2' },
      { url: 'redis://cache:6379/2', source: 'REDIS_URL' },
    ],
    [
      'REDIS_URL wins over Upstash',
      {
        REDIS_URL: 'rediss://default:pw@cache:6380',
        UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io',
        UPSTASH_REDIS_REST_TOKEN: 'tok',
      },
      { url: 'rediss://default:pw@cache:6380', source: 'REDIS_URL' },
    ],
    [
      'Upstash REST URL and token',
      {
        UPSTASH_REDIS_REST_URL: 'https://eu1-able-fox-12345.upstash.io',
        UPSTASH_REDIS_REST_TOKEN: 'AX12tok',
      },
      { url: 'rediss://default:AX12tok@eu1-able-fox-12345.upstash.io:6379', source: 'UPSTASH' },
    ],
    [
      'Upstash with a port and path on the REST URL (the host only is kept)',
      {
        UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io:443/v1/',
        UPSTASH_REDIS_REST_TOKEN: 'AX12tok',
      },
      { url: 'rediss://default:AX12tok@eu1.upstash.io:6379', source: 'UPSTASH' },
    ],
    [
      'an Upstash token with URL-reserved characters is encoded',
      { UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'a/b+c=@:' },
      { url: 'rediss://default:a%2Fb%2Bc%3D%40%3A@eu1.upstash.io:6379', source: 'UPSTASH' },
    ],
    ['neither: local Redis', {}, { url: 'redis://127.0.0.1:6379', source: 'default' }],
    [
      'an empty REDIS_URL counts as unset',
      { REDIS_URL: '' },
      { url: 'redis://127.0.0.1:6379', source: 'default' },
    ],
  ];
  for (const [label, env, expected] of cases) {
    it(label, () => {
      assert.deepEqual(resolveRedisEndpoint(env), expected);
    });
  }

  it('the derived URL round-trips the token through URL parsing', () => {
    const token = 'a/b+c=@:';
    const { url } = resolveRedisEndpoint({
      UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: token,
    });
    const parsed = new URL(url);
    assert.equal(parsed.protocol, 'rediss:');
    assert.equal(parsed.username, 'default');
    assert.equal(decodeURIComponent(parsed.password), token);
    assert.equal(parsed.hostname, 'eu1.upstash.io');
    assert.equal(parsed.port, '6379');
  });

  it('works on what validateEnvironment returns', () => {
    const env = validateEnvironment({
      UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'AX12tok',
    });
    assert.deepEqual(resolveRedisEndpoint(env), {
      url: 'rediss://default:AX12tok@eu1.upstash.io:6379',
      source: 'UPSTASH',
    });
  });
});
