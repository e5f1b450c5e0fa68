// `corral init --preset stigmer` finds the Temporal CLI where users have it:
// the Stigmer CLI's copy first, else the PATH (Homebrew, the Temporal installer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness } from './cli-harness.js';

function fakeTemporal(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, 'temporal');
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, 0o755);
  return p;
}

test('init --preset stigmer: temporal from the PATH when the Stigmer CLI has not extracted one; its own copy when it has', async () => {
  const h = harness('init-preset');
  try {
    const home = h.project('home');
    const brew = fakeTemporal(join(h.home, 'brew', 'bin'));
    const env = { HOME: home, PATH: `${join(h.home, 'brew', 'bin')}:${process.env.PATH}` };
    const dir = h.project('one');
    const r = await h.run(['init', '--preset', 'stigmer'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`temporal: ${brew}`));
    assert.ok(readFileSync(join(dir, 'corral.yaml'), 'utf8').includes(`command: ["${brew}", "server"`), 'the PATH copy is written');

    fakeTemporal(join(home, '.stigmer', 'bin'));
    const two = h.project('two');
    const again = await h.run(['init', '--preset', 'stigmer'], { cwd: two, env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.ok(readFileSync(join(two, 'corral.yaml'), 'utf8').includes('command: ["~/.stigmer/bin/temporal", "server"'), "the Stigmer CLI's copy wins");

    const none = h.project('three');
    const missing = await h.run(['init', '--preset', 'stigmer'], { cwd: none, env: { HOME: h.project('empty-home'), PATH: '/usr/bin:/bin' } });
    assert.equal(missing.code, 0);
    assert.match(missing.stdout, /temporal: not found .*`corral doctor` says how to install it/);
  } finally {
    await h.cleanup();
  }
});
