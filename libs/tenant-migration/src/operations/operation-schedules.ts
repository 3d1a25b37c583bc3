import { cronProblem, isTimeZone } from '../common/cron-expression.js';
import { InvalidOptionError } from '../errors/index.js';
import { type OperationSchedule, SCHEDULE_KINDS, type ScheduleKind } from './operation.types.js';

const isScheduleKind = (kind: string): kind is ScheduleKind =>
  (SCHEDULE_KINDS as readonly string[]).includes(kind);

/**
 * The module's `operations.schedules`, checked: kinds that can be scheduled, one schedule per
 * kind (each has a queue of its own), five-field cron expressions that fire, and known time
 * zones (UTC when none is given). Throws InvalidOptionError naming the schedule.
 */
export const resolveSchedules = (
  schedules: readonly OperationSchedule[] = [],
): Required<OperationSchedule>[] => {
  const seen = new Set<string>();
  return schedules.map(({ kind, cron, tz = 'UTC' }) => {
    if (!isScheduleKind(kind))
      throw new InvalidOptionError(
        `operations.schedules: ${String(kind)} cannot be scheduled (only ${SCHEDULE_KINDS.join(', ')})`,
        { kind },
      );
    if (seen.has(kind))
      throw new InvalidOptionError(
        `operations.schedules: ${kind} is scheduled twice; give each kind one schedule`,
        { kind },
      );
    seen.add(kind);
    const problem = cronProblem(cron);
    if (problem !== null)
      throw new InvalidOptionError(
        `operations.schedules: the ${kind} schedule ${JSON.stringify(cron)} is not a five-field cron expression: ${problem}`,
        { kind, cron },
      );
    if (!isTimeZone(tz))
      throw new InvalidOptionError(
        `operations.schedules: the ${kind} schedule's time zone ${JSON.stringify(tz)} is unknown (an IANA name such as Europe/Paris)`,
        { kind, tz },
      );
    return { kind, cron: cron.trim().split(/\s+/).join(' '), tz };
  });
};
