import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Owner } from '../../electron/engine/owner.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';

test('start, status and stop of a two-service stack with a dependency', async () => {
  const { home, cleanup } = tempHome('basic');
  const owner = await Owner.open({ home, kind: 'embedded' });
  try {
    const port = await freePort();
    await owner.addStack(stack('demo', [tcpService('db', port), svc('worker', ['--tick', '50'], { dependsOn: { db: 'healthy' } })]));
    const r = await owner.start('demo');
    assert.deepEqual(r.outcomes.map((o) => [o.service, o.ok]), [['db', true], ['worker', true]]);
    const snap = owner.snapshot().stacks[0]!;
    assert.equal(snap.services.every((s) => s.state === 'running' && s.pid && isLive(s.pid)), true);
    // Idempotent: a second start reuses the instances.
    const pids = snap.services.map((s) => s.pid);
    await owner.start('demo');
    assert.deepEqual(owner.snapshot().stacks[0]!.services.map((s) => s.pid), pids);
    const stopped = await owner.stop('demo');
    assert.equal(stopped.outcomes.every((o) => o.ok), true, JSON.stringify(stopped));
    assert.equal(owner.snapshot().stacks[0]!.services.every((s) => s.state === 'stopped'), true);
    await waitFor(() => pids.every((p) => !isLive(p!)), 2000, 'processes gone');
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});

test('the Linux scan finds our marker wherever it sits in the environment, and reads commands on demand', { skip: process.platform !== 'linux' }, async () => {
  const { linuxPlatform: p } = await import('../../electron/engine/process/platform/linux.js');
  const { spawn } = await import('node:child_process');
  const tag = `scan-${process.pid}-${Date.now()}`;
  const start = (env: Record<string, string>) => spawn('sleep', ['30'], { stdio: 'ignore', env: { ...env, CORRAL_TEST_TAG: tag } });
  // The marker first, in the middle (after a variable whose value mentions it), and absent.
  const first = start({ CORRAL_INSTANCE: 'scan/first', PATH: process.env.PATH ?? '' });
  const middle = start({ NOTE: 'CORRAL_INSTANCE=decoy', CORRAL_INSTANCE: 'scan/middle/é', OTHER: 'x' });
  const none = start({ NOT_CORRAL_INSTANCE: 'scan/none' });
  const kids = [first, middle, none];
  try {
    await waitFor(() => kids.every((k) => k.pid !== undefined && isLive(k.pid)), 5000, 'the sleeps');
    // /proc/<pid>/environ keeps the order given to spawn: `first` has the marker as its very first variable.
    assert.equal(await p.readMarker(first.pid!), 'scan/first');
    assert.equal(await p.readMarker(middle.pid!), 'scan/middle/é');
    assert.equal(await p.readMarker(none.pid!), '');
    assert.equal(await p.readMarker(2 ** 22 + 7), null, 'no such process');
    const listed = (await p.listProcesses()).filter((x) => kids.some((k) => k.pid === x.pid));
    assert.equal(listed.length, 3);
    for (const x of listed) assert.equal(x.command, 'sleep 30');
    assert.deepEqual(JSON.parse(JSON.stringify(listed[0])).command, 'sleep 30');
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    await assertNothingLeft({ tag });
  }
});
