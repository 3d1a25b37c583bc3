/** Fakes shared by the integrity unit specs (cleanup, sync, integrity check). */
import type { KeyspaceEntry } from '../source/keyspace-entry.js';
import type { PreparedBatch } from '../migration/keyspace-classifier.js';
import type { TableLock } from '../migration/table-lock.js';

/** A fake of a provider: the methods a test gives it (calling any other fails the test). */
export const fake = <T>(methods: Partial<T>): T => methods as T;

/** A classified batch of `entries` from cursor 0, with no candidates or exceptions yet. */
export const emptyBatch = (entries: readonly KeyspaceEntry[]): PreparedBatch => ({
  cursor: '0',
  server: null,
  fence: null,
  scanned: entries.length,
  repeated: 0,
  candidates: [],
  exceptions: [],
  fingerprints: Buffer.alloc(0),
});

/** A table lock that is always free: it records the operation, then runs the work. */
export const recordingLock = (locks: string[]): TableLock =>
  fake<TableLock>({
    hold: (operation, work) => {
      locks.push(operation);
      return work();
    },
  });
