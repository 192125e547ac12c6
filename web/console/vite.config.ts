/**
 * The operator console: Preact through Vite 8's oxc JSX transform (no babel), served by the
 * API server at /console/ from dist/web/console. The sign-in screen is the only eager code;
 * the shell, each screen and ECharts are lazy chunks.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
// The same brotli/gzip copies as the app's: the server sends them to browsers that accept them.
import { precompress } from '../app/build/precompress.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../dist/web/console'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 800,
  },
  plugins: [precompress()],
});
