#!/usr/bin/env node
// Bundles the Electron main process and the preload into dist-electron/.
//  - main.js: ES module for Electron's Node (22 in Electron 45). npm packages
//    stay external: electron-builder ships the production dependencies.
//  - preload.cjs: CommonJS, because a sandboxed preload is not an ES module and
//    its `require` knows only `electron` (and a few Node shims). The build fails
//    if anything else is left to require at runtime.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist-electron`;
const common = { absWorkingDir: root, bundle: true, sourcemap: true, logLevel: 'warning', legalComments: 'none', metafile: true };

rmSync(outdir, { recursive: true, force: true });

await build({
  ...common,
  entryPoints: ['electron/app/main.ts'],
  outfile: `${outdir}/main.js`,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
});

const preload = await build({
  ...common,
  entryPoints: ['electron/app/preload.ts'],
  outfile: `${outdir}/preload.cjs`,
  platform: 'node',
  format: 'cjs',
  target: 'chrome140',
  external: ['electron'],
});

const externals = new Set();
for (const input of Object.values(preload.metafile.inputs)) {
  for (const imp of input.imports) if (imp.external) externals.add(imp.path);
}
const unexpected = [...externals].filter((p) => p !== 'electron');
if (unexpected.length > 0) {
  console.error(`The preload requires ${unexpected.join(', ')} at runtime; the sandbox only provides \`electron\`. Import types only, or bundle it.`);
  process.exit(1);
}
console.log(`Built ${outdir}/main.js and ${outdir}/preload.cjs`);
