import { useEffect, useState } from 'preact/hooks';
import { ACTIONS, withQuery } from '../api';
import type { ExceptionPage, QuarantinedKey, RecordedRun } from '../api-types';
import { ErrorNote, Loading, TableBox, Time } from '../components/common';
import { bytes, count, preview } from '../format';
import { useApi, useLoad } from '../hooks';
import { Pager } from './operations';

const PAGE = 25;

/** The stored start of a quarantined value: as text when it is UTF-8, and as hex when not. */
const ValuePreview = ({ entry }: { entry: QuarantinedKey }) => {
  const shown = preview(entry.valuePrefixBase64);
  if (!shown) return <span class="muted">not kept</span>;
  return (
    <div class="value">
      {shown.text !== null ? (
        <pre class="text-value">{shown.text}</pre>
      ) : (
        <>
          <span class="muted">not UTF-8; hex:</span>
          <pre class="hex-value">{shown.hex}</pre>
        </>
      )}
      {entry.valueSize !== null ? <span class="muted">{bytes(entry.valueSize)} in all</span> : null}
    </div>
  );
};

export const QuarantineView = () => {
  const api = useApi();
  const runs = useLoad(
    (client, signal) => client.get<{ runs: RecordedRun[] }>(ACTIONS, { action: 'runs' }, signal),
    [],
  );
  const [runId, setRunId] = useState('');
  const [bucket, setBucket] = useState('');
  const [subdomain, setSubdomain] = useState('');
  const [reason, setReason] = useState('');
  const [applied, setApplied] = useState({ subdomain: '', reason: '' });
  const [offset, setOffset] = useState(0);
  const [exportError, setExportError] = useState<Error | null>(null);
  const migrationRuns = runs.data?.runs ?? [];
  useEffect(() => {
    if (runId === '' && migrationRuns.length > 0) setRunId(migrationRuns[0].id);
  }, [runs.data]);
  const filters = {
    bucket: bucket || undefined,
    subdomain: applied.subdomain || undefined,
    reason: applied.reason || undefined,
  };
  const page = useLoad(
    (client, signal) =>
      runId === ''
        ? Promise.resolve(null)
        : client.get<ExceptionPage>(
            `${ACTIONS}/runs/${runId}/exceptions`,
            { ...filters, offset, limit: PAGE },
            signal,
          ),
    [runId, bucket, applied.subdomain, applied.reason, offset],
  );
  const exportAll = async () => {
    setExportError(null);
    try {
      const response = await api.request(
        withQuery(`${ACTIONS}/runs/${runId}/exceptions/export`, filters),
        { headers: { Accept: 'application/x-ndjson' } },
      );
      const blob = await response.blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `quarantine-${runId}.ndjson`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (failure) {
      setExportError(failure as Error);
    }
  };
  return (
    <section aria-labelledby="quarantine-title">
      <h1 id="quarantine-title">Quarantine</h1>
      <p class="muted">
        Every key a run rejected or skipped, with its reasons. Nothing here was dropped: fix the
        value in Redis and migrate again.
      </p>
      <ErrorNote error={runs.error} />
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setOffset(0);
          setApplied({ subdomain: subdomain.trim(), reason: reason.trim() });
        }}
      >
        <label>
          Run{' '}
          <select value={runId} onChange={(e) => (setRunId(e.currentTarget.value), setOffset(0))}>
            {migrationRuns.map((run) => (
              <option key={run.id} value={run.id}>
                {run.kind} {new Date(run.startedAt).toLocaleString()} · {run.status} ·{' '}
                {count(run.counts.rejected + run.counts.skipped)} quarantined
              </option>
            ))}
          </select>
        </label>
        <label>
          Bucket{' '}
          <select value={bucket} onChange={(e) => (setBucket(e.currentTarget.value), setOffset(0))}>
            <option value="">both</option>
            <option value="rejected">rejected</option>
            <option value="skipped">skipped</option>
          </select>
        </label>
        <label>
          Subdomain <input value={subdomain} onInput={(e) => setSubdomain(e.currentTarget.value)} />
        </label>
        <label>
          Reason code{' '}
          <input
            value={reason}
            placeholder="e.g. invalid-json"
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary">
          Search
        </button>
        <button type="button" disabled={runId === ''} onClick={() => void exportAll()}>
          Export (NDJSON)
        </button>
      </form>
      <ErrorNote error={exportError} />
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {runs.data && migrationRuns.length === 0 ? <p class="muted">No run yet.</p> : null}
      {page.data ? (
        <>
          <p role="status">{count(page.data.total)} quarantined keys match.</p>
          <TableBox label="Quarantined keys">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Bucket</th>
                <th scope="col">Reasons</th>
                <th scope="col">Value</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {page.data.exceptions.map((entry) => (
                <tr key={entry.id} data-key={entry.key}>
                  <td>
                    <code>{entry.key}</code>
                  </td>
                  <td>{entry.bucket}</td>
                  <td>
                    <ul class="plain">
                      {entry.reasons.map((r, i) => (
                        <li key={i}>
                          <code>{r.code}</code>
                          {r.field ? ` (${r.field})` : ''}: {r.message}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <ValuePreview entry={entry} />
                  </td>
                  <td>
                    <Time at={entry.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </TableBox>
          <Pager offset={offset} total={page.data.total} size={PAGE} onOffset={setOffset} />
        </>
      ) : null}
    </section>
  );
};
