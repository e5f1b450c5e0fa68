// The state model, with real processes: partial `down` stops dependents first
// and says so; every crash, restart, hold and give-up is a line in owner.log;
// fields that no longer apply (health of a dead instance, a port holder that
// is gone) are cleared by the engine, not hidden by a view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { Owner } from '../../electron/engine/owner.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { startForeign, newTag } from '../helpers/foreign.js';
import { explainService } from '../../shared/explain.js';

async function withOwner(label: string, fn: (owner: Owner) => Promise<void>, descendantSnapshotMs?: number): Promise<void> {
  const { home, cleanup } = tempHome(label);
  const owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100, ...(descendantSnapshotMs ? { descendantSnapshotMs } : {}) });
  try {
    await fn(owner);
  } finally {
    const prefix = owner.dir.markerPrefix();
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: prefix });
    cleanup();
  }
}

test('F37 down SERVICE stops what depends on it first, says so, and leaves the rest running', async () => {
  await withOwner('partial-down', async (owner) => {
    const port = await freePort();
    await owner.addStack(
      stack('shop', [
        tcpService('redis', port),
        svc('api', ['--tick', '1000'], { dependsOn: { redis: 'healthy' } }),
        svc('worker', ['--tick', '1000'], { dependsOn: { api: 'started' } }),
        svc('mailer', ['--tick', '1000']),
      ]),
    );
    const up = await owner.start('shop');
    assert.ok(up.outcomes.every((o) => o.ok), JSON.stringify(up.outcomes));
    const order: string[] = [];
    owner.on('service-event', (_st: string, name: string, e: { type: string; to?: string }) => e.type === 'state' && e.to === 'stopped' && order.push(name));
    const r = await owner.stop('shop', ['redis']);
    assert.deepEqual(r.outcomes.map((o) => [o.service, o.ok]), [['redis', true], ['api', true], ['worker', true]]);
    assert.match(r.outcomes[1]!.message, /\(it depends on redis\)$/);
    assert.equal(r.outcomes[1]!.dependentOf, 'redis');
    assert.equal(r.outcomes[2]!.dependentOf, 'api');
    assert.deepEqual(order, ['worker', 'api', 'redis'], 'dependents stop first');
    const snap = owner.snapshot().stacks[0]!.services;
    assert.deepEqual(snap.map((s) => [s.name, s.state, s.desired]), [['redis', 'stopped', 'down'], ['api', 'stopped', 'down'], ['worker', 'stopped', 'down'], ['mailer', 'running', 'up']]);
    assert.equal(explainService(snap[1]!), 'stopped by you');
  });
});

test('every crash, restart, hold and give-up is a line in owner.log, with the pid and what happens next', async () => {
  await withOwner('owner-log', async (owner) => {
    const port = await freePort();
    await owner.addStack(
      stack('s', [
        svc('crasher', ['--exit-after', '150', '--code', '3'], {
          restart: { policy: 'always', backoffMs: 50, maxBackoffMs: 100, resetAfterMs: 60_000, crashLoopCount: 3, crashLoopWindowMs: 60_000 },
        }),
        tcpService('db', port, ['--exit-after', '300', '--code', '4'], {
          restart: { policy: 'never', backoffMs: 50, maxBackoffMs: 100, resetAfterMs: 60_000, crashLoopCount: 3, crashLoopWindowMs: 60_000 },
        }),
        svc('app', ['--tick', '1000'], { dependsOn: { db: 'healthy' } }),
      ]),
    );
    await owner.start('s', ['crasher']);
    await waitFor(() => owner.service('s', 'crasher').state === 'failed', 20_000, 'crasher gave up');
    // Starting app starts db first: app is held until db is healthy.
    await owner.start('s', ['app']);
    await waitFor(() => owner.service('s', 'db').state === 'failed', 20_000, 'db failed (policy never)');
    const log = readFileSync(owner.dir.ownerLog, 'utf8');
    const lines = (re: RegExp) => log.split('\n').filter((l) => re.test(l));
    assert.equal(lines(/s\/crasher: started as pid \d+$/).length, 1, log);
    assert.equal(lines(/s\/crasher: started as pid \d+ \(restart [12]\)$/).length, 2, log);
    assert.equal(lines(/s\/crasher: pid \d+ exited with code 3 after \S+ up$/).length, 3, log);
    assert.equal(lines(/s\/crasher: restarting in \S+ \(restart [12]\)$/).length, 2, log);
    assert.equal(lines(/s\/crasher: failed: crasher crashed 3 times within 1m/).length, 1, log);
    assert.equal(lines(/s\/db: pid \d+ exited with code 4 after/).length, 1, log);
    assert.equal(lines(/s\/db: failed: db exited with code 4; its restart policy is never$/).length, 1, log);
    assert.equal(lines(/s\/app: held: waiting for db to be healthy \(db is (stopped|starting)\)$/).length, 1, log);
    // The dead instances' last health results are not shown as current.
    assert.equal(owner.service('s', 'db').health, null);
    assert.equal(owner.service('s', 'crasher').health, null);
  });
});

test('F38 a port holder that goes away is forgotten: nothing offers to stop a process that no longer exists', async () => {
  await withOwner('holder-gone', async (owner) => {
    const tag = newTag('holder-gone');
    const port = await freePort();
    const holder = await startForeign({ tag, port, host: '127.0.0.1' });
    try {
      await owner.addStack(stack('h', [tcpService('api', port)]));
      await owner.start('h');
      assert.equal(owner.service('h', 'api').portHolder?.pid, holder.pid);
      await holder.kill();
      const s = await waitFor(() => (owner.service('h', 'api').portHolder === null ? owner.service('h', 'api') : null), 15_000, 'port holder forgotten');
      assert.equal(s.state, 'failed');
      assert.match(explainService(s), new RegExp(`port ${port} was held by process ${holder.pid} \\([\\s\\S]*\\), which has exited since; start api again`));
      const again = await owner.start('h');
      assert.equal(again.outcomes[0]!.ok, true, JSON.stringify(again));
    } finally {
      if (isLive(holder.pid)) await holder.kill();
    }
  });
});

test('a log file deleted under a running service is said in the snapshot; a restart that could not start stops nothing', async () => {
  await withOwner(
    'log-deleted',
    async (owner) => {
      await owner.addStack(stack('l', [svc('api', ['--tick', '50'])]));
      await owner.start('l');
      const before = owner.service('l', 'api');
      rmSync(before.logFile);
      const s = await waitFor(() => (owner.service('l', 'api').logMissing ? owner.service('l', 'api') : null), 15_000, 'deleted log noticed');
      assert.match(explainService(s), /its log file was deleted: its output is lost until it restarts \(restart api\)$/);
      assert.match(readFileSync(owner.dir.ownerLog, 'utf8'), /l\/api: its log file .* was deleted while it runs/);
      // The log path cannot be written now (a directory stands in its place): the restart is refused before the stop.
      mkdirSync(before.logFile);
      const refused = await owner.restart('l', ['api']);
      assert.equal(refused.outcomes[0]!.ok, false);
      assert.match(refused.outcomes[0]!.message, /^api was not restarted: its log file .* cannot be written \(EISDIR\); nothing was stopped$/);
      assert.equal(owner.service('l', 'api').pid, before.pid, 'still running, same pid');
      rmSync(before.logFile, { recursive: true });
      const again = await owner.restart('l', ['api']);
      assert.equal(again.outcomes[0]!.ok, true, JSON.stringify(again));
      assert.equal(owner.service('l', 'api').logMissing, false);
      assert.ok(existsSync(before.logFile), 'the next start created the file again');
    },
    100,
  );
});
