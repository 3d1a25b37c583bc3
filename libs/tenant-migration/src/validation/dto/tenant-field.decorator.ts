import {
  registerDecorator,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import type { RuleOutcome } from '../rules/rule-outcome.js';
import { normalizeSubdomain } from '../rules/subdomain.rule.js';
import { type FieldContext, type FieldSpec, runField, specOf } from '../tenant-fields.js';
import { DEFAULT_VALIDATION_SETTINGS } from '../validation.types.js';

/** One class-validator run over one DTO instance: its context, its source and each field's outcome. */
export interface DtoRun {
  readonly ctx: FieldContext;
  /** The parsed JSON the instance was made from (rules see it, not class-transformer's copies). */
  readonly source: Readonly<Record<string, unknown>>;
  readonly outcomes: Map<string, RuleOutcome<unknown>>;
}

const runs = new WeakMap<object, DtoRun>();

/** Registers the context and source of an instance before `validateSync` runs over it. */
export function beginDtoRun(
  instance: object,
  source: Readonly<Record<string, unknown>>,
  ctx: FieldContext,
): DtoRun {
  const run: DtoRun = { ctx, source, outcomes: new Map() };
  runs.set(instance, run);
  return run;
}

/**
 * The run of an instance; for a DTO validated outside `validateBodyWithDtos` (e.g. by a Nest
 * `ValidationPipe`) a run with the default settings and the instance itself as source.
 */
function runOf(instance: object): DtoRun {
  let run = runs.get(instance);
  if (run === undefined) {
    const source = instance as Record<string, unknown>;
    const subdomain =
      typeof source.subdomain === 'string' ? normalizeSubdomain(source.subdomain) : '';
    run = beginDtoRun(instance, source, {
      createdAtRange: DEFAULT_VALIDATION_SETTINGS.createdAtRange,
      defaultPhoneRegion: DEFAULT_VALIDATION_SETTINGS.defaultPhoneRegion,
      keySubdomain: subdomain,
    });
  }
  return run;
}

/** Runs the field's rule from `TENANT_FIELD_SPECS` and records its outcome on the run. */
@ValidatorConstraint({ name: 'tenantField', async: false })
export class TenantFieldConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const spec = args.constraints[0] as FieldSpec;
    const run = runOf(args.object);
    const outcome = runField(spec, run.source[spec.name], run.source, run.ctx);
    run.outcomes.set(spec.name, outcome);
    return outcome.ok;
  }

  defaultMessage(args: ValidationArguments): string {
    const outcome = runs.get(args.object)?.outcomes.get(args.property);
    return outcome !== undefined && !outcome.ok
      ? outcome.reasons.map((r) => r.message).join('; ')
      : `${args.property} is invalid`;
  }
}

/**
 * Binds a DTO property to the rule of the tenant field of the same name, so the DTOs and the
 * fast path share one definition of every rule. Throws at class definition for unknown names.
 */
export function TenantField(): PropertyDecorator {
  return (target: object, propertyKey: string | symbol) => {
    const spec = specOf(String(propertyKey));
    registerDecorator({
      name: 'tenantField',
      target: target.constructor,
      propertyName: spec.name,
      constraints: [spec],
      validator: TenantFieldConstraint,
    });
  };
}
