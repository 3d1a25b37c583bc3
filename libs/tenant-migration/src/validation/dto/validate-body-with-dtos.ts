import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { OutcomeReason } from '../../common/outcome-reason.js';
import type { TenantBodyValues } from '../../tenants/tenant-mapper.js';
import { unknownField } from '../reasons.js';
import { detectSourceFormat, type FieldContext, sortReasons } from '../tenant-fields.js';
import type { BodyVerdict } from '../validate-body.js';
import { beginDtoRun } from './tenant-field.decorator.js';
import { TenantEnhancedDto } from './tenant-enhanced.dto.js';
import { TenantLegacyDto } from './tenant-legacy.dto.js';

/** Keys class-transformer drops silently; reported here so nothing vanishes unreported. */
const DROPPED_BY_TRANSFORMER = ['__proto__', 'constructor'];

/**
 * The same validation as `validateBody`, through the DTOs: `plainToInstance` +
 * `validateSync` with `forbidNonWhitelisted` (unknown keys become `unknown-field`). The
 * rules see the parsed source values, not class-transformer's copies. Measured at ~13 µs
 * (legacy) and ~45 µs (enhanced) a body against ~0.5 µs and ~9 µs for `validateBody`, so the
 * migration uses the fast path; a spec holds both to equal verdicts on a table of bodies.
 */
export function validateBodyWithDtos(
  body: Readonly<Record<string, unknown>>,
  ctx: FieldContext,
): BodyVerdict {
  const format = detectSourceFormat(body);
  const dtoClass = format === 'legacy' ? TenantLegacyDto : TenantEnhancedDto;
  const instance: object = plainToInstance(dtoClass, body);
  const run = beginDtoRun(instance, body, ctx);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
  });
  const reasons: OutcomeReason[] = DROPPED_BY_TRANSFORMER.filter((key) =>
    Object.hasOwn(body, key),
  ).map(unknownField);
  for (const error of errors) {
    if (error.constraints?.whitelistValidation !== undefined)
      reasons.push(unknownField(error.property));
    const outcome = run.outcomes.get(error.property);
    if (outcome !== undefined && !outcome.ok) reasons.push(...outcome.reasons);
  }
  if (reasons.length > 0) return { ok: false, format, reasons: sortReasons(reasons) };
  const values: Record<string, unknown> = {};
  const notes: OutcomeReason[] = [];
  for (const [name, outcome] of run.outcomes) {
    if (!outcome.ok || !Object.hasOwn(body, name)) continue;
    values[name] = outcome.value;
    notes.push(...outcome.notes);
  }
  return {
    ok: true,
    format,
    values: values as unknown as TenantBodyValues,
    notes: sortReasons(notes),
  };
}
