import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import type { SeenKeySet } from '../common/seen-key-set.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { KeyspaceBatch } from '../source/keyspace-entry.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import type { ExceptionRow, StagedTenant } from './tenant-merge.repository.js';
import type { OutcomeReason } from './migration.types.js';

/** A record that passed validation and waits for the merge decision. */
export interface Candidate extends StagedTenant {
  notes: OutcomeReason[];
}

export interface PreparedBatch {
  cursor: string;
  scanned: number;
  candidates: Candidate[];
  exceptions: ExceptionRow[];
}

const YIELD_EVERY = 200;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Turns a batch of keyspace entries into candidates (validated, mapped tenants) and
 * exceptions (skips and rejects with reasons). Shared by the migration, the validation run and
 * the integrity check, so all three judge every key the same way.
 */
@Injectable()
export class KeyspaceClassifier {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedTenantMigrationOptions,
    private readonly reader: RedisKeyspaceReader,
    private readonly validator: TenantValidator,
  ) {}

  /**
   * Classifies every entry of a batch: repeats, vanished keys, wrong types and oversized
   * values become exceptions; values are validated and mapped; a key whose name was
   * normalised keeps the normalised name only if no other key holds it. `seen` spans a scan
   * (repeats are counted apart); one-off lookups of known keys pass none.
   */
  async classify(batch: KeyspaceBatch, seen?: SeenKeySet): Promise<PreparedBatch> {
    const exceptions: ExceptionRow[] = [];
    const candidates: Candidate[] = [];
    const prefixLength = this.options.keyPrefix.length;
    for (let i = 0; i < batch.entries.length; i++) {
      // Validation is synchronous work; yielding now and then lets the write of the previous
      // batch make progress (its next statement waits for the event loop) in the meantime.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      const entry = batch.entries[i];
      const { key } = entry;
      if (seen && !seen.add(key)) {
        exceptions.push({ key, bucket: 'skipped', reasons: [{ code: 'duplicate-scan-result', message: 'SCAN returned this key again in the same run; it was processed once' }] });
        continue;
      }
      switch (entry.kind) {
        case 'vanished':
          exceptions.push({ key, bucket: 'skipped', reasons: [{ code: 'vanished', message: 'the key was deleted or expired between SCAN and GET' }] });
          break;
        case 'wrong-type':
          exceptions.push({ key, bucket: 'rejected', reasons: [{ code: 'wrong-type', message: `the key holds a ${entry.type}, not a string` }] });
          break;
        case 'bad-name':
          exceptions.push({ key, bucket: 'rejected', reasons: [{ code: 'invalid-key-name', message: 'the key name is not valid UTF-8 (shown escaped)' }] });
          break;
        case 'too-large':
          exceptions.push({ key, bucket: 'rejected', reasons: [{ code: 'value-too-large', message: `the value is ${entry.size} bytes; the limit is ${this.options.maxValueBytes}` }] });
          break;
        case 'value': {
          const result = this.validator.validateValue(key, key.slice(prefixLength), entry.value);
          if (result.ok) candidates.push({ key, record: result.record, notes: result.notes });
          else exceptions.push({ key, bucket: 'rejected', reasons: result.reasons, value: entry.value });
        }
      }
    }
    return { cursor: batch.cursor, scanned: batch.entries.length, candidates: await this.resolveNames(candidates, exceptions), exceptions };
  }

  /** Drops candidates whose (normalised) subdomain another key of Redis or of this batch holds. */
  private async resolveNames(candidates: Candidate[], exceptions: ExceptionRow[]): Promise<Candidate[]> {
    const renamed = candidates.filter((c) => c.key !== this.options.keyPrefix + c.record.subdomain);
    const taken = new Set<string>();
    if (renamed.length > 0) {
      const exists = await this.reader.exist(renamed.map((c) => this.options.keyPrefix + c.record.subdomain));
      renamed.forEach((c, i) => exists[i] && taken.add(c.key));
    }
    const claimed = new Set<string>();
    return candidates.filter((c) => {
      if (taken.has(c.key) || claimed.has(c.record.subdomain)) {
        exceptions.push({
          key: c.key,
          bucket: 'rejected',
          reasons: [{ code: 'subdomain-conflict', field: 'subdomain', message: `the normalised subdomain "${c.record.subdomain}" is held by another key` }],
        });
        return false;
      }
      claimed.add(c.record.subdomain);
      return true;
    });
  }

}
