#!/usr/bin/env node
// Runs every compiled test file with node's test runner: unit and integration
// tests two files at a time, the rows the macOS code owns again in darwin mode,
// then the browser (e2e) suites one at a time.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);

function collect(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = collect(join(root, 'dist', 'test')).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('No compiled tests found under dist/test (run `npm run build`).');
  process.exit(1);
}
const concurrency = process.env.CORRAL_TEST_CONCURRENCY ?? '2';
const run = (list, c) =>
  list.length === 0 ? 0 : (spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${c}`, ...list], { stdio: 'inherit', cwd: root }).status ?? 1);
// The browser suites last: one at a time, each with the machine to itself (two
// Chromiums and a million-line log on 2 cores starve each other's frames).
const isBrowser = (f) => f.includes(`${join('dist', 'test', 'e2e')}/`);
const rest = run(files.filter((f) => !isBrowser(f)), concurrency);

// The macOS implementation, a second time on this Linux machine: CORRAL_PLATFORM=darwin
// with test/darwin-shims (ps, lsof, sysctl, netstat in macOS's formats) first on PATH
// and xnu's kill(-pgid) semantics preloaded. Only the rows the macOS code owns:
// scanning and stopping (F01-F06), adoption after an owner SIGKILL (F07, F08), ports
// (F10), adoption by marker (F17), a plain start/stop; darwin-platform.test.ts sets
// darwin mode itself and runs above.
const DARWIN_ROWS = ['lifecycle-basic', 'f01-f06-service-faults', 'f07-f08-owner-killed', 'f10-foreign-port', 'f17-state-file-deleted'];
const shims = join(root, 'test', 'darwin-shims');
const darwinFiles = process.env.CORRAL_TEST_DARWIN === '0' ? [] : files.filter((f) => DARWIN_ROWS.some((r) => f.endsWith(`${r}.test.js`)));
let darwin = 0;
if (darwinFiles.length > 0) {
  console.log(`# darwin mode (CORRAL_PLATFORM=darwin, shims from ${shims}): ${darwinFiles.length} files`);
  darwin =
    spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...darwinFiles], {
      stdio: 'inherit',
      cwd: root,
      env: { ...process.env, CORRAL_PLATFORM: 'darwin', PATH: `${shims}:${process.env.PATH}`, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(shims, 'xnu-kill.mjs')}`.trim() },
    }).status ?? 1;
}
const browser = run(files.filter(isBrowser), '1');
process.exit(rest || darwin || browser);
