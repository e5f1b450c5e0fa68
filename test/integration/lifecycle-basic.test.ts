import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Owner } from '../../electron/lifecycle/owner.js';
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
