#!/usr/bin/env node
// The `corral` command: the CLI, bundled into dist/cli/ by `npm run build`.
import('../dist/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    console.error('corral: not built yet; run `npm run build` in the Corral directory first.');
    process.exit(4);
  }
  throw e;
});
