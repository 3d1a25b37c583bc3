import { fromEpochMs } from '../migration/tenant-merge.sql.js';
import {
  COMPARED_COLUMNS,
  LEGACY_COMPARED_COLUMNS,
  type ComparedColumn,
} from '../tenants/tenant-columns.js';

/** A staged record's column (alias s) as the value of its tenants column. */
export const redisSide = (column: string, kind: ComparedColumn[2]): string =>
  kind === 'epoch-ms' ? fromEpochMs(`s.${column}`) : `s.${column}`;

const rowsDiffer = (fields: readonly ComparedColumn[]): string =>
  `ROW(${fields.map(([, c, k]) => redisSide(c, k)).join(', ')}) IS DISTINCT FROM ROW(${fields.map(([, c]) => `t.${c}`).join(', ')})`;

/**
 * SQL true when a staged record (alias s) and its tenant (alias t) differ in a field the
 * record carries: every mapped field of an enhanced record; emoji and createdAt of a legacy
 * one (a profile added in PostgreSQL has no place in a legacy record, so it is not drift).
 */
export const ROW_DIFFERS = `CASE WHEN s.source_format = 'legacy'
  THEN ${rowsDiffer(LEGACY_COMPARED_COLUMNS)}
  ELSE ${rowsDiffer(COMPARED_COLUMNS)} END`;

const FIELD_PAIRS = COMPARED_COLUMNS.map(
  ([f, c, k]) => `('${f}', to_jsonb(${redisSide(c, k)}), to_jsonb(t.${c}))`,
).join(',\n        ');

/**
 * SQL of the fields (the fields `ROW_DIFFERS` compares) in which a staged record (alias s) and
 * its tenant (alias t) differ, as a jsonb array of `{field, redis, postgres}` (a
 * `FieldDifference` each, both values as jsonb); null when none differs.
 */
export const FIELD_DIFFERENCES = `(SELECT jsonb_agg(jsonb_build_object('field', c.field, 'redis', c.r, 'postgres', c.p))
               FROM (VALUES
      ${FIELD_PAIRS}) AS c(field, r, p)
              WHERE c.r IS DISTINCT FROM c.p
                AND (s.source_format <> 'legacy' OR c.field IN (${LEGACY_COMPARED_COLUMNS.map(([f]) => `'${f}'`).join(', ')})))`;
