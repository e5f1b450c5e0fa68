// The rotation's safety pass applies retention (count and age) to every log
// under logs/, including stacks no longer registered: one directory listing
// per stack, whatever the number of its services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, utimesSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Owner } from '../../electron/engine/owner.js';
import { LogRotator } from '../../electron/engine/logs/log-rotate.js';
import { tempHome } from '../helpers/env.js';

test('the safety pass keeps `keep` rotated copies per log, removes older ones and those past the age, in every stack directory', async () => {
  const { home, cleanup } = tempHome('retention-pass');
  const owner = await Owner.open({ home, kind: 'embedded' });
  const rotator = new LogRotator(owner, { retention: { keep: 2, maxAgeMs: 3_600_000 } });
  try {
    const dir = join(home, 'logs', 'gone');
    mkdirSync(dir, { recursive: true });
    for (const f of ['a.log', 'a.log.1', 'a.log.2', 'a.log.3', 'a.log.4', 'b.log', 'b.log.1', 'b.log.2', 'ab.log.7', 'a.log.x']) writeFileSync(join(dir, f), `${f}\n`);
    // b.log.1 is two hours old: past the age, though within the count.
    const old = Date.now() / 1000 - 7200;
    utimesSync(join(dir, 'b.log.1'), old, old);
    await rotator.check();
    assert.deepEqual(readdirSync(dir).sort(), ['a.log', 'a.log.1', 'a.log.2', 'a.log.x', 'ab.log.7', 'b.log', 'b.log.2']);
  } finally {
    await rotator.stop();
    await owner.close({ stopServices: true });
    cleanup();
  }
});
