// The owner dies (SIGKILL); services must not care, and the next owner adopts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive, markedPids } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { startOwnerProcess } from '../helpers/owner-process.js';
import type { Snapshot } from '../../shared/state.js';

const pidsOf = (snap: Snapshot) => Object.fromEntries(snap.stacks[0]!.services.map((s) => [s.name, s.pid]));

async function threeServices() {
  const [p1, p2] = [await freePort(), await freePort()];
  return stack('s', [
    tcpService('temporal', p1, ['--children', '1', '--tick', '20']),
    tcpService('server', p2, ['--tick', '20'], { dependsOn: { temporal: 'healthy' } }),
    svc('worker', ['--tick', '20'], { dependsOn: { server: 'healthy' } }),
  ]);
}

/** Group leaders among the live marked processes of a service: exactly one means no duplicate. */
function leaders(dir: DataDir, service: string): number[] {
  return markedPids(dir.markerPrefix('s', service)).filter((pid) => {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[2]) === pid;
  });
}

test('F07 owner SIGKILLed while 3 services run: they keep running and logging; next owner adopts the same pids', async () => {
  const { home, cleanup } = tempHome('f07');
  const dir = new DataDir(home);
  const spec = await threeServices();
  let second: Owner | null = null;
  try {
    const first = await startOwnerProcess(home, spec);
    const before = pidsOf(first.latest()!);
    assert.equal(Object.values(before).every((p) => p && isLive(p)), true, JSON.stringify(first.latest()));
    await first.kill('SIGKILL');
    // Still running and still logging without an owner.
    const size0 = statSync(dir.logFile('s', 'worker')).size;
    await waitFor(() => statSync(dir.logFile('s', 'worker')).size > size0, 3000, 'log growth without owner');
    assert.equal(Object.values(before).every((p) => isLive(p!)), true);

    second = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100 });
    const after = second.snapshot();
    assert.deepEqual(pidsOf(after), before, 'same pids');
    assert.equal(after.stacks[0]!.services.every((s) => s.adopted && s.state === 'running'), true, JSON.stringify(after));
    for (const name of ['temporal', 'server', 'worker']) assert.deepEqual(leaders(dir, name), [before[name]], `one ${name}`);
    assert.equal(markedPids(dir.markerPrefix('s', 'temporal')).length, 2, 'temporal and its child, nothing more');
    const stopped = await second.stop('s');
    assert.equal(stopped.outcomes.every((o) => o.ok), true);
  } finally {
    await second?.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: dir.markerPrefix() });
    cleanup();
  }
});

test('F08 owner SIGKILLed, then one service dies before the next owner: live ones adopted, only the dead one restarted', async () => {
  const { home, cleanup } = tempHome('f08');
  const dir = new DataDir(home);
  const spec = await threeServices();
  let second: Owner | null = null;
  try {
    const first = await startOwnerProcess(home, spec);
    const before = pidsOf(first.latest()!);
    await first.kill('SIGKILL');
    process.kill(before.worker!, 'SIGKILL');
    await waitFor(() => !isLive(before.worker!), 2000, 'worker dead');

    second = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100 });
    assert.equal(second.service('s', 'temporal').pid, before.temporal);
    assert.equal(second.service('s', 'server').pid, before.server);
    const worker = await waitFor(() => {
      const w = second!.service('s', 'worker');
      return w.state === 'running' && w.pid !== null ? w : null;
    }, 15_000, 'worker restarted');
    assert.notEqual(worker.pid, before.worker);
    assert.equal(second.service('s', 'temporal').adopted, true);
    assert.equal(worker.adopted, false);
    for (const name of ['temporal', 'server', 'worker']) assert.equal(leaders(dir, name).length, 1, `one ${name}`);
  } finally {
    await second?.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: dir.markerPrefix() });
    cleanup();
  }
});
