import type { TenantRecord } from '../tenants/tenant.types.js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import type { ExceptionBucket } from './migration.types.js';

/** One record staged for the merge, with the Redis key it came from. */
export interface StagedTenant {
  key: string;
  record: TenantRecord;
}

/** What one merge did: staged subdomains not in `updated` or `unwritten` were inserted. */
export interface MergeOutcome {
  updated: Set<string>;
  unwritten: Set<string>;
}

/** A key quarantined by a run. */
export interface ExceptionRow {
  /** The key name; for a name that is not UTF-8, its escaped form (see `escapedName`). */
  key: string;
  bucket: ExceptionBucket;
  reasons: OutcomeReason[];
  value?: Buffer;
  /** `key` is the escaped form of a name that is not UTF-8 (`\xNN` for each byte it cannot show). */
  escapedName?: true;
}
