#!/usr/bin/env node
// Thin launcher so `npx capillary …` runs the compiled CLI (npm run build produces dist/).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('capillary: not built yet — run `npm run build` first');
    process.exit(1);
  }
  throw err;
});
