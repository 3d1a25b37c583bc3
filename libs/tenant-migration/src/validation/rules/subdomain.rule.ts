import type { OutcomeReason } from '../../common/outcome-reason.js';
import { invalidType, NO_REASONS, preview, reason } from '../reasons.js';
import { accept, reject, type RuleOutcome } from './rule-outcome.js';

/** RFC 1035 label limit. */
export const SUBDOMAIN_MAX_LENGTH = 63;

const CANONICAL = /^[a-z0-9-]+$/;
const INVALID_CHAR = /[^a-z0-9-]/;
/** Above this the input is not normalized at all: it cannot become a 63-character label. */
const NORMALIZE_LIMIT = 1024;

/**
 * The canonical form of a subdomain: Unicode NFKC (so full-width `ｓｈｏｐ` becomes `shop`),
 * then trimmed, then lower-cased (locale-independent). Already-canonical names are returned
 * as they are, without allocating. The result is not necessarily valid: see `checkSubdomain`.
 */
export function normalizeSubdomain(raw: string): string {
  if (CANONICAL.test(raw)) return raw;
  if (raw.length > NORMALIZE_LIMIT) return raw;
  return raw.normalize('NFKC').trim().toLowerCase();
}

/**
 * Every reason a normalized name is not a tenant subdomain. A tenant subdomain is one DNS
 * label of `a-z`, `0-9` and `-`, 1 to 63 characters, not starting or ending with a hyphen,
 * not reserved, and without hyphens in positions 3-4. The last rule also rejects `xn--`
 * (punycode) labels, deliberately: tenant names are ASCII, and an IDN label would need
 * homograph checks this system does not do. `--` elsewhere (`shop--one`) is a valid label.
 */
export function checkSubdomain(
  name: string,
  reserved: ReadonlySet<string> | readonly string[],
  field = 'subdomain',
): readonly OutcomeReason[] {
  if (name.length === 0) return [reason('subdomain-empty', 'the subdomain is empty', field)];
  if (name.length <= SUBDOMAIN_MAX_LENGTH && CANONICAL.test(name) && name.charCodeAt(0) !== 45) {
    // the common case: only the last three rules can still fail
    if (
      name.charCodeAt(name.length - 1) !== 45 &&
      !(name.charCodeAt(2) === 45 && name.charCodeAt(3) === 45)
    ) {
      return isReserved(name, reserved) ? [reservedReason(name, field)] : NO_REASONS;
    }
  }
  const reasons: OutcomeReason[] = [];
  if (name.length > SUBDOMAIN_MAX_LENGTH) {
    reasons.push(
      reason(
        'subdomain-too-long',
        `the subdomain has ${name.length} characters; at most ${SUBDOMAIN_MAX_LENGTH} are allowed`,
        field,
      ),
    );
  }
  if (INVALID_CHAR.test(name)) {
    reasons.push(
      reason('subdomain-invalid-chars', 'the subdomain may contain only a-z, 0-9 and "-"', field),
    );
  }
  if (name.startsWith('-') || name.endsWith('-')) {
    reasons.push(
      reason('subdomain-hyphen-edge', 'the subdomain may not start or end with "-"', field),
    );
  }
  if (name.length >= 4 && name[2] === '-' && name[3] === '-') {
    reasons.push(
      reason(
        'subdomain-double-hyphen',
        'the subdomain may not have "--" in positions 3-4 (reserved for IDNA, e.g. "xn--")',
        field,
      ),
    );
  }
  if (isReserved(name, reserved)) reasons.push(reservedReason(name, field));
  return reasons;
}

const isReserved = (name: string, reserved: ReadonlySet<string> | readonly string[]): boolean =>
  isSet(reserved) ? reserved.has(name) : reserved.includes(name);

const isSet = (value: ReadonlySet<string> | readonly string[]): value is ReadonlySet<string> =>
  !Array.isArray(value);

const reservedReason = (name: string, field: string): OutcomeReason =>
  reason('subdomain-reserved', `"${name}" is a reserved subdomain`, field);

/**
 * The `subdomain` an enhanced body may carry: a string naming the same tenant as its key
 * (compared after normalization of both). It never renames the tenant: the key decides.
 */
export function checkBodySubdomain(
  value: unknown,
  keySubdomain: string,
  field = 'subdomain',
): RuleOutcome<string> {
  if (typeof value !== 'string') return reject(invalidType(field, 'a string', value));
  const normalized = normalizeSubdomain(value);
  if (normalized === keySubdomain) return accept(normalized);
  return reject(
    reason(
      'subdomain-mismatch',
      `the body names subdomain ${preview(value)} but its key names "${keySubdomain}"`,
      field,
    ),
  );
}
