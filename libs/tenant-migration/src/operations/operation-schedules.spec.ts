import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../errors/index.js';
import { resolveOptions } from '../tenant-migration-options.resolve.js';
import { resolveSchedules } from './operation-schedules.js';
import type { OperationSchedule } from './operation.types.js';

/** The InvalidOptionError resolveSchedules throws for `schedules`. */
const rejectionOf = (schedules: unknown[]): InvalidOptionError => {
  try {
    resolveSchedules(schedules as OperationSchedule[]);
  } catch (error) {
    assert.ok(error instanceof InvalidOptionError, `an InvalidOptionError, got ${String(error)}`);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(schedules)}`);
};

describe('resolveSchedules', () => {
  it('has none by default, in the resolved options too', () => {
    assert.deepEqual(resolveSchedules(), []);
    assert.deepEqual(resolveOptions({}).operations.schedules, []);
  });

  it('keeps each schedule, in UTC unless a zone is given, its fields single-spaced', () => {
    assert.deepEqual(
      resolveSchedules([
        { kind: 'check', cron: ' 0  3 * * * ' },
        { kind: 'sync-pending', cron: '*/10 * * * *', tz: 'Europe/Paris' },
      ]),
      [
        { kind: 'check', cron: '0 3 * * *', tz: 'UTC' },
        { kind: 'sync-pending', cron: '*/10 * * * *', tz: 'Europe/Paris' },
      ],
    );
  });

  const rejected: [label: string, schedules: unknown[], message: RegExp, context: object][] = [
    [
      'a kind that takes parameters or holds the tenants',
      [{ kind: 'migrate', cron: '0 3 * * *' }],
      /^operations\.schedules: migrate cannot be scheduled \(only check, sync-pending\)$/,
      { kind: 'migrate' },
    ],
    [
      'two schedules of one kind',
      [
        { kind: 'check', cron: '0 3 * * *' },
        { kind: 'check', cron: '0 4 * * *' },
      ],
      /check is scheduled twice; give each kind one schedule/,
      { kind: 'check' },
    ],
    [
      'a bad cron expression, saying what is wrong with it',
      [{ kind: 'check', cron: '0 25 * * *' }],
      /the check schedule "0 25 \* \* \*" is not a five-field cron expression: the hour field's 25 is outside 0-23/,
      { kind: 'check', cron: '0 25 * * *' },
    ],
    [
      'an unknown time zone',
      [{ kind: 'sync-pending', cron: '0 3 * * *', tz: 'Mars/Olympus' }],
      /the sync-pending schedule's time zone "Mars\/Olympus" is unknown/,
      { kind: 'sync-pending', tz: 'Mars/Olympus' },
    ],
  ];
  for (const [label, schedules, message, context] of rejected)
    it(`refuses ${label}`, () => {
      const error = rejectionOf(schedules);
      assert.match(error.message, message);
      assert.deepEqual(error.context, context);
    });

  it('refuses a bad schedule when the module resolves its options', () => {
    assert.throws(
      () => resolveOptions({ operations: { schedules: [{ kind: 'check', cron: 'hourly' }] } }),
      InvalidOptionError,
    );
  });
});
