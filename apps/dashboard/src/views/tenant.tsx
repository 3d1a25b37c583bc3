import { useState } from 'preact/hooks';
import { API } from '../api';
import type { TenantLookup } from '../api-types';
import { ErrorNote, Loading, TableBox, Time } from '../components/common';
import { AuditTable, FieldsTable } from '../components/tables';
import { bytes, duration, text } from '../format';
import { useLoad } from '../hooks';
import { SyncButton } from './integrity';

const STATE_WORDS: Record<TenantLookup['state'], string> = {
  matching: 'The same in both stores',
  different: 'Differs between the stores',
  'only-in-redis': 'Only in Redis (not migrated yet)',
  'only-in-postgres': 'Only in PostgreSQL',
  'invalid-in-redis': 'In Redis, but a migration rejects it',
};

/** A record's members as a two-column table (nested values as one line of JSON text). */
const Members = ({ value, label }: { value: Record<string, unknown>; label: string }) => (
  <TableBox label={label}>
    <tbody>
      {Object.entries(value).map(([name, v]) => (
        <tr key={name}>
          <th scope="row">
            <code>{name}</code>
          </th>
          <td>{text(v)}</td>
        </tr>
      ))}
    </tbody>
  </TableBox>
);

const RedisSide = ({ tenant }: { tenant: TenantLookup }) => {
  const redis = tenant.redis;
  return (
    <section aria-labelledby="redis-side" data-side="redis">
      <h2 id="redis-side">Redis</h2>
      {!redis ? (
        <p class="muted">
          No key <code>{tenant.key}</code>
          {tenant.cleanedUp ? ': cleanup deleted it on purpose after the migration.' : '.'}
        </p>
      ) : (
        <>
          <p class="muted">
            <code>{tenant.key}</code> · {redis.type} · {bytes(redis.bytes)} ·{' '}
            {redis.ttlMs === null ? 'no TTL' : `expires in ${duration(redis.ttlMs / 1000)}`}
          </p>
          <h3>Value</h3>
          {redis.text !== null ? (
            <pre class="text-value scroll" tabIndex={0} aria-label="The Redis value">
              {redis.text}
            </pre>
          ) : redis.hexPrefix !== null ? (
            <>
              <p class="muted">Not UTF-8; its first bytes as hex:</p>
              <pre class="hex-value scroll" tabIndex={0} aria-label="The Redis value as hex">
                {redis.hexPrefix}
              </pre>
            </>
          ) : (
            <p class="muted">Not a string value.</p>
          )}
          {redis.truncated ? <p class="muted">Only its start is shown.</p> : null}
          {redis.reasons.length > 0 ? (
            <>
              <h3>Why a migration rejects it</h3>
              <ul class="plain">
                {redis.reasons.map((r, i) => (
                  <li key={i}>
                    <code>{r.code}</code>: {r.message}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {redis.mapped ? (
            <>
              <h3>As a migration maps it</h3>
              <Members value={redis.mapped} label="The Redis value as mapped" />
            </>
          ) : null}
        </>
      )}
    </section>
  );
};

const TenantDetails = ({ tenant, onSynced }: { tenant: TenantLookup; onSynced: () => void }) => (
  <div data-state={tenant.state}>
    <p role="status">
      <strong>{STATE_WORDS[tenant.state]}.</strong>{' '}
      {tenant.changedInPostgres ? 'PostgreSQL was written after the last migration. ' : ''}
      {tenant.changedInRedis ? 'The Redis value is not the one migrated. ' : ''}
    </p>
    {tenant.fields.length > 0 ? (
      <>
        <h2>Fields that differ</h2>
        <FieldsTable
          fields={tenant.fields}
          label="Fields that differ"
          changedInRedis={tenant.changedInRedis}
          changedInPostgres={tenant.changedInPostgres}
        />
      </>
    ) : null}
    {tenant.state !== 'matching' && tenant.state !== 'invalid-in-redis' ? (
      <SyncButton subdomain={tenant.subdomain} onSynced={onSynced} />
    ) : null}
    <div class="sided">
      <RedisSide tenant={tenant} />
      <section aria-labelledby="postgres-side" data-side="postgres">
        <h2 id="postgres-side">PostgreSQL</h2>
        {tenant.postgres ? (
          <Members value={tenant.postgres} label="The tenants row" />
        ) : (
          <p class="muted">No row.</p>
        )}
      </section>
    </div>
    <h2>History</h2>
    <p>
      Migrated <Time at={tenant.history.migratedAt} />, last written{' '}
      <Time at={tenant.history.updatedAt} />.
    </p>
    <h3>Quarantined by runs</h3>
    {tenant.history.exceptions.length === 0 ? (
      <p class="muted">Never.</p>
    ) : (
      <ul class="plain">
        {tenant.history.exceptions.map((e) => (
          <li key={`${e.runId}:${e.key}`}>
            <Time at={e.at} />: {e.bucket} (run <code>{e.runId.slice(0, 8)}</code>),{' '}
            {e.reasons.map((r) => r.code).join(', ')}
          </li>
        ))}
      </ul>
    )}
    <h3>Write-backs pending</h3>
    {tenant.history.writeBacks.length === 0 ? (
      <p class="muted">None.</p>
    ) : (
      <ul class="plain">
        {tenant.history.writeBacks.map((w) => (
          <li key={w.key}>
            {w.attempts} attempts since <Time at={w.firstFailedAt} />: {w.lastError}
          </li>
        ))}
      </ul>
    )}
    <h3>Audit</h3>
    {tenant.history.audit.length === 0 ? (
      <p class="muted">Nothing recorded for this tenant.</p>
    ) : (
      <AuditTable entries={tenant.history.audit} label="Audit entries of this tenant" />
    )}
  </div>
);

export const TenantView = () => {
  const [input, setInput] = useState('');
  const [subdomain, setSubdomain] = useState('');
  const [generation, setGeneration] = useState(0);
  const tenant = useLoad(
    (api, signal) =>
      subdomain === ''
        ? Promise.resolve(null)
        : api.get<TenantLookup>(`${API}/tenants/${encodeURIComponent(subdomain)}`, {}, signal),
    [subdomain, generation],
  );
  return (
    <section aria-labelledby="tenant-title">
      <h1 id="tenant-title">Tenant lookup</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setSubdomain(input.trim());
          setGeneration((n) => n + 1);
        }}
      >
        <label>
          Subdomain{' '}
          <input value={input} required onInput={(event) => setInput(event.currentTarget.value)} />
        </label>
        <button type="submit" class="primary">
          Look up
        </button>
      </form>
      <ErrorNote error={tenant.error} />
      <Loading when={tenant.loading && subdomain !== ''} />
      {tenant.data && !tenant.error ? (
        <TenantDetails
          key={`${tenant.data.subdomain}:${generation}`}
          tenant={tenant.data}
          onSynced={() => setGeneration((n) => n + 1)}
        />
      ) : null}
    </section>
  );
};
