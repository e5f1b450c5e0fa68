#!/usr/bin/env node
// Runs every compiled test file with node's test runner: unit and integration
// tests two files at a time, then the browser (e2e) suites one at a time.
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
const browser = run(files.filter(isBrowser), '1');
process.exit(rest || browser);
