// F17: the state file of a running service is deleted. The service is still
// found (marker, group, port) and can be stopped; a new owner finds it by its
// marker and re-adopts it, or replaces it cleanly, never duplicates it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive, markedPids } from '../helpers/env.js';
import { stack, tcpService } from '../helpers/stack.js';
import { procStat, answers, portFree } from '../helpers/foreign.js';

/** Group leaders among the live marked processes of a service: one means one instance. */
const leaders = (prefix: string) => markedPids(prefix).filter((pid) => procStat(pid)?.pgid === pid);

test('F17 state file deleted while the service runs, owner still running: stop ends the whole group and releases the port', async () => {
  const { home, cleanup } = tempHome('f17a');
  const port = await freePort();
  const owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100 });
  const prefix = owner.dir.markerPrefix('f17', 'api');
  try {
    await owner.addStack(stack('f17', [tcpService('api', port, ['--children', '2'])]));
    const r = await owner.start('f17');
    assert.equal(r.outcomes[0]!.ok, true, JSON.stringify(r));
    const pid = owner.service('f17', 'api').pid!;
    const pids = markedPids(prefix);
    assert.equal(pids.length, 3, 'leader and two children');
    rmSync(owner.dir.stateFile('f17', 'api'));
    rmSync(owner.dir.stateDir('f17'), { recursive: true, force: true });

    // Nothing changes while it runs: it is still watched and still serves.
    assert.equal(owner.service('f17', 'api').state, 'running');
    assert.equal(await answers(port, 'hello'), true);

    const stopped = await owner.stop('f17');
    const o = stopped.outcomes[0]!;
    assert.equal(o.ok, true, JSON.stringify(stopped));
    assert.doesNotMatch(o.message, /not running/, 'it was found and stopped, not reported as not running');
    assert.equal(owner.service('f17', 'api').state, 'stopped');
    assert.deepEqual(markedPids(prefix), [], 'leader and children gone');
    assert.equal(
      pids.every((p) => !isLive(p)),
      true,
      `every process of the instance ended (leader ${pid})`,
    );
    assert.equal(await portFree(port), true, 'port released');
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});

test('F17 state file deleted while no owner runs: the next owner finds the service by its marker (re-adopts the same pid, no duplicate) and it stays supervised and stoppable', async (t) => {
  const { home, cleanup } = tempHome('f17b');
  const dir = new DataDir(home);
  const port = await freePort();
  const prefix = dir.markerPrefix('f17', 'api');
  const logs: string[] = [];
  let second: Owner | null = null;
  try {
    const first = await Owner.open({ home, kind: 'embedded' });
    await first.addStack(stack('f17', [tcpService('api', port, ['--children', '2'])]));
    const r = await first.start('f17');
    assert.equal(r.outcomes[0]!.ok, true, JSON.stringify(r));
    const pid = first.service('f17', 'api').pid!;
    const pids = markedPids(prefix).sort();
    assert.equal(pids.length, 3, 'leader and two children');
    await first.close({ stopServices: false });
    rmSync(dir.stateFile('f17', 'api'));

    second = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100, onLog: (l) => logs.push(l) });
    const s = await waitFor(
      () => {
        const x = second!.service('f17', 'api');
        return x.state === 'running' && x.pid !== null ? x : null;
      },
      8000,
      'service running under the new owner',
    );
    const all = logs.join('\n');
    t.diagnostic(s.pid === pid ? `re-adopted pid ${pid}` : `replaced pid ${pid} by ${s.pid}`);
    if (s.pid === pid) {
      // Re-adopted: the same instance, whole, and recorded again.
      assert.equal(s.adopted, true);
      assert.deepEqual(markedPids(prefix).sort(), pids, `same processes, nothing swept, nothing added:\n${all}`);
      assert.equal(JSON.parse(readFileSync(dir.stateFile('f17', 'api'), 'utf8')).pid, pid, 'state file written again');
    } else {
      // Replaced: the old instance ended completely before the new one.
      assert.equal(
        pids.every((p) => !isLive(p)),
        true,
        `old instance fully ended:\n${all}`,
      );
    }
    assert.deepEqual(leaders(prefix), [s.pid], `exactly one instance:\n${all}`);
    assert.equal(await answers(port, 'hello'), true);

    // It is watched: a crash of its leader is noticed, its children are cleaned up, and it is restarted.
    process.kill(s.pid!, 'SIGKILL');
    const again = await waitFor(
      () => {
        const x = second!.service('f17', 'api');
        return x.state === 'running' && x.pid !== null && x.pid !== s.pid ? x : null;
      },
      15_000,
      `restart after the crash of pid ${s.pid}`,
    );
    assert.equal(
      pids.every((p) => !isLive(p)),
      true,
      'the crashed instance left no children behind',
    );
    assert.deepEqual(leaders(prefix), [again.pid], 'one instance after the restart');

    const stopped = await second.stop('f17');
    assert.equal(stopped.outcomes[0]!.ok, true, JSON.stringify(stopped));
    assert.doesNotMatch(stopped.outcomes[0]!.message, /not running/);
    assert.deepEqual(markedPids(prefix), []);
    assert.equal(await portFree(port), true, 'port released');
    assert.equal(existsSync(dir.stateFile('f17', 'api')), false);
  } finally {
    await second?.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: dir.markerPrefix() });
    cleanup();
  }
});
