import type { OutcomeReason } from '../common/outcome-reason.js';
import type { SourceFormat } from '../tenants/tenant.types.js';
import type { TenantBodyValues } from '../tenants/tenant-mapper.js';
import { missingField, unknownField } from './reasons.js';
import {
  FIELD_SPECS,
  type FieldContext,
  LEGACY_FIELD_NAMES,
  REQUIRED_FIELDS,
  runField,
  sortReasons,
} from './tenant-fields.js';

/** The verdict on a parsed body, before mapping. Reasons and notes are in canonical order. */
export type BodyVerdict =
  | { ok: true; format: SourceFormat; values: TenantBodyValues; notes: OutcomeReason[] }
  | { ok: false; format: SourceFormat; reasons: OutcomeReason[] };

/**
 * Validates a parsed JSON object against the tenant formats: one pass over its keys, each
 * known key through its rule from `TENANT_FIELD_SPECS`, unknown keys rejected, then the
 * required fields checked. This is the hot path, and the one validation of a tenant body:
 * migrated values, resolver fallbacks and `TenantService` writes all go through it.
 */
export function validateBody(
  body: Readonly<Record<string, unknown>>,
  ctx: FieldContext,
): BodyVerdict {
  let reasons: OutcomeReason[] | undefined;
  let notes: OutcomeReason[] | undefined;
  let format: SourceFormat = 'legacy';
  const values: Record<string, unknown> = {};
  for (const key in body) {
    if (!Object.hasOwn(body, key)) continue;
    if (!LEGACY_FIELD_NAMES.has(key)) format = 'enhanced';
    const spec = FIELD_SPECS.get(key);
    if (spec === undefined) {
      (reasons ??= []).push(unknownField(key));
      continue;
    }
    const outcome = runField(spec, body[key], body, ctx);
    if (!outcome.ok) (reasons ??= []).push(...outcome.reasons);
    else {
      values[key] = outcome.value;
      if (outcome.notes.length > 0) (notes ??= []).push(...outcome.notes);
    }
  }
  for (const spec of REQUIRED_FIELDS) {
    if (!Object.hasOwn(body, spec.name)) (reasons ??= []).push(missingField(spec.name));
  }
  if (reasons !== undefined) return { ok: false, format, reasons: sortReasons(reasons) };
  return {
    ok: true,
    format,
    values: values as unknown as TenantBodyValues,
    notes: notes === undefined ? [] : sortReasons(notes),
  };
}
