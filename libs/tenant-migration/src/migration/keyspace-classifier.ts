import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from '../tenant-migration-options.interface.js';
import { FINGERPRINT_BYTES } from '../common/seen-key-set.js';
import { RedisKeyspaceReader } from '../source/redis-keyspace.reader.js';
import type { KeyspaceBatch } from '../source/keyspace-entry.js';
import { preview } from '../validation/reasons.js';
import type { ScanState } from './scan-state.js';
import { TenantValidator } from '../validation/tenant-validator.js';
import { TenantMergeRepository } from './tenant-merge.repository.js';
import { type ExceptionRow, type StagedTenant } from './tenant-merge.types.js';
import { PostgresSessionFactory } from '../database/postgres-session.factory.js';
import type { OutcomeReason } from '../common/outcome-reason.js';

/** A record that passed validation and waits for the merge decision. */
export interface Candidate extends StagedTenant {
  notes: OutcomeReason[];
}

export interface PreparedBatch {
  /** The resume point after this batch (see KeyspaceBatch). */
  cursor: string;
  server: string | null;
  /** The write fence taken before the batch's values were read, if one was. */
  fence: string | null;
  /** Keys accounted for by this batch: each one exactly once in `candidates` or `exceptions`. */
  scanned: number;
  /** Keys SCAN listed again that this scan had already accounted for: passed over, not counted. */
  repeated: number;
  candidates: Candidate[];
  exceptions: ExceptionRow[];
  /** The keyed fingerprints of the accounted keys (with a scan state), for an exact resume. */
  fingerprints: Buffer;
}

/** A batch to classify: a reader's batch, or just entries for a one-off lookup. */
export type ClassifyInput = Pick<KeyspaceBatch, 'entries'> &
  Partial<Omit<KeyspaceBatch, 'entries'>>;

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
    private readonly sessions: PostgresSessionFactory,
    private readonly merges: TenantMergeRepository,
  ) {}

  /**
   * Classifies every entry of a batch: vanished keys, wrong types and oversized values become
   * exceptions; values are validated and mapped; a key whose name was normalised keeps the
   * normalised name only if no other key holds it. `scan` spans a whole scan: a key it already
   * accounted for is passed over (counted in `repeated`, never twice in `scanned`), and the
   * names renamed keys claimed stay claimed across batches. One-off lookups pass none.
   */
  async classify(batch: ClassifyInput, scan?: ScanState): Promise<PreparedBatch> {
    const exceptions: ExceptionRow[] = [];
    const candidates: Candidate[] = [];
    const prefixLength = this.options.keyPrefix.length;
    const fingerprints = scan
      ? Buffer.allocUnsafe(batch.entries.length * FINGERPRINT_BYTES)
      : Buffer.alloc(0);
    let accounted = 0;
    let repeated = batch.passedOver ?? 0;
    for (let i = 0; i < batch.entries.length; i++) {
      // Validation is synchronous work; yielding now and then lets the write of the previous
      // batch make progress (its next statement waits for the event loop) in the meantime.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      const entry = batch.entries[i];
      const { key } = entry;
      if (scan) {
        // An escaped name cannot be told from a UTF-8 name spelled the same way, so it is
        // remembered apart: a lone surrogate never starts a name decoded from UTF-8.
        if (!scan.seen.add(entry.kind === 'bad-name' ? `\udfff${key}` : key)) {
          repeated++;
          continue;
        }
        scan.seen.lastFingerprintInto(fingerprints, accounted * FINGERPRINT_BYTES);
      }
      accounted++;
      switch (entry.kind) {
        case 'vanished':
          exceptions.push({
            key,
            bucket: 'skipped',
            reasons: [
              { code: 'vanished', message: 'the key was deleted or expired between SCAN and GET' },
            ],
          });
          break;
        case 'wrong-type':
          exceptions.push({
            key,
            bucket: 'rejected',
            reasons: [
              { code: 'wrong-type', message: `the key holds a ${entry.type}, not a string` },
            ],
          });
          break;
        case 'bad-name':
          exceptions.push({
            key,
            bucket: 'rejected',
            escapedName: true,
            reasons: [
              {
                code: 'invalid-key-name',
                message: 'the key name is not valid UTF-8 (shown escaped)',
              },
            ],
          });
          break;
        case 'too-large':
          exceptions.push({
            key,
            bucket: 'rejected',
            reasons: [
              {
                code: 'value-too-large',
                message: `the value is ${entry.size} bytes; the limit is ${this.options.maxValueBytes}`,
              },
            ],
          });
          break;
        case 'value': {
          const result = this.validator.validateValue(key, key.slice(prefixLength), entry.value);
          if (result.ok) candidates.push({ key, record: result.record, notes: result.notes });
          else
            exceptions.push({
              key,
              bucket: 'rejected',
              reasons: result.reasons,
              value: entry.value,
            });
        }
      }
    }
    return {
      cursor: batch.cursor ?? '0',
      server: batch.server ?? null,
      fence: batch.fence ?? null,
      scanned: accounted,
      repeated,
      candidates: await this.resolveNames(candidates, exceptions, scan),
      exceptions,
      fingerprints: fingerprints.subarray(0, accounted * FINGERPRINT_BYTES),
    };
  }

  /**
   * Drops candidates whose (normalised) subdomain another key holds: the key that names it
   * exactly (in Redis now), another key of this batch, or a renamed key that claimed it
   * earlier in the scan.
   */
  private async resolveNames(
    candidates: Candidate[],
    exceptions: ExceptionRow[],
    scan: ScanState | undefined,
  ): Promise<Candidate[]> {
    const renamed = candidates.filter((c) => c.key !== this.options.keyPrefix + c.record.subdomain);
    const taken = new Map<string, string>();
    if (renamed.length > 0) {
      const exact = renamed.map((c) => this.options.keyPrefix + c.record.subdomain);
      const exists = await this.reader.exist(exact);
      // The key a tenant was migrated from keeps its name (the merge refuses any other), so
      // a renamed key whose subdomain PostgreSQL already credits to another key is a
      // conflict in this batch, whichever of the two SCAN lists first.
      const owners = scan?.consultPostgres
        ? await this.ownersOf(renamed.map((c) => c.record.subdomain))
        : new Map<string, string | null>();
      renamed.forEach((c, i) => {
        const owner = owners.get(c.record.subdomain);
        const holder = exists[i]
          ? exact[i]
          : owner != null && owner !== c.key
            ? owner
            : scan?.claim(c.record.subdomain, c.key);
        if (holder !== undefined) taken.set(c.key, holder);
      });
    }
    const claimed = new Map<string, string>();
    return candidates.filter((c) => {
      const holder = taken.get(c.key) ?? claimed.get(c.record.subdomain);
      if (holder !== undefined) {
        exceptions.push({
          key: c.key,
          bucket: 'rejected',
          reasons: [
            {
              code: 'subdomain-conflict',
              field: 'subdomain',
              message: `the normalised subdomain "${c.record.subdomain}" is held by another key (${preview(holder)})`,
            },
          ],
        });
        return false;
      }
      claimed.set(c.record.subdomain, c.key);
      return true;
    });
  }

  /** The key each subdomain's tenant was migrated from (null for a row no key owns). */
  private async ownersOf(subdomains: string[]): Promise<Map<string, string | null>> {
    const existing = await this.sessions.withSession((client) =>
      this.merges.findExisting(client, subdomains),
    );
    return new Map([...existing].map(([subdomain, state]) => [subdomain, state.sourceKey]));
  }
}
