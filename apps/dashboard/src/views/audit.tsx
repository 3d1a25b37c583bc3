import { useState } from 'preact/hooks';
import { API } from '../api';
import type { AuditPage, SelfTestReport } from '../api-types';
import { ErrorNote, Loading, Time } from '../components/common';
import { AuditTable } from '../components/tables';
import { millis } from '../format';
import { useLatestSucceeded, useLoad, useOperation } from '../hooks';
import { OperationPanel, Pager } from './operations';

const PAGE = 25;

const SelfTest = () => {
  const run = useOperation();
  const last = useLatestSucceeded('self-test', [run.settled]);
  const shown = last.data;
  const report = shown?.result as unknown as SelfTestReport | undefined;
  return (
    <section aria-labelledby="self-test-title">
      <h2 id="self-test-title">Self-test</h2>
      <p class="muted">Read-only checks of the machinery against the live stores.</p>
      <button
        type="button"
        class="primary"
        disabled={run.busy}
        onClick={() => void run.start('self-test')}
      >
        Run self-test
      </button>
      <ErrorNote error={run.error ?? last.error} />
      {run.operation && !run.settled ? <OperationPanel run={run} /> : null}
      {report ? (
        <>
          <p role="status" class={report.passed ? 'ok' : 'warn'}>
            {report.passed ? 'Every test passed' : 'Some tests failed'},{' '}
            <Time at={shown?.finishedAt} /> in {millis(report.durationMs)}.
          </p>
          <ul class="plain tests">
            {report.tests.map((t) => (
              <li key={t.name} data-test={t.name} class={t.passed ? 'ok' : 'warn'}>
                <strong>
                  {t.passed ? 'Passed' : 'Failed'}: {t.name}
                </strong>{' '}
                <span class="muted">({millis(t.durationMs)})</span>
                <ul>
                  {t.details.map((d, i) => (
                    <li key={i}>{d}</li>
                  ))}
                  {(t.warnings ?? []).map((w, i) => (
                    <li key={`w${i}`} class="warn">
                      Warning: {w}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      ) : !last.loading && !shown ? (
        <p class="muted">No self-test has run yet.</p>
      ) : null}
    </section>
  );
};

export const AuditView = () => {
  const [offset, setOffset] = useState(0);
  const page = useLoad(
    (api, signal) => api.get<AuditPage>(`${API}/audit`, { offset, limit: PAGE }, signal),
    [offset],
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit trail</h1>
      <p class="muted">
        Every change and export, who asked, with which parameters, and how it ended.
      </p>
      <button type="button" onClick={page.reload}>
        Refresh
      </button>
      <ErrorNote error={page.error} />
      <Loading when={page.loading && !page.data} />
      {page.data ? (
        <>
          <AuditTable entries={page.data.entries} label="Audit entries" />
          <Pager offset={offset} total={page.data.total} size={PAGE} onOffset={setOffset} />
        </>
      ) : null}
      <SelfTest />
    </section>
  );
};
