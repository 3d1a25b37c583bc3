/**
 * Ordering between consecutive batches written on different connections. Batch N may stage
 * its rows while N-1 is still merging, but merges only after N-1's merge and commits only
 * after N-1's commit, so checkpoints advance in order and a failed batch stops the next.
 * Later batches never hold anything an earlier one waits for, so no wait can form a cycle.
 */
export class BatchTurn {
  readonly merged = new Signal();
  readonly committed = new Signal();

  constructor(readonly previous: BatchTurn | null) {}

  /** Wakes the next batch with this batch's failure. */
  fail(error: unknown): void {
    this.merged.reject(error);
    this.committed.reject(error);
  }
}

/** A one-shot signal; its rejection is handled even if nobody waits for it. */
class Signal {
  readonly done: Promise<void>;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined);
  }

  resolve(): void {
    this.settle.resolve();
  }

  reject(error: unknown): void {
    this.settle.reject(error);
  }
}
