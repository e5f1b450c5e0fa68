#!/usr/bin/env node
// Bundles the `corral` CLI and the daemon it starts into dist/cli/ (run by
// `npm run build`, after tsc). One file per lazily loaded part (each verb, the
// stack-file parser, the daemon) instead of hundreds of modules: the first
// `corral up` starts a daemon, and Node resolving and loading zod, yaml and
// our lifecycle module by module was a good part of that start (see the
// README, Performance, P2). bin/corral.js runs dist/cli/main.js.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  // The tsc output, so the bundle is made of exactly the code the tests import.
  // early.js: what bin/corral.js runs before main.js (spawn-daemon.ts).
  entryPoints: ['dist/electron/cli/main.js', 'dist/electron/cli/early.js'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  external: ['electron'],
  // CommonJS packages (yaml, grpc-js) call require() for Node built-ins; an ES module has none.
  banner: { js: "import { createRequire as __corralRequire } from 'node:module'; const require = __corralRequire(import.meta.url);" },
});
