/** The customer app: Preact compiled by Vite 8's oxc (no babel), served by the API server at /app/. */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { precompress } from './build/precompress.ts';
import { serviceWorker } from './build/service-worker.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/app/',
  publicDir: here('public'),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../dist/web/app'),
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or data: URLs for modules: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    sourcemap: false,
  },
  plugins: [serviceWorker(here('sw.js'), '/app/'), precompress()],
});
