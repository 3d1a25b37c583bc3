import type { AuditEntry, FieldDifference } from '../api-types';
import { text } from '../format';
import { TableBox, Time } from './common';

/** Parameters or an outcome as "name: value" pairs, never as markup. */
export const Pairs = ({ value }: { value: Record<string, unknown> }) => {
  const entries = Object.entries(value);
  if (entries.length === 0) return <span class="muted">–</span>;
  return (
    <ul class="plain pairs">
      {entries.map(([name, v]) => (
        <li key={name}>
          <span class="muted">{name}:</span> {text(v)}
        </li>
      ))}
    </ul>
  );
};

/** Audit entries: when, who, what, how it ended, with its parameters and outcome. */
export const AuditTable = ({ entries, label }: { entries: AuditEntry[]; label: string }) => (
  <TableBox label={label}>
    <thead>
      <tr>
        <th scope="col">When</th>
        <th scope="col">Who</th>
        <th scope="col">Action</th>
        <th scope="col">Status</th>
        <th scope="col">Parameters</th>
        <th scope="col">Outcome</th>
      </tr>
    </thead>
    <tbody>
      {entries.map((e) => (
        <tr key={e.id}>
          <td>
            <Time at={e.at} />
          </td>
          <td>{e.actor ?? '–'}</td>
          <td>{e.action}</td>
          <td>{e.status}</td>
          <td>
            <Pairs value={e.params} />
          </td>
          <td>
            <Pairs value={e.outcome} />
          </td>
        </tr>
      ))}
    </tbody>
  </TableBox>
);

/** The fields that differ, side by side (Redis | PostgreSQL); the side that changed is marked. */
export const FieldsTable = ({
  fields,
  label,
  changedInRedis = false,
  changedInPostgres = false,
}: {
  fields: FieldDifference[];
  label: string;
  changedInRedis?: boolean | null;
  changedInPostgres?: boolean | null;
}) => (
  <TableBox label={label}>
    <thead>
      <tr>
        <th scope="col">Field</th>
        <th scope="col">Redis{changedInRedis ? ' (changed)' : ''}</th>
        <th scope="col">PostgreSQL{changedInPostgres ? ' (changed)' : ''}</th>
      </tr>
    </thead>
    <tbody>
      {fields.map((f) => (
        <tr key={f.field} data-field={f.field}>
          <th scope="row">
            <code>{f.field}</code>
          </th>
          <td class={changedInRedis ? 'changed' : undefined}>{text(f.redis)}</td>
          <td class={changedInPostgres ? 'changed' : undefined}>{text(f.postgres)}</td>
        </tr>
      ))}
    </tbody>
  </TableBox>
);
