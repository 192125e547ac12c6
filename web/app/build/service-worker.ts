/**
 * Emits sw.js from the template web/app/sw.js with the build's file list (the app shell to
 * precache) and a version derived from those names (content-hashed), so every build that
 * changes a file installs a new worker and drops the old caches.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';

export function serviceWorker(template: string, base: string): Plugin {
  return {
    name: 'capillary-service-worker',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const names = Object.keys(bundle)
        .filter((name) => !name.endsWith('.map') && name !== 'index.html')
        .sort();
      const shell = [base, ...names.map((name) => base + name)];
      const version = createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(template, 'utf8')
        .replace('self.__SHELL__', JSON.stringify(shell))
        .replace('self.__VERSION__', JSON.stringify(version))
        .replace('self.__BASE__', JSON.stringify(base));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}
