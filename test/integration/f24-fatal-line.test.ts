// F24 (last words): a daemon that dies of an uncaught exception while out of
// file descriptors still writes a `fatal:` line to owner.log before exiting 70.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome } from '../helpers/env.js';
import { DataDir } from '../../electron/engine/state/paths.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fatal-daemon.js');

test('F24 an uncaught exception at EMFILE: a fatal line in owner.log, exit 70', { timeout: 60_000 }, async () => {
  const tmp = tempHome('fatal');
  try {
    const child = spawn('prlimit', ['--nofile=200:200', '--', process.execPath, FIXTURE, tmp.home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.match(out, /exhausted after \d+ descriptors/);
    assert.equal(code, 70, out);
    const log = readFileSync(new DataDir(tmp.home).ownerLog, 'utf8');
    assert.match(log, /fatal: Error: boom at EMFILE/);
    assert.match(log, /the owner exits \(70\), services keep running/);
  } finally {
    tmp.cleanup();
  }
});
