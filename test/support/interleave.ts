/**
 * Deterministic interleaving of real writers: a Redis client whose answers to chosen calls are
 * held at a gate until the test opens it. The server is real and answers at once; only when
 * the caller gets the answer is the test's to decide, so "this writer read Redis, then another
 * writer committed, then the first one wrote" happens in exactly that order every time.
 */
import type { Redis } from 'ioredis';

export class Gate {
  private reach!: () => void;
  private release!: () => void;
  /** Resolves when a held call has its answer and waits at the gate. */
  readonly reached = new Promise<void>((resolve) => (this.reach = resolve));
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  /** Lets the held call (and every later one) through. */
  open(): void {
    this.release();
  }

  /** @internal */
  async hold(): Promise<void> {
    this.reach();
    await this.opened;
  }
}

/**
 * `redis`, except that `method`'s answer to a call whose arguments satisfy `when` is held at
 * `gate` (the first such call only; later ones pass).
 */
export const holdingRedis = (
  redis: Redis,
  method: 'mgetBuffer',
  when: (args: unknown[]) => boolean,
  gate: Gate,
): Redis => {
  let held = false;
  return new Proxy(redis, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== method) return bound;
      return async (...args: unknown[]) => {
        const answer = await bound(...args);
        if (!held && when(args)) {
          held = true;
          await gate.hold();
        }
        return answer;
      };
    },
  });
};
