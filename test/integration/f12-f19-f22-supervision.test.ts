// Supervision rows: crash loop, dependency chain under an unhealthy dependency, sleep/wake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive, fixture } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { startOwnerProcess } from '../helpers/owner-process.js';
import type { ServiceState } from '../../shared/state.js';
import type { ServiceEvent } from '../../electron/engine/service-state.js';

test('F12 service crash-loops: capped backoff, then failed with last log lines; manual restart works', async () => {
  const { home, cleanup } = tempHome('f12');
  const owner = await Owner.open({ home, kind: 'embedded' });
  try {
    const crashFile = join(home, 'crash');
    writeFileSync(crashFile, '');
    await owner.addStack(
      stack('s', [
        svc('looper', ['--exit-after', '100', '--code', '3', '--crash-if-exists', crashFile], {
          restart: { policy: 'always', backoffMs: 40, maxBackoffMs: 160, resetAfterMs: 5000, crashLoopCount: 5, crashLoopWindowMs: 20_000 },
        }),
      ]),
    );
    const delays: number[] = [];
    owner.on('service-event', (_st: string, _sv: string, e: ServiceEvent) => {
      if (e.type === 'restarting') delays.push(e.inMs);
    });
    const failed = new Promise((r) => owner.once('service-failed', r));
    await owner.start('s');
    await failed;
    const s = owner.service('s', 'looper');
    assert.equal(s.state, 'failed');
    assert.equal(s.restarts, 4);
    assert.deepEqual(delays, [0, 40, 80, 160], 'immediate, then exponential, capped');
    assert.match(s.reason!, /crashed 5 times/);
    assert.ok(s.lastLogLines.some((l) => l.includes('exiting with 3')), s.lastLogLines.join('\n'));
    assert.equal(s.pid, null);
    // Stays failed: supervision stopped.
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(owner.service('s', 'looper').restarts, 4);
    // One click: fix the cause and restart.
    rmSync(crashFile);
    const r = await owner.restart('s', ['looper']);
    assert.equal(r.outcomes[0]!.ok, true, r.outcomes[0]!.message);
    const again = await waitFor(() => (owner.service('s', 'looper').state === 'running' ? owner.service('s', 'looper') : null), 3000, 'running');
    assert.ok(again.pid && isLive(again.pid));
    assert.deepEqual(again.lastLogLines, []);
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});

test('F19 chain A ← B ← C where A becomes unhealthy: dependents held, restarted when A is back, no restart storm', async () => {
  const { home, cleanup } = tempHome('f19');
  const owner = await Owner.open({ home, kind: 'embedded' });
  try {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = svc('a', [], {
      command: [process.execPath, fixture('http-server.mjs'), '--port', String(pa)],
      ports: [pa],
      healthCheck: { kind: 'http', url: `http://127.0.0.1:${pa}/healthz`, status: [200, 299] },
      // A stays up while unhealthy, so its dependents see a long outage.
      restart: { policy: 'never', backoffMs: 50, maxBackoffMs: 400, resetAfterMs: 5000, crashLoopCount: 5, crashLoopWindowMs: 10_000 },
    });
    const b = tcpService('b', pb, [], { dependsOn: { a: 'healthy' } });
    const c = svc('c', ['--tick', '100'], { dependsOn: { b: 'healthy' } });
    await owner.addStack(stack('s', [a, b, c]));
    const r = await owner.start('s');
    assert.equal(r.outcomes.every((o) => o.ok), true, JSON.stringify(r.outcomes));
    const states: Record<string, ServiceState[]> = { a: [], b: [], c: [] };
    owner.on('snapshot', (snap) => {
      for (const s of snap.stacks[0]!.services) if (states[s.name]!.at(-1) !== s.state) states[s.name]!.push(s.state);
    });
    const aPid = owner.service('s', 'a').pid!;
    process.kill(aPid, 'SIGUSR2'); // A answers 503 from now on
    await waitFor(() => owner.service('s', 'a').state === 'unhealthy', 15_000, 'A unhealthy');
    // B crashes while A is unhealthy: it is held, not crash-looped.
    const bPid = owner.service('s', 'b').pid!;
    process.kill(bPid, 'SIGKILL');
    const held = await waitFor(() => {
      const x = owner.service('s', 'b');
      return x.state === 'held' && x.pid === null && x.held?.dependency === 'a' && x.held.state === 'unhealthy' ? x : null;
    }, 15_000, 'B held waiting for A');
    assert.equal(held.restarts, 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(owner.service('s', 'b').restarts, 1, 'no restart storm while A is unhealthy');
    assert.equal(owner.service('s', 'c').restarts, 0, 'C untouched');
    // A recovers: B is started again, once.
    process.kill(aPid, 'SIGUSR2');
    const back = await waitFor(() => (owner.service('s', 'b').state === 'running' ? owner.service('s', 'b') : null), 15_000, 'B running again');
    assert.equal(back.restarts, 1);
    assert.equal(owner.service('s', 'a').pid, aPid, 'A was never restarted (policy never)');
    assert.equal(states.b!.includes('failed'), false);
    assert.equal(states.c!.includes('failed'), false);
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});

test('F22 sleep or stall of the owner: re-check at once on wake, dead service restarted promptly, no spurious restarts', async () => {
  const { home, cleanup } = tempHome('f22');
  const dir = new DataDir(home);
  const [p1, p2] = [await freePort(), await freePort()];
  const spec = stack('s', [
    tcpService('one', p1, [], { health: { check: { kind: 'tcp', host: '127.0.0.1', port: p1 }, intervalMs: 300, timeoutMs: 200, failureThreshold: 1 } }),
    // Its own liveness probe (60 s) and the adopted poll (60 s) are both too slow: only the wake re-check can see it die.
    tcpService('two', p2, [], { health: { check: { kind: 'tcp', host: '127.0.0.1', port: p2 }, intervalMs: 60_000, timeoutMs: 200, failureThreshold: 1 } }),
  ]);
  let host = null as Awaited<ReturnType<typeof startOwnerProcess>> | null;
  try {
    // First owner starts the services and dies; the second adopts them, so it sees deaths only by polling (60 s here).
    const first = await startOwnerProcess(home, spec);
    await first.kill('SIGKILL');
    host = await startOwnerProcess(home, null, { ADOPT_POLL_MS: '60000', WAKE_TICK_MS: '100', WAKE_THRESHOLD_MS: '500' });
    const ready = host.latest()!;
    const pids = Object.fromEntries(ready.stacks[0]!.services.map((s) => [s.name, s.pid!]));
    assert.equal(ready.stacks[0]!.services.every((s) => s.adopted), true);
    // The owner "sleeps" (SIGSTOP: its timers all fire late on resume); one service dies meanwhile.
    process.kill(host.child.pid!, 'SIGSTOP');
    process.kill(pids.two!, 'SIGKILL');
    await waitFor(() => !isLive(pids.two!), 2000, 'two dead');
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = performance.now();
    process.kill(host.child.pid!, 'SIGCONT');
    await host.waitEvent((e) => e.type === 'wake', 15_000);
    await host.waitEvent((e) => {
      if (e.type !== 'snapshot') return false;
      const two = (e.snapshot as typeof ready).stacks[0]!.services.find((s) => s.name === 'two')!;
      return two.state === 'running' && two.pid !== pids.two;
    }, 15_000); // well under the 60 s poll that would otherwise find it
    console.log(`# F22 dead adopted service restarted ${(performance.now() - t0).toFixed(0)} ms after wake (poll interval 60 s)`);
    // Probes whose timers fired late caused no restart of the healthy service.
    const one = host.latest()!.stacks[0]!.services.find((s) => s.name === 'one')!;
    assert.equal(one.pid, pids.one);
    assert.equal(one.restarts, 0);
    assert.equal(one.state, 'running');
  } finally {
    await host?.kill('SIGKILL');
    const owner = await Owner.open({ home, kind: 'embedded' });
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: dir.markerPrefix() });
    cleanup();
  }
});
