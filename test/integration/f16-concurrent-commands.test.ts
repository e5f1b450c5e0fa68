// F16: start, stop and restart of the same service issued concurrently, again
// and again. Commands are serialized per service: the final state is the one
// the last command asked for, there is never more than one instance, and a
// final stop leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Owner } from '../../electron/engine/owner.js';
import { tempHome, freePort, assertNothingLeft, markedPids, waitFor, isLive } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { procStat, answers, portFree } from '../helpers/foreign.js';
import type { ActionResult } from '../../shared/api.js';

type Command = 'start' | 'stop' | 'restart';
const COMMANDS: Command[] = ['start', 'stop', 'restart'];

/** Deterministic pseudo-random numbers, so a failure can be replayed (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Instances alive: distinct process groups among the live marked processes, by their leaders. */
const instances = (prefix: string): number[] => [...new Set(markedPids(prefix).map((p) => procStat(p)?.pgid ?? p))];

async function storm(pacing: 'same-tick' | 'separate-ticks', seed: number, lasts: Command[]): Promise<void> {
  const { home, cleanup } = tempHome('f16');
  const port = await freePort();
  const owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100 });
  const prefix = owner.dir.markerPrefix('s', 'svc');
  const random = rng(seed);
  let maxInstances = 0;
  const sampler = setInterval(() => {
    maxInstances = Math.max(maxInstances, instances(prefix).length);
  }, 10);
  try {
    await owner.addStack(stack('s', [tcpService('svc', port)]));
    for (const [round, last] of lasts.entries()) {
      const cmds: Command[] = Array.from({ length: 19 }, () => COMMANDS[Math.floor(random() * 3)]!);
      cmds.push(last);
      const issued: Promise<ActionResult | Error>[] = [];
      for (const c of cmds) {
        issued.push(owner[c]('s', ['svc']).catch((e: Error) => e));
        if (pacing === 'separate-ticks') await new Promise((r) => setImmediate(r));
      }
      const results = await Promise.all(issued);
      const where = `round ${round} (seed ${seed}, ${pacing}): ${cmds.join(' ')}`;
      const errors = results.filter((r): r is Error => r instanceof Error);
      assert.deepEqual(errors.map((e) => e.message), [], `no command threw; ${where}`);
      const lastOutcome = (results.at(-1) as ActionResult).outcomes[0]!;
      assert.equal(lastOutcome.ok, true, `the last command (${last}) succeeded: ${JSON.stringify(lastOutcome)}; ${where}`);

      const s = owner.service('s', 'svc');
      const registry = JSON.parse(readFileSync(owner.dir.stacksFile, 'utf8'));
      const persisted = registry.stacks.find((x: { spec: { name: string } }) => x.spec.name === 's').desired.svc;
      if (last === 'stop') {
        assert.equal(s.state, 'stopped', `final state after a last stop; ${where}`);
        assert.equal(s.desired, 'down', where);
        assert.equal(persisted, 'down', `persisted desired; ${where}`);
        assert.equal(s.pid, null, where);
        assert.deepEqual(instances(prefix), [], `no instance left; ${where}`);
        assert.equal(await portFree(port), true, `port released; ${where}`);
      } else {
        assert.equal(s.state, 'running', `final state after a last ${last}; ${where}`);
        assert.equal(s.desired, 'up', where);
        assert.equal(persisted, 'up', `persisted desired; ${where}`);
        assert.deepEqual(instances(prefix), [s.pid], `exactly one instance, the recorded one; ${where}`);
        assert.equal(await answers(port, 'hello'), true, `it serves its port; ${where}`);
      }
      // And it stays that way: nothing queued or scheduled changes it afterwards.
      await new Promise((r) => setTimeout(r, 200));
      const later = owner.service('s', 'svc');
      assert.equal(later.state, s.state, `state stable; ${where}`);
      assert.equal(later.pid, s.pid, `pid stable; ${where}`);
      assert.deepEqual(instances(prefix), s.pid ? [s.pid] : [], `instances stable; ${where}`);
      assert.ok(maxInstances <= 1, `never more than one instance at a time (saw ${maxInstances}); ${where}`);
    }
    // A final stop leaves nothing: no process with the service's marker, port free.
    assert.equal((await owner.stop('s')).outcomes[0]!.ok, true);
    assert.deepEqual(markedPids(owner.dir.markerPrefix()), []);
    assert.equal(await portFree(port), true);
  } finally {
    clearInterval(sampler);
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
}

test('F16 start/stop/restart of one service, 20 issued in the same tick without awaiting, repeated: final state matches the last command; at most one instance; no orphan', async () => {
  await storm('same-tick', 0xf16, ['restart', 'stop']);
});

test('F16 start/stop/restart of one service, 20 issued one per event-loop turn (like separate requests) without awaiting, repeated: final state matches the last command; at most one instance; no orphan', async () => {
  await storm('separate-ticks', 0x16f, ['start', 'restart']);
});

test('F16 stop and start issued in the same tick on a running service: serialized in call order, the start wins and the service stays supervised', async () => {
  const { home, cleanup } = tempHome('f16');
  const port = await freePort();
  const owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100 });
  const prefix = owner.dir.markerPrefix('s', 'svc');
  try {
    await owner.addStack(stack('s', [tcpService('svc', port)]));
    assert.equal((await owner.start('s')).outcomes[0]!.ok, true);
    const [stopped, started] = await Promise.all([owner.stop('s', ['svc']), owner.start('s', ['svc'])]);
    const s = owner.service('s', 'svc');
    const outcomes = JSON.stringify([stopped.outcomes[0], started.outcomes[0]]);
    assert.equal(started.outcomes[0]!.ok, true, `the later start succeeded: ${outcomes}`);
    assert.equal(s.desired, 'up', `desired is what the last command asked: ${outcomes}`);
    assert.equal(s.state, 'running', `final state is what the last command asked: ${outcomes}`);
    assert.deepEqual(instances(prefix), [s.pid], 'exactly one instance');
    // Still supervised (the stop that was overtaken must not have left it unwatched): a crash is noticed and restarted.
    process.kill(s.pid!, 'SIGKILL');
    await waitFor(
      () => {
        const x = owner.service('s', 'svc');
        return x.state === 'running' && x.pid !== null && x.pid !== s.pid;
      },
      15_000,
      `restart after the crash of pid ${s.pid} (now ${JSON.stringify(owner.service('s', 'svc'))})`,
    );
    assert.equal((await owner.stop('s')).outcomes[0]!.ok, true);
    assert.deepEqual(markedPids(prefix), []);
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});

test('F16 stop then start while the first start is still waiting for its health check: ends running and still supervised', async () => {
  const { home, cleanup } = tempHome('f16');
  const owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100 });
  const prefix = owner.dir.markerPrefix('s', 'svc');
  // A health check that takes ~400 ms: the stop and the start arrive while it runs.
  const slowCheck = { kind: 'exec' as const, command: [process.execPath, '-e', 'setTimeout(() => process.exit(0), 400)'] };
  try {
    await owner.addStack(stack('s', [svc('svc', ['--tick', '1000'], { health: { check: slowCheck, intervalMs: 1000, timeoutMs: 2000, failureThreshold: 2 } })]));
    const first = owner.start('s');
    await waitFor(() => owner.service('s', 'svc').pid !== null, 3000, 'first instance spawned');
    const stop = owner.stop('s');
    await new Promise((r) => setImmediate(r));
    const start = owner.start('s');
    const results = await Promise.all([first, stop, start]);
    const messages = JSON.stringify(results.map((r) => r.outcomes[0]!.message));
    const s = await waitFor(
      () => {
        const x = owner.service('s', 'svc');
        return x.state === 'running' && x.pid !== null ? x : null;
      },
      3000,
      `running after the last start (now ${owner.service('s', 'svc').state}; outcomes ${messages})`,
    );
    assert.deepEqual(instances(prefix), [s.pid], 'exactly one instance');
    // Still supervised: a crash is noticed and the service restarted (policy on-failure).
    process.kill(s.pid!, 'SIGKILL');
    const again = await waitFor(
      () => {
        const x = owner.service('s', 'svc');
        return x.state === 'running' && x.pid !== null && x.pid !== s.pid ? x : null;
      },
      15_000,
      `restart after the crash of pid ${s.pid} (now ${JSON.stringify(owner.service('s', 'svc'))})`,
    );
    assert.equal(again.restarts, 1);
    assert.equal(isLive(s.pid!), false);
    assert.equal((await owner.stop('s')).outcomes[0]!.ok, true);
    assert.deepEqual(markedPids(prefix), []);
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});
