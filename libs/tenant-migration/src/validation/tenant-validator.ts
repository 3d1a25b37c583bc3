import { Inject, Injectable } from '@nestjs/common';
import type { CountryCode } from 'libphonenumber-js';
import type { OutcomeReason } from '../common/outcome-reason.js';
import { toTenantRecord } from '../tenants/tenant-mapper.js';
import { findDuplicateNames } from './json-duplicate-keys.js';
import { duplicateField, invalidType, isJsonObject, preview, reason } from './reasons.js';
import { assertPhoneRegion } from './rules/phone.rule.js';
import { checkSubdomain, normalizeSubdomain } from './rules/subdomain.rule.js';
import { type FieldContext, sortReasons } from './tenant-fields.js';
import { validateBody } from './validate-body.js';
import { InvalidSubdomainError } from '../errors/index.js';
import { VALIDATION_SETTINGS } from './validation.constants.js';
import type {
  SubdomainInputResult,
  TimestampRange,
  ValidationResult,
  ValidationSettings,
} from './validation.types.js';

/**
 * Validates, sanitizes and maps tenant values. `validateValue` is the hot path of a
 * migration (called once per Redis key), so everything it can prepare is prepared here:
 * the reserved set, the decoder, the settings it reads.
 */
@Injectable()
export class TenantValidator {
  private readonly reserved: ReadonlySet<string>;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly maxValueBytes: number;
  private readonly createdAtRange: TimestampRange;
  private readonly defaultPhoneRegion: CountryCode | undefined;

  constructor(@Inject(VALIDATION_SETTINGS) private readonly settings: ValidationSettings) {
    assertPhoneRegion(settings.defaultPhoneRegion);
    if (!(settings.createdAtRange.min < settings.createdAtRange.max)) {
      throw new Error('ValidationSettings.createdAtRange: min must be below max');
    }
    this.reserved = new Set(settings.reservedSubdomains.map(normalizeSubdomain));
    this.maxValueBytes = settings.maxValueBytes;
    this.createdAtRange = { min: settings.createdAtRange.min, max: settings.createdAtRange.max };
    this.defaultPhoneRegion = settings.defaultPhoneRegion;
  }

  /**
   * The verdict on one Redis value. `subdomainFromKey` is the key without its prefix; `key`
   * is used in messages only. Every problem is reported (the key's subdomain and the body's
   * fields together); a value that cannot be read (too large, not UTF-8, not JSON, not an
   * object) stops there. A member name repeated in one object is rejected (`duplicate-field`):
   * which of its values the sender meant is ambiguous. An accepted value comes back mapped,
   * with notes on what was coerced.
   */
  validateValue(key: string, subdomainFromKey: string, raw: Buffer): ValidationResult {
    const subdomain = normalizeSubdomain(subdomainFromKey);
    const keyReasons = checkSubdomain(subdomain, this.reserved);
    const text = this.decode(raw);
    if (typeof text !== 'string') return { ok: false, reasons: [...keyReasons, text] };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
      return {
        ok: false,
        reasons: [...keyReasons, reason('invalid-json', `the value is not JSON${detail}`)],
      };
    }
    if (!isJsonObject(body)) {
      return { ok: false, reasons: [...keyReasons, invalidBody(body)] };
    }
    // JSON.parse kept the last of each repeated name silently; only the text still shows them
    const duplicates = findDuplicateNames(text);
    const ctx: FieldContext = {
      createdAtRange: this.createdAtRange,
      defaultPhoneRegion: this.defaultPhoneRegion,
      keySubdomain: subdomain,
    };
    const verdict = validateBody(body, ctx);
    if (duplicates.length > 0) {
      // the body's other problems (as parsed) are reported too, in one canonical order
      const reasons = duplicates.map((d) => duplicateField(d.path, d.count));
      if (!verdict.ok) reasons.push(...verdict.reasons);
      return { ok: false, reasons: [...keyReasons, ...sortReasons(reasons)] };
    }
    if (!verdict.ok)
      return {
        ok: false,
        reasons: keyReasons.length === 0 ? verdict.reasons : [...keyReasons, ...verdict.reasons],
      };
    if (keyReasons.length > 0) return { ok: false, reasons: [...keyReasons] };
    const record = toTenantRecord(
      { subdomain, sourceFormat: verdict.format, values: verdict.values, raw },
      this.settings.defaults,
    );
    if (subdomain === subdomainFromKey) return { ok: true, record, notes: verdict.notes };
    const renamed = reason(
      'renamed-subdomain',
      `key ${preview(key)} names subdomain ${preview(subdomainFromKey)}; normalized to "${subdomain}"`,
      'subdomain',
    );
    return { ok: true, record, notes: [renamed, ...verdict.notes], renamedFrom: subdomainFromKey };
  }

  /** A subdomain typed by a user or operator: its normalized form, or every reason it is not valid. */
  validateInput(subdomain: string): SubdomainInputResult {
    if (typeof subdomain !== 'string')
      return { ok: false, reasons: [invalidType('subdomain', 'a string', subdomain)] };
    const normalized = normalizeSubdomain(subdomain);
    const reasons = checkSubdomain(normalized, this.reserved);
    return reasons.length === 0
      ? { ok: true, subdomain: normalized }
      : { ok: false, reasons: [...reasons] };
  }

  /** The normalized form of a subdomain typed by a user or operator; `InvalidSubdomainError` with every reason otherwise. */
  requireSubdomain(subdomain: string): string {
    const input = this.validateInput(subdomain);
    if (input.ok) return input.subdomain;
    throw new InvalidSubdomainError(
      `"${String(subdomain)}" is not a valid subdomain: ${input.reasons.map((r) => r.message).join('; ')}`,
      {
        reasons: input.reasons,
      },
    );
  }

  /** The decoded text, or the reason the bytes cannot be read as a value. */
  private decode(raw: Buffer): string | OutcomeReason {
    if (raw.length > this.maxValueBytes) {
      return reason(
        'value-too-large',
        `the value is ${raw.length} bytes; the limit is ${this.maxValueBytes}`,
      );
    }
    try {
      return this.decoder.decode(raw);
    } catch {
      return reason('invalid-utf8', 'the value is not valid UTF-8');
    }
  }
}

const invalidBody = (body: unknown): OutcomeReason =>
  reason(
    'not-an-object',
    `the value must be a JSON object, not ${body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`}`,
  );
