/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser specs: headless,
 * with the flags that keep it off this machine's closed network, in a fresh user-data folder
 * removed afterwards. Each page records what must never happen: a script error, a console
 * error (a CSP violation is one), a dialog (an injected alert), a failed request.
 */
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** What a page did that a test asserts never happens. */
export interface PageIncidents {
  errors: string[];
  dialogs: string[];
  /** Content-Security-Policy violations the page reported. */
  violations: string[];
}

export interface Browser {
  /** The app's address (it listens on a free loopback port). */
  readonly origin: string;
  /** A new page at 1280×800 whose incidents are recorded. */
  newPage(viewport?: {
    width: number;
    height: number;
  }): Promise<{ page: Page; incidents: PageIncidents }>;
  /** Serious or critical axe-core violations of the page as it is now, one line each. */
  seriousViolations(page: Page): Promise<string[]>;
}

/**
 * For one spec file: the server listening on a loopback port once `server()` answers (call it
 * after the app's own `before` was registered), and one Chromium for the whole file.
 */
export const useBrowser = (server: () => Server): Browser => {
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  let origin = '';

  before(async () => {
    const http = server();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    userDataDir = await mkdtemp(join(tmpdir(), 'tm-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: DESKTOP,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(15_000);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  return {
    get origin() {
      return origin;
    },
    async newPage(viewport = DESKTOP) {
      if (!context) throw new Error('the browser is not started yet');
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      const incidents: PageIncidents = { errors: [], dialogs: [], violations: [] };
      page.on('pageerror', (error) => incidents.errors.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') incidents.errors.push(`console: ${message.text()}`);
      });
      page.on('dialog', (dialog) => {
        incidents.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await page.exposeFunction('__cspViolation', (text: string) =>
        incidents.violations.push(text),
      );
      // Run in the page (this project compiles without the DOM's types, hence the source text).
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (event) =>
          window.__cspViolation(event.violatedDirective + ' ' + event.blockedURI));`,
      });
      return { page, incidents };
    },
    async seriousViolations(page) {
      const results = await new AxeBuilder({ page }).analyze();
      return results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
        );
    },
  };
};
