import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The admin dashboard: built into dist/dashboard and served by the admin app at /admin. Preact's
 * automatic JSX runtime through Vite's own transform (no plugin); no inline script or style, so
 * the page runs under a Content-Security-Policy without 'unsafe-inline'.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Inlined assets would be data: URLs; every asset is a file the CSP allows as 'self'.
    assetsInlineLimit: 0,
  },
});
