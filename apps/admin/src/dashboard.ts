import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/** Where the dashboard is served. */
export const DASHBOARD_PATH = '/admin';

/** The built dashboard (`vite build` of apps/dashboard), beside the compiled app in dist/. */
export const DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard', import.meta.url));

/**
 * Only the dashboard's own files, and nothing inline: scripts, styles, images and requests
 * from this origin only, no plugins, no framing, no form posts elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const setHeaders = (response: ServerResponse, path: string): void => {
  response.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  response.setHeader('Referrer-Policy', 'no-referrer');
  // The hashed assets never change; the page itself is read again each time.
  response.setHeader(
    'Cache-Control',
    /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
  );
};

/**
 * The admin dashboard as static files of the admin app at /admin (no server of its own, nothing
 * from a CDN). The files hold no data: every view reads the admin API with the token the
 * operator signs in with, so nothing is shown to anyone without it. The views are addressed by
 * the URL's fragment, so the page is the only document (`/admin` redirects to `/admin/`).
 */
export const serveDashboard = (app: NestExpressApplication): void => {
  app.useStaticAssets(DASHBOARD_ROOT, {
    prefix: DASHBOARD_PATH,
    index: 'index.html',
    setHeaders,
    dotfiles: 'ignore',
  });
};
