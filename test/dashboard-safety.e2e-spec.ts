/**
 * The admin dashboard's safety and usability in Debian's Chromium against the real admin app:
 * hostile values from Redis and PostgreSQL are shown as text and run nothing; the page runs
 * under a Content-Security-Policy without 'unsafe-inline' and keeps the token out of every URL
 * (the event stream authenticates with a header); axe-core finds no serious or critical
 * violation on any view at 1280×800 or at 390 px, where nothing overflows sideways; a whole
 * flow works with the keyboard alone, with the focus always visible; exclusive buttons wait
 * while a migration holds the tenants, and API refusals are shown in words.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { useOperationsApp } from './support/operations-app.js';
import { DESKTOP, PHONE, useBrowser, type PageIncidents } from './support/browser.js';
import { ENHANCED } from './support/tenant-fixtures.js';

const TOKEN = 'tm-dashboard-safety-token-0123456789';
const TENANTS = 6000;
const IMG = '<img src=x onerror=window.__xss=1>';
const SCRIPT = '<script>window.__xss=2</script>';
const VIEWS = [
  'Overview',
  'Operations',
  'Quarantine',
  'Integrity',
  'Tenant lookup',
  'Backups & cleanup',
  'Audit & self-test',
];

describe('the admin dashboard in a browser: safe by construction, usable by everyone', () => {
  const stores = useOperationsApp('dashboard-safety', {
    tenants: TENANTS,
    token: TOKEN,
    emptyEachTest: false,
  });
  const browser = useBrowser(() => stores.app.getHttpServer());

  before(async () => {
    const { redis, prefix, api, db } = stores;
    // Hostile values: markup in a value, in a key's name, in a value that is not JSON, and bytes
    // that are not UTF-8; then markup written straight into PostgreSQL by an application.
    await redis.set(`${prefix}xss`, JSON.stringify({ ...ENHANCED, businessName: IMG }));
    await redis.set(`${prefix}${IMG}`, JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    await redis.set(`${prefix}evil`, SCRIPT);
    await redis.set(`${prefix}binary`, Buffer.from([0xff, 0xfe, 0x3c, 0x62, 0x3e]));
    const migrated = await api.until((await api.start({ kind: 'migrate' })).id);
    assert.equal(migrated.status, 'succeeded', JSON.stringify(migrated.error));
    await db.query(`UPDATE tenants SET emoji = $1, updated_at = now() WHERE subdomain = 't3'`, [
      IMG,
    ]);
    await db.query(`UPDATE tenants SET emoji = $1, updated_at = now() WHERE subdomain = 't4'`, [
      SCRIPT,
    ]);
    assert.equal((await api.until((await api.start({ kind: 'check' })).id)).status, 'succeeded');
    assert.equal((await api.until((await api.start({ kind: 'backup' })).id)).status, 'succeeded');
    assert.equal(
      (await api.until((await api.start({ kind: 'self-test' })).id)).status,
      'succeeded',
    );
  });

  const signIn = async (page: Page) => {
    await page.goto(`${browser.origin}/admin/`);
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  };
  const open = async (page: Page, view: string) => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: view, exact: true })
      .click();
    await page
      .locator('h1')
      .filter({ hasText: view.split(' ')[0] })
      .waitFor();
    await page.getByText('Loading…').first().waitFor({ state: 'detached' });
  };
  const clean = (incidents: PageIncidents) =>
    assert.deepEqual(incidents, { errors: [], dialogs: [], violations: [] });
  const nothingRan = async (page: Page) => {
    assert.equal(await page.evaluate('window.__xss'), undefined, 'an injected script ran');
    assert.equal(await page.locator('img').count(), 0, 'an injected element was created');
  };

  it('shows markup from Redis and PostgreSQL as the characters it is, and runs none of it', async () => {
    const { page, incidents } = await browser.newPage();
    await signIn(page);

    await open(page, 'Quarantine');
    await page.getByRole('region', { name: 'Quarantined keys' }).waitFor();
    await page.getByText(`${stores.prefix}${IMG}`, { exact: true }).waitFor();
    await page.locator('pre.text-value', { hasText: SCRIPT }).waitFor();
    // Bytes that are not UTF-8 are shown as hex.
    await page
      .locator('tr[data-key$="binary"] pre.hex-value', { hasText: 'ff fe 3c 62 3e' })
      .waitFor();

    await open(page, 'Integrity');
    const drifted = page.locator('li.drift[data-subdomain="t3"] tr[data-field="emoji"] td');
    assert.deepEqual(await drifted.allTextContents(), ['🍕', IMG]);
    await page
      .locator('li.drift[data-subdomain="t4"]')
      .getByText(SCRIPT, { exact: true })
      .waitFor();

    await open(page, 'Tenant lookup');
    await page.getByLabel('Subdomain').fill('xss');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.locator('[data-side="redis"] pre.text-value', { hasText: IMG }).waitFor();
    await page.getByLabel('Subdomain').fill('t3');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page
      .locator('[data-state="different"] tr[data-field="emoji"]')
      .getByText(IMG)
      .first()
      .waitFor();

    await nothingRan(page);
    clean(incidents);
    await page.close();
  });

  it('runs under a CSP without unsafe-inline, and the token is in no URL: the event stream sends it as a header', async () => {
    const response = await fetch(`${browser.origin}/admin/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);

    const { page, incidents } = await browser.newPage();
    const requests: { url: string; authorization: string | undefined }[] = [];
    page.on('request', (r) =>
      requests.push({ url: r.url(), authorization: r.headers().authorization }),
    );
    await signIn(page);
    await open(page, 'Operations');
    await page.getByRole('button', { name: 'Start dry run' }).click();
    await page.locator('.panel[data-status="succeeded"]').waitFor({ timeout: 60_000 });
    const stream = requests.find((r) => /\/operations\/[0-9a-f-]+\/events$/.test(r.url));
    assert.ok(stream, 'the page followed the operation through its event stream');
    assert.equal(stream.authorization, `Bearer ${TOKEN}`);
    assert.ok(
      requests.every((r) => !r.url.includes(TOKEN)),
      'no URL carries the token',
    );
    assert.ok(
      requests.every((r) => r.url.startsWith(browser.origin)),
      'nothing but its own origin is asked',
    );
    clean(incidents);
    await page.close();
  });

  for (const [size, viewport] of [
    ['1280×800', DESKTOP],
    ['390 px', PHONE],
  ] as const)
    it(`has no serious or critical axe-core violation on any view at ${size}, and nothing overflows sideways`, async () => {
      const { page, incidents } = await browser.newPage(viewport);
      await signIn(page);
      assert.deepEqual(await browser.seriousViolations(page), [], 'the overview');
      for (const view of VIEWS) {
        await open(page, view);
        if (view === 'Tenant lookup') {
          await page.getByLabel('Subdomain').fill('t3');
          await page.getByRole('button', { name: 'Look up' }).click();
          await page.locator('[data-state]').waitFor();
        }
        assert.deepEqual(await browser.seriousViolations(page), [], view);
        const overflow = await page.evaluate(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        assert.ok(Number(overflow) <= 0, `${view} overflows by ${String(overflow)} px`);
      }
      // The sign-in page and an open confirmation dialog too.
      await open(page, 'Operations');
      await page.getByRole('button', { name: 'Start migration' }).click();
      await page.getByRole('dialog').waitFor();
      assert.deepEqual(await browser.seriousViolations(page), [], 'the confirmation dialog');
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Admin token').waitFor();
      assert.deepEqual(await browser.seriousViolations(page), [], 'the sign-in page');
      clean(incidents);
      await page.close();
    });

  it('goes through sign-in, a dry run and a confirmed migration with the keyboard alone, the focus always visible', async () => {
    const { page, incidents } = await browser.newPage();
    await page.goto(`${browser.origin}/admin/`);
    /** Tabs forward until the focused element's text or label is `name`; checks its focus ring. */
    const tabTo = async (name: string | RegExp) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate<{ name: string; outline: string; width: number }>(
          `(() => { const e = document.activeElement; const s = getComputedStyle(e);
             return { name: (e.getAttribute('aria-label') || e.textContent || e.id || '').trim(),
                      outline: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()`,
        );
        assert.ok(
          focused.outline !== 'none' && focused.width >= 2,
          `no visible focus on "${focused.name}"`,
        );
        if (typeof name === 'string' ? focused.name === name : name.test(focused.name)) return;
      }
      assert.fail(`Tab never reached "${String(name)}"`);
    };
    await tabTo('token');
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await tabTo('Operations');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
    await tabTo('Start dry run');
    await page.keyboard.press('Enter');
    await page.locator('.panel[data-status="succeeded"]').waitFor({ timeout: 60_000 });
    const dryRun = await page.locator('.panel').getAttribute('data-operation');
    await tabTo('Start migration');
    await page.keyboard.press('Enter');
    // The dialog takes the focus on Cancel: Enter alone would not confirm.
    const dialog = page.getByRole('dialog', { name: 'Start the migration?' });
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Cancel');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Start migration');
    await page.keyboard.press('Enter');
    await page
      .locator(`.panel[data-status="succeeded"]:not([data-operation="${dryRun}"])`)
      .waitFor({ timeout: 60_000 });
    assert.match((await page.locator('.panel .result').textContent()) ?? '', /scanned/);
    clean(incidents);
    await page.close();
  });

  it('follows a migration started elsewhere, waits with exclusive buttons while it holds the tenants, and shows API refusals in words', async () => {
    const { page, incidents } = await browser.newPage();
    await signIn(page);
    await open(page, 'Operations');
    const held = await stores.api.start({ kind: 'migrate', batchSize: 10 });
    await page.locator('button.primary:disabled', { hasText: 'Start migration' }).waitFor();
    // The page follows the migration it did not start, with its controls.
    const panel = page.locator(`.panel[data-operation="${held.id}"]`);
    await panel.getByRole('button', { name: 'Pause' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'holds the tenants' }).waitFor();
    await open(page, 'Tenant lookup');
    await page.getByLabel('Subdomain').fill('no_such tenant!');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /subdomain/i })
      .waitFor();
    await page.getByLabel('Subdomain').fill('nobody-here');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /nobody-here/ })
      .waitFor();
    await stores.api.control(held.id, 'cancel');
    await stores.api.until(held.id);
    await open(page, 'Operations');
    await page.locator('button.primary:enabled', { hasText: 'Start migration' }).waitFor();
    // The two refusals (400, 404) are what the browser logged; nothing else.
    assert.equal(incidents.errors.length, 2, incidents.errors.join('\n'));
    assert.ok(
      incidents.errors.every((e) => / (400|404) /.test(e)),
      incidents.errors.join('\n'),
    );
    assert.deepEqual(incidents.dialogs, []);
    assert.deepEqual(incidents.violations, []);
    await page.close();
  });
});
