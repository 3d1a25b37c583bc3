import { useState } from 'preact/hooks';
import { ACTIONS } from '../api';
import type { Backup, CleanupResult, RestoreReport } from '../api-types';
import {
  ConfirmDialog,
  ErrorNote,
  Loading,
  TableBox,
  Time,
  CodeCounts,
} from '../components/common';
import { bytes, count, when } from '../format';
import { useActive, useLoad, useOperation } from '../hooks';
import { OperationPanel } from './operations';

const short = (id: string) => id.slice(0, 8);

/** Restore: a dry run first, then a confirmation that names what will be written where. */
const RestorePanel = ({ backup }: { backup: Backup }) => {
  const { exclusiveBusy } = useActive();
  const dry = useOperation();
  const real = useOperation();
  const [confirming, setConfirming] = useState(false);
  const kind = backup.kind === 'redis' ? 'restore' : 'restore-postgres';
  const report = dry.operation?.status === 'succeeded' ? dry.operation.result : null;
  const redisReport = backup.kind === 'redis' ? (report as unknown as RestoreReport | null) : null;
  const pgReport =
    backup.kind === 'postgres'
      ? (report as { rowsInBackup: number; rowsReplaced: number; table: string } | null)
      : null;
  return (
    <div class="panel">
      <h3>Restore backup {short(backup.id)}</h3>
      <button
        type="button"
        disabled={dry.busy}
        onClick={() => void dry.start(kind, { backup: backup.id })}
      >
        Dry run of the restore
      </button>
      <ErrorNote error={dry.error} />
      {dry.operation ? <OperationPanel run={dry} /> : null}
      {report ? (
        <>
          {redisReport ? (
            <p>
              Into {redisReport.target}: {count(redisReport.restored)} keys would be written,{' '}
              {count(redisReport.unchanged)} are already equal, {count(redisReport.conflicts)} have
              another value and stay as they are, {count(redisReport.expired)} expired.
            </p>
          ) : null}
          {pgReport ? (
            <p>
              The {pgReport.table} table's {count(pgReport.rowsReplaced)} rows would be replaced by
              the backup's {count(pgReport.rowsInBackup)}.
            </p>
          ) : null}
          <button
            type="button"
            class="danger"
            disabled={exclusiveBusy || real.busy}
            onClick={() => setConfirming(true)}
          >
            Restore…
          </button>
        </>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={`Restore backup ${short(backup.id)}?`}
          confirmLabel="Restore"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void real.start(kind, { backup: backup.id, confirm: true });
          }}
        >
          {redisReport ? (
            <p>
              This writes <strong>{count(redisReport.restored)} keys</strong> to{' '}
              <strong>{redisReport.target}</strong> from the backup of {when(backup.createdAt)}.
              Keys that exist with another value ({count(redisReport.conflicts)}) are left alone.
            </p>
          ) : (
            <p>
              This replaces <strong>every row of {pgReport?.table}</strong> (
              {count(pgReport?.rowsReplaced)} now) with the backup's{' '}
              <strong>{count(pgReport?.rowsInBackup)} rows</strong> of {when(backup.createdAt)}.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
      <ErrorNote error={real.error} />
      {real.operation ? <OperationPanel run={real} /> : null}
    </div>
  );
};

const BackupRow = ({
  backup,
  onVerify,
  onRestore,
}: {
  backup: Backup;
  onVerify: () => void;
  onRestore: () => void;
}) => (
  <tr data-backup={backup.id}>
    <td>
      <code>{short(backup.id)}</code>
    </td>
    <td>{backup.kind}</td>
    <td>
      <Time at={backup.createdAt} />
    </td>
    <td class="num">{count(backup.entryCount)}</td>
    <td class="num">{bytes(backup.totalBytes)}</td>
    <td>{backup.verifiedAt ? <Time at={backup.verifiedAt} /> : 'not yet'}</td>
    <td>
      <div class="actions">
        <button type="button" onClick={onVerify} aria-label={`Verify backup ${short(backup.id)}`}>
          Verify
        </button>
        <button type="button" onClick={onRestore} aria-label={`Restore backup ${short(backup.id)}`}>
          Restore…
        </button>
      </div>
    </td>
  </tr>
);

/** Cleanup: the preview first, then a confirmation with the count and the protecting backup. */
const Cleanup = ({ backups }: { backups: Backup[] }) => {
  const { exclusiveBusy } = useActive();
  const preview = useOperation();
  const real = useOperation();
  const [confirming, setConfirming] = useState(false);
  const result =
    preview.operation?.status === 'succeeded'
      ? (preview.operation.result as unknown as CleanupResult)
      : null;
  const protecting = result ? backups.find((b) => b.id === result.backupId) : undefined;
  return (
    <section aria-labelledby="cleanup-title">
      <h2 id="cleanup-title">Cleanup of migrated keys</h2>
      <p class="muted">
        Deletes from Redis only keys proven safe: in the newest verified backup, unchanged since,
        and equal in PostgreSQL. The preview deletes nothing.
      </p>
      <button type="button" disabled={preview.busy} onClick={() => void preview.start('cleanup')}>
        Preview cleanup
      </button>
      <ErrorNote error={preview.error} />
      {preview.operation && !result ? <OperationPanel run={preview} /> : null}
      {result ? (
        <div class="panel" data-cleanup-preview>
          <p>
            <strong>{count(result.deleted)}</strong> of {count(result.examined)} keys would be
            deleted; {count(result.kept)} kept, {count(result.alreadyGone)} already gone. Protected
            by backup <code>{short(result.backupId)}</code>.
          </p>
          <CodeCounts counts={result.keptByReason} label="Kept keys by reason" />
          {result.samples.length > 0 ? (
            <TableBox label="Cleanup preview">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {result.samples.map((s) => (
                  <tr key={s.key}>
                    <td>
                      <code>{s.key}</code>
                    </td>
                    <td>
                      {s.outcome === 'deleted' ? 'would be deleted' : `kept: ${s.reason ?? ''}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableBox>
          ) : null}
          <button
            type="button"
            class="danger"
            disabled={result.deleted === 0 || exclusiveBusy || real.busy}
            onClick={() => setConfirming(true)}
          >
            Delete {count(result.deleted)} keys…
          </button>
        </div>
      ) : null}
      {confirming && result ? (
        <ConfirmDialog
          title={`Delete ${count(result.deleted)} keys from Redis?`}
          confirmLabel={`Delete ${count(result.deleted)} keys`}
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void real.start('cleanup', { confirm: true });
          }}
        >
          <p>
            <strong>{count(result.deleted)} keys</strong> will be deleted from Redis. Backup{' '}
            <strong>
              <code>{short(result.backupId)}</code>
            </strong>
            {protecting
              ? ` of ${when(protecting.createdAt)} (${count(protecting.entryCount)} entries)`
              : ''}{' '}
            protects them: it is verified again first, and restoring it brings them back.
          </p>
        </ConfirmDialog>
      ) : null}
      <ErrorNote error={real.error} />
      {real.operation ? <OperationPanel run={real} /> : null}
    </section>
  );
};

export const BackupsView = () => {
  const take = useOperation();
  const verify = useOperation();
  // Read again whenever a backup or a verification ends.
  const list = useLoad(
    (api, signal) => api.get<{ backups: Backup[] }>(ACTIONS, { action: 'backups' }, signal),
    [take.settled, verify.settled],
  );
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const backups = list.data?.backups ?? [];
  return (
    <section aria-labelledby="backups-title">
      <h1 id="backups-title">Backups</h1>
      <div class="actions">
        <button
          type="button"
          class="primary"
          disabled={take.busy}
          onClick={() => void take.start('backup')}
        >
          Back up Redis
        </button>
        <button
          type="button"
          disabled={take.busy}
          onClick={() => void take.start('backup-postgres')}
        >
          Back up PostgreSQL
        </button>
        <button type="button" onClick={list.reload}>
          Refresh list
        </button>
      </div>
      <ErrorNote error={take.error} />
      {take.operation ? <OperationPanel run={take} /> : null}
      <ErrorNote error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && backups.length === 0 ? <p class="muted">No backup yet.</p> : null}
      {backups.length > 0 ? (
        <TableBox label="Backups">
          <thead>
            <tr>
              <th scope="col">Backup</th>
              <th scope="col">Of</th>
              <th scope="col">Taken</th>
              <th scope="col" class="num">
                Entries
              </th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Verified</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {backups.map((b) => (
              <BackupRow
                key={b.id}
                backup={b}
                onVerify={() => void verify.start('backup-verify', { backup: b.id })}
                onRestore={() => setRestoring(b)}
              />
            ))}
          </tbody>
        </TableBox>
      ) : null}
      <ErrorNote error={verify.error} />
      {verify.operation ? (
        <div data-verify>
          <h2>Verification</h2>
          <OperationPanel run={verify} />
        </div>
      ) : null}
      {restoring ? <RestorePanel key={restoring.id} backup={restoring} /> : null}
      <Cleanup backups={backups} />
    </section>
  );
};
