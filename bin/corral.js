#!/usr/bin/env node
// The `corral` command: the CLI, bundled into dist/cli/ by `npm run build`
// (which `npm install` runs, through the `prepare` script).
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
// A first `corral up` starts the daemon before the rest of the CLI loads (dist/cli/early.js is a
// few lines): the two Node starts overlap. Missing (not built): the import of main.js says so below.
await import(new URL('../dist/cli/early.js', import.meta.url).href).then(
  (early) => early.spawnEarly(process.argv.slice(2), process.env),
  () => {},
);
import(main.href).catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(fileURLToPath(main))) {
    const checkout = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
    const cd = /^[\w@%+=:,./-]+$/.test(checkout) ? checkout : `'${checkout.replaceAll("'", `'\\''`)}'`;
    console.error(`corral: the CLI is not built: ${fileURLToPath(main)} is missing.`);
    console.error(`Build it with \`cd ${cd} && npm run build\` (\`npm install\` there builds it too), then try again.`);
    process.exit(4);
  }
  throw e;
});
