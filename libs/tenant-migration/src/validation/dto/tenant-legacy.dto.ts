import { TenantField } from './tenant-field.decorator.js';

/**
 * The legacy Redis value: `{"emoji":"🍕","createdAt":1700000000000}`. `subdomain` is allowed
 * because the spec's legacy interface lists it; the key still decides the tenant's name.
 * Rules: see `TENANT_FIELD_SPECS` (each property is bound to the rule of its name).
 */
export class TenantLegacyDto {
  /** Exactly one emoji grapheme (ZWJ sequences, skin tones, flags and keycaps included). */
  @TenantField()
  emoji!: string;

  /** Epoch ms, 2000-01-01 <= t < 2100-01-01; digit strings and ISO-8601 dates are coerced. */
  @TenantField()
  createdAt!: number | string;

  /** Optional; must name the same tenant as the key. */
  @TenantField()
  subdomain?: string | null;
}
