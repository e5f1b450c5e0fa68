#!/usr/bin/env node
// Runs the Electron end-to-end tests (test/electron/*.spec.ts, compiled to
// dist/) where an Electron binary exists, under xvfb on a Linux machine
// without a display. Elsewhere it says they were not run and succeeds: there
// is nothing to run them with, and that is not a failure of the code.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const specDir = join(root, 'dist', 'test', 'electron');
if (!existsSync(join(specDir, 'electron-binary.js'))) {
  console.error('Compiled Electron e2e tests not found under dist/test/electron: run `npm run build` first.');
  process.exit(1);
}
const { electronBinary, NOT_RUN } = await import(pathToFileURL(join(specDir, 'electron-binary.js')).href);
if (!electronBinary()) {
  console.log(NOT_RUN);
  process.exit(0);
}

const missing = [
  ['dist-electron/preload.cjs', 'node scripts/build-electron.mjs'],
  ['renderer/dist/index.html', 'the renderer build'],
].filter(([file]) => !existsSync(join(root, file)));
if (missing.length > 0) {
  console.error(`Missing before the Electron e2e tests can run: ${missing.map(([f, how]) => `${f} (${how})`).join(', ')}.`);
  process.exit(1);
}

const specs = readdirSync(specDir).filter((f) => f.endsWith('.spec.js')).map((f) => join(specDir, f));
let command = process.execPath;
let args = ['--enable-source-maps', '--test', '--test-concurrency=1', ...specs];
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  if (spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) {
    console.error('No display and no xvfb-run: install xvfb (apt-get install xvfb) or run under a display.');
    process.exit(1);
  }
  args = ['-a', command, ...args];
  command = 'xvfb-run';
}
const r = spawnSync(command, args, { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
