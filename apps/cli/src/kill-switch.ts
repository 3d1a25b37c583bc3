/**
 * `TENANT_MIGRATE_KILL_AT`, a testing aid: the process SIGKILLs itself when the migration
 * reaches the given stage, exactly as an operator's `kill -9` at that point would (no cleanup,
 * no output, the run left open). The crash tests use it to stop at an exact point.
 */
import type { MigrationRequest } from '#tenant-migration';
import { killPointFrom } from '../../shared/environment-rules.js';

/**
 * The engine's `onStage` callback for the configured kill point, or undefined when unset. The
 * variable was validated at start-up (main.ts); it is read here so the commands' constructors
 * stay as they are.
 */
export const killSwitch = (
  value = process.env.TENANT_MIGRATE_KILL_AT,
): MigrationRequest['onStage'] => {
  const point = killPointFrom(value);
  if (!point) return undefined;
  return (stage, batch) => {
    if (stage === point.stage && (point.batch === null || batch === point.batch))
      process.kill(process.pid, 'SIGKILL');
  };
};
