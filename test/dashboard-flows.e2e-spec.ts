/**
 * The admin dashboard driven in Debian's Chromium against the real admin app, PostgreSQL and
 * Redis, as an operator would use it: sign in, a dry run and a migration watched to 100 %, the
 * overview's counts against the stores, a rejected record found in the quarantine, a check
 * with a drifted field synced and checked clean, a pause and resume, a backup taken and
 * verified, and a cleanup previewed and confirmed. No page of it may log an error, break the
 * Content-Security-Policy or open a dialog of its own.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { useOperationsApp } from './support/operations-app.js';
import { useBrowser, type PageIncidents } from './support/browser.js';

const TOKEN = 'tm-dashboard-flows-token-0123456789';
/** Enough batches of 25 that a pause lands in the middle of a run. */
const TENANTS = 12_000;
const format = (n: number) => n.toLocaleString('en-US');

describe('the admin dashboard in a browser: the operator flows', () => {
  const stores = useOperationsApp('dashboard-flows', {
    tenants: TENANTS,
    token: TOKEN,
    emptyEachTest: false,
  });
  const browser = useBrowser(() => stores.app.getHttpServer());
  let page: Page;
  let incidents: PageIncidents;

  before(async () => {
    await stores.redis.set(`${stores.prefix}broken`, 'not json {');
    ({ page, incidents } = await browser.newPage());
  });

  after(() => {
    assert.deepEqual(incidents, { errors: [], dialogs: [], violations: [] });
  });

  const go = async (view: string) => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: view, exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: view.split(' ')[0] }).waitFor();
  };
  /** The panel of the operation this page started last, once it has settled as `status`. */
  const settled = (status = 'succeeded') =>
    page.locator(`.panel[data-status="${status}"]`).last().waitFor({ timeout: 60_000 });
  /** The id of the operation whose panel is shown last, once it is not `before`. */
  const nextOperation = async (before: string | null): Promise<string> => {
    const panel = page.locator('.panel[data-operation]').last();
    for (;;) {
      const id = await panel.getAttribute('data-operation', { timeout: 15_000 });
      if (id && id !== before) return id;
      await page.waitForTimeout(25);
    }
  };
  const shownOperation = () =>
    page
      .locator('.panel[data-operation]')
      .last()
      .getAttribute('data-operation', { timeout: 1000 })
      .catch(() => null);
  const tenantRows = async () =>
    Number((await stores.db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n);

  it('signs in with the admin token: a wrong one is refused in words, the right one stays out of the URL', async () => {
    await page.goto(`${browser.origin}/admin/`);
    await page.getByLabel('Admin token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That token was refused' }).waitFor();
    // The refusal is the one console error this page may log (the browser's note of the 401).
    assert.deepEqual(incidents.errors, [
      'console: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    incidents.errors.length = 0;
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.ok(!page.url().includes(TOKEN));
    // A reload keeps the tab signed in (sessionStorage), and nothing else holds the token.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const cookies = await page.context().cookies();
    assert.equal(cookies.length, 0);
    assert.equal(await page.evaluate('localStorage.length'), 0);
  });

  it('runs a dry run, then a migration whose bar is watched to 100 %', async () => {
    await go('Operations');
    await page.getByRole('button', { name: 'Start dry run' }).click();
    await settled();
    const dry = await page.locator('.panel .result').last().textContent();
    assert.match(
      dry ?? '',
      new RegExp(`${format(TENANTS + 1)} scanned: ${format(TENANTS)} migrated`),
    );
    assert.equal(await tenantRows(), 0, 'a dry run writes nothing');

    await page.getByLabel(/Batch size/).fill('25');
    const dryRun = await shownOperation();
    await page.getByRole('button', { name: 'Start migration' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start the migration?' });
    await dialog.getByRole('button', { name: 'Start migration' }).click();
    const migration = await nextOperation(dryRun);
    // The bar's values as the page shows them, until the operation settles.
    const seen: number[] = [];
    const panel = page.locator(`.panel[data-operation="${migration}"]`);
    for (;;) {
      const percent = await panel
        .locator('progress')
        .getAttribute('data-percent')
        .catch(() => null);
      if (percent) seen.push(Number(percent));
      if ((await panel.getAttribute('data-status')) === 'succeeded') break;
      await page.waitForTimeout(25);
    }
    await settled();
    assert.equal(await panel.locator('progress').getAttribute('data-percent'), '100');
    assert.ok(
      seen.some((p) => p > 0 && p < 100),
      `intermediate values seen: ${seen.join(',')}`,
    );
    for (let i = 1; i < seen.length; i++)
      assert.ok(seen[i] >= seen[i - 1], 'the bar never goes back');
    assert.equal(await tenantRows(), TENANTS);
  });

  it('shows on the overview the counts the stores hold', async () => {
    await go('Overview');
    const figure = (id: string) => page.locator(`[data-figure="${id}"]`).textContent();
    const pg = (
      await stores.db.query<{ total: string; legacy: string }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE source_format = 'legacy') AS legacy FROM tenants`,
      )
    ).rows[0];
    assert.equal(await figure('postgres-tenants'), format(Number(pg.total)));
    assert.equal(await figure('legacy'), format(Number(pg.legacy)));
    assert.equal(await figure('redis-keys'), format(TENANTS + 1));
    assert.equal(await figure('quarantine'), '1');
    // The runs chart is drawn, with its numbers in the table beside it.
    await page.locator('.chart canvas').first().waitFor();
    await page
      .getByRole('region', { name: 'Runs by outcome' })
      .getByText(format(TENANTS))
      .first()
      .waitFor();
  });

  it('finds a rejected record by its subdomain, with its reason and its value as text', async () => {
    await go('Quarantine');
    await page.getByLabel('Subdomain').fill('broken');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: '1 quarantined keys match' }).waitFor();
    const row = page.locator(`tr[data-key="${stores.prefix}broken"]`);
    await row.getByText('invalid-json').waitFor();
    assert.equal(await row.locator('pre.text-value').textContent(), 'not json {');
    // The export holds what the search found, one JSON document a line.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export (NDJSON)' }).click();
    const lines = (await readFile(await (await download).path(), 'utf8')).trim().split('\n');
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { key: string }).key),
      [`${stores.prefix}broken`],
    );
    // By reason code too; an unknown subdomain finds nothing.
    await page.getByLabel('Subdomain').fill('');
    await page.getByLabel('Reason code').fill('invalid-json');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: '1 quarantined keys match' }).waitFor();
    await page.getByLabel('Reason code').fill('');
    await page.getByLabel('Subdomain').fill('nobody-here');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('status').filter({ hasText: '0 quarantined keys match' }).waitFor();
  });

  it('runs a check, shows a drifted field side by side, syncs it in the direction it named, and checks clean', async () => {
    // The operator fixes the broken record's source, then an app edits a tenant in PostgreSQL.
    await stores.redis.del(`${stores.prefix}broken`);
    const edited = await stores.db.query(
      `UPDATE tenants SET emoji = '🌮', updated_at = now() WHERE subdomain = 't7'`,
    );
    assert.equal(edited.rowCount, 1);
    await go('Integrity');
    await page.getByRole('button', { name: 'Run check' }).click();
    await page.locator('[data-check="drift"]').waitFor({ timeout: 60_000 });
    const drift = page.locator('li.drift[data-subdomain="t7"]');
    await drift.getByText('PostgreSQL changed').waitFor();
    const field = drift.locator('tr[data-field="emoji"]');
    assert.deepEqual(await field.locator('td').allTextContents(), ['🍕', '🌮']);

    await drift.getByRole('button', { name: 'Sync t7…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Sync t7: PostgreSQL → Redis' }).waitFor();
    assert.match((await dialog.textContent()) ?? '', /write the Redis key/);
    await dialog.getByRole('button', { name: 'Sync PostgreSQL → Redis' }).click();
    await drift.getByRole('status').filter({ hasText: 'Synced PostgreSQL → Redis' }).waitFor();
    const value = JSON.parse((await stores.redis.get(`${stores.prefix}t7`)) ?? '{}') as {
      emoji?: string;
    };
    assert.equal(value.emoji, '🌮');

    await page.getByRole('button', { name: 'Run check' }).click();
    await page.locator('[data-check="consistent"]').waitFor({ timeout: 60_000 });
    await page.getByText('The stores are consistent.').waitFor();
  });

  it('pauses a running migration and resumes it to the end', async () => {
    await go('Operations');
    await page.getByLabel(/Batch size/).fill('25');
    await page.getByRole('button', { name: 'Start migration' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start migration' }).click();
    const panel = page.locator(`.panel[data-operation="${await nextOperation(null)}"]`);
    await panel.locator('progress:not([data-percent=""]):not([data-percent="0"])').waitFor();
    await panel.getByRole('button', { name: 'Pause' }).click();
    await settled('paused');
    // While it holds the tenants, a second migration cannot be started.
    await page.locator('button.primary:disabled', { hasText: 'Start migration' }).waitFor();
    await panel.getByRole('button', { name: 'Resume' }).click();
    await settled();
    assert.match(
      (await panel.locator('.result').textContent()) ?? '',
      new RegExp(`${format(TENANTS)} scanned`),
    );
    const runs = await stores.db.query<{ status: string }>(
      `SELECT status FROM tenant_operations WHERE kind = 'migrate' ORDER BY created_at DESC LIMIT 1`,
    );
    assert.equal(runs.rows[0].status, 'succeeded');
  });

  it('takes a Redis backup and verifies it', async () => {
    await go('Backups & cleanup');
    await page.getByRole('button', { name: 'Back up Redis' }).click();
    await settled();
    const row = page.locator('tr[data-backup]').first();
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', new RegExp(format(TENANTS)));
    await row.getByRole('button', { name: /^Verify backup/ }).click();
    await page
      .locator('[data-verify] .panel[data-status="succeeded"]')
      .waitFor({ timeout: 60_000 });
    assert.match(
      (await page.locator('[data-verify] .result').textContent()) ?? '',
      new RegExp(`Verified: ${format(TENANTS)} entries, checksum matches`),
    );
  });

  it('previews a cleanup, then confirms one that states how many keys go and which backup protects them', async () => {
    await page.getByRole('button', { name: 'Preview cleanup' }).click();
    const preview = page.locator('[data-cleanup-preview]');
    await preview.waitFor({ timeout: 60_000 });
    assert.equal(await stores.redis.exists(`${stores.prefix}t1`), 1, 'a preview deletes nothing');
    await preview.getByRole('button', { name: `Delete ${format(TENANTS)} keys…` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${format(TENANTS)} keys from Redis?` });
    const backupId =
      (await page.locator('tr[data-backup]').first().getAttribute('data-backup')) ?? '';
    assert.match((await dialog.textContent()) ?? '', new RegExp(`Backup ${backupId.slice(0, 8)}`));
    await dialog.getByRole('button', { name: `Delete ${format(TENANTS)} keys` }).click();
    await page
      .locator('.panel[data-status="succeeded"] .result')
      .filter({ hasText: 'Deleted' })
      .waitFor({ timeout: 60_000 });
    assert.equal(await stores.redis.exists(`${stores.prefix}t1`), 0);
    assert.equal(await tenantRows(), TENANTS, 'PostgreSQL keeps every tenant');
  });

  it('restores the backup: a dry run first, then a confirmation that names what it writes and where', async () => {
    const row = page.locator('tr[data-backup]').first();
    await row.getByRole('button', { name: /^Restore backup/ }).click();
    await page.getByRole('button', { name: 'Dry run of the restore' }).click();
    await page
      .getByText(`${format(TENANTS)} keys would be written`, { exact: false })
      .waitFor({ timeout: 60_000 });
    assert.equal(await stores.redis.exists(`${stores.prefix}t1`), 0, 'a dry run writes nothing');
    await page.getByRole('button', { name: 'Restore…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /^Restore backup/ });
    assert.match(
      (await dialog.textContent()) ?? '',
      new RegExp(`This writes ${format(TENANTS)} keys to the configured Redis`),
    );
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await page
      .locator('.panel[data-status="succeeded"] .result')
      .filter({ hasText: `Restored ${format(TENANTS)} of ${format(TENANTS)} entries` })
      .waitFor({ timeout: 60_000 });
    assert.equal(await stores.redis.exists(`${stores.prefix}t1`), 1);
    // The backup was taken after the sync: the synced value comes back.
    const restored = JSON.parse((await stores.redis.get(`${stores.prefix}t7`)) ?? '{}') as {
      emoji?: string;
    };
    assert.equal(restored.emoji, '🌮');
  });
});
