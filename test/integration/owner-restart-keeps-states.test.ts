// F42: a new owner (daemon stop/start, SIGKILL) shows what the previous owner
// knew of services no process accounts for: a failed service stays failed (not
// started again until the user asks), its dependents held on it, a completed
// task completed; a service that really died in between is restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { harness, svcYaml, type Harness } from './cli-harness.js';
import { assertNothingLeft, freePort, isLive, tempHome, waitFor } from '../helpers/env.js';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { stack, svc } from '../helpers/stack.js';
import type { ServiceSnapshot } from '../../shared/state.js';

// What `corral status --json` prints of a service: the snapshot's own type.
type Svc = ServiceSnapshot;

const stackYaml = (name: string, port: number) => `version: 1
name: ${name}
services:
  c:
    command: ["sh", "-c", "sleep 1; exit 3"]
    health: { tcp: { port: ${port} } }
    restart: { policy: on-failure, backoff: 50ms, max_backoff: 200ms, crash_loop: { count: 2, window: 60s } }
  dep:
    command: ["sh", "-c", "sleep 1000"]
    depends_on: { c: healthy }
  once:
    command: ["sh", "-c", "echo done"]
    oneshot: true
${svcYaml('run', ['--tick', '50'])}`;

const services = async (h: Harness, dir: string) => {
  const s = (await h.json<{ services: Svc[] }[]>(['status'], { cwd: dir }))[0]!.services;
  return Object.fromEntries(s.map((x) => [x.name, x])) as Record<string, Svc>;
};

/** `name: started as` lines in owner.log. */
const starts = (h: Harness, stack: string, name: string) => readFileSync(h.dir.ownerLog, 'utf8').split('\n').filter((l) => l.includes(`${stack}/${name}: started as`)).length;

async function settle(h: Harness, dir: string): Promise<Record<string, Svc>> {
  const up = await h.run(['up'], { cwd: dir });
  assert.equal(up.code, 1, up.stdout + up.stderr);
  return waitFor(
    async () => {
      const s = await services(h, dir);
      return s.c!.state === 'failed' && s.once!.state === 'completed' && s.dep!.state === 'held' && s.run!.state === 'running' ? s : null;
    },
    30_000,
    'c failed, once completed, dep held, run running',
  );
}

function assertKept(before: Record<string, Svc>, after: Record<string, Svc>): void {
  assert.equal(after.c!.state, 'failed', JSON.stringify(after.c));
  assert.match(after.c!.reason ?? '', /not restarting until you do/);
  assert.equal(after.c!.reason, before.c!.reason);
  assert.equal(after.c!.restarts, before.c!.restarts);
  assert.equal(after.c!.lastExit?.code, 3);
  assert.equal(after.dep!.state, 'held', JSON.stringify(after.dep));
  assert.equal(after.dep!.held?.dependency, 'c');
  assert.equal(after.dep!.held?.state, 'failed');
  assert.equal(after.once!.state, 'completed', JSON.stringify(after.once));
  assert.equal(after.once!.lastExit?.code, 0);
}

test('F42 daemon stop/start: a failed service stays failed and is not started, its dependent held, a completed task completed; restart starts it', async () => {
  const h = harness('f42-stop');
  try {
    const dir = h.project();
    h.writeStack(dir, stackYaml('f42', await freePort()));
    const before = await settle(h, dir);
    const cStarts = starts(h, 'f42', 'c');
    const onceStarts = starts(h, 'f42', 'once');
    assert.equal((await h.run(['daemon', 'stop'])).code, 0);
    assert.equal((await h.run(['daemon', 'start'])).code, 0);
    assert.equal((await services(h, dir)).run!.pid, before.run!.pid, 'run adopted');
    // c restarted within 60 ms of a new owner before: watch for 2 s that nothing starts it.
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      assertKept(before, await services(h, dir));
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(starts(h, 'f42', 'c'), cStarts, 'c not started by the new owner');

    // `up` does not run the completed task again; it starts the failed service (which fails again).
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 1, up.stdout + up.stderr);
    assert.ok(starts(h, 'f42', 'c') > cStarts, 'up starts c');
    assert.equal(starts(h, 'f42', 'once'), onceStarts, 'once not run again');
    assert.equal((await services(h, dir)).once!.state, 'completed');

    // Once more through a restart of the owner, then the user's restart starts it.
    await waitFor(async () => (await services(h, dir)).c!.state === 'failed', 30_000, 'c failed again');
    assert.equal((await h.run(['daemon', 'stop'])).code, 0);
    assert.equal((await h.run(['daemon', 'start'])).code, 0);
    const n = starts(h, 'f42', 'c');
    assert.equal((await services(h, dir)).c!.state, 'failed');
    await h.run(['restart', 'c'], { cwd: dir });
    assert.ok(starts(h, 'f42', 'c') > n, 'restart starts c');
  } finally {
    await h.cleanup();
  }
});

test('F42 owner SIGKILLed: failed and completed are kept; a service SIGKILLed while no owner ran is restarted', async () => {
  const h = harness('f42-kill');
  try {
    const dir = h.project();
    h.writeStack(dir, stackYaml('f42k', await freePort()));
    const before = await settle(h, dir);
    const cStarts = starts(h, 'f42k', 'c');
    const owner = h.ownerPid()!;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 5000, 'owner gone');
    const victim = before.run!.pid!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !isLive(victim), 5000, 'run gone');

    const after = await waitFor(
      async () => {
        const s = await services(h, dir);
        return s.run!.state === 'running' && s.run!.pid !== victim ? s : null;
      },
      15_000,
      'run restarted',
    );
    assertKept(before, after);
    assert.equal(starts(h, 'f42k', 'c'), cStarts, 'c not started by the new owner');
  } finally {
    await h.cleanup();
  }
});

test('F42 after a reboot (another boot id) the kept states do not apply: the failed service starts, the task is not completed', async () => {
  const { home, cleanup } = tempHome('f42-boot');
  const dir = new DataDir(home);
  const logs: string[] = [];
  let owner: Owner | null = null;
  try {
    const spec = stack('f42b', [svc('c', ['--exit-after', '50', '--code', '3'], { restart: { policy: 'never', backoffMs: 50, maxBackoffMs: 400, resetAfterMs: 5000, crashLoopCount: 5, crashLoopWindowMs: 10_000 }, readyAfterMs: 2000 }), svc('once', ['--exit-after', '10', '--code', '0'], { oneshot: true })]);
    owner = await Owner.open({ home, kind: 'embedded' });
    await owner.addStack(spec);
    await owner.start('f42b');
    assert.deepEqual(['c', 'once'].map((n) => owner!.service('f42b', n).state), ['failed', 'completed']);
    await owner.close({ stopServices: false });
    // Same boot: kept.
    owner = await Owner.open({ home, kind: 'embedded' });
    assert.deepEqual(['c', 'once'].map((n) => owner!.service('f42b', n).state), ['failed', 'completed']);
    await owner.close({ stopServices: false });
    // "Reboot": the records name another boot.
    const reg = JSON.parse(readFileSync(dir.stacksFile, 'utf8'));
    for (const r of Object.values(reg.stacks[0].rest as Record<string, { boot: string }>)) r.boot = 'an-earlier-boot';
    writeFileSync(dir.stacksFile, JSON.stringify(reg));
    owner = await Owner.open({ home, kind: 'embedded', onLog: (l) => logs.push(l) });
    assert.equal(owner.service('f42b', 'once').state, 'stopped');
    await waitFor(() => logs.some((l) => l.includes('f42b/c: started as')), 10_000, 'c started fresh after the reboot');
    await waitFor(() => owner!.service('f42b', 'c').state === 'failed', 10_000, 'c failed again');
    await owner.close({ stopServices: true });
    owner = null;
    await assertNothingLeft({ markerPrefix: dir.markerPrefix() });
  } finally {
    await owner?.close({ stopServices: true });
    cleanup();
  }
});
