// F09: a state file points at a pid that now belongs to an unrelated process.
// The owner must prove identity (start time, and the marker where it can read
// it) before it adopts or signals anything; the stale record is cleaned and
// the service started fresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive, markedPids } from '../helpers/env.js';
import { stack, tcpService } from '../helpers/stack.js';
import { startForeign, newTag, procStat, answers, type Foreign } from '../helpers/foreign.js';

type Variant = 'wrong-start' | 'other-marker' | 'no-marker';

/** Group leaders among the live marked processes of a service. */
const leaders = (prefix: string) => markedPids(prefix).filter((pid) => procStat(pid)?.pgid === pid);

async function pidReuse(variant: Variant): Promise<void> {
  const { home, cleanup } = tempHome('f09');
  const dir = new DataDir(home);
  const tag = newTag('f09');
  const port = await freePort();
  // A short start timeout: if the foreign process were wrongly adopted, its health wait ends soon.
  const spec = stack('f09', [tcpService('api', port, [], { startTimeoutMs: 8000 })]);
  const prefix = dir.markerPrefix('f09', 'api');
  const logs: string[] = [];
  let first: Owner | null = null;
  let second: Owner | null = null;
  let foreign: Foreign | null = null;
  try {
    // A first owner starts the service (desired: up, recorded in stacks.json) and quits leaving it running.
    first = await Owner.open({ home, kind: 'embedded' });
    await first.addStack(spec);
    const started = await first.start('f09');
    assert.equal(started.outcomes[0]!.ok, true, JSON.stringify(started));
    const rec = JSON.parse(readFileSync(dir.stateFile('f09', 'api'), 'utf8'));
    await first.close({ stopServices: false });
    first = null;
    // Then the service dies while no owner runs, and its pid goes to an unrelated process.
    process.kill(rec.pid, 'SIGKILL');
    await waitFor(() => !isLive(rec.pid) && markedPids(prefix).length === 0, 10_000, 'old instance gone');

    const env: Record<string, string> = variant === 'other-marker' ? { CORRAL_INSTANCE: `0123456789ab/f09/api/not-this-data-dir` } : {};
    foreign = await startForeign({ tag, env });
    const planted = { ...rec, pid: foreign.pid, pgid: foreign.pid, start: variant === 'wrong-start' ? rec.start : foreign.start };
    if (variant === 'wrong-start') assert.notEqual(rec.start, foreign.start, 'test premise: start times differ');
    writeFileSync(dir.stateFile('f09', 'api'), JSON.stringify(planted, null, 2));

    second = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100, onLog: (l) => logs.push(l) });
    const adopted = logs.some((l) => l.includes(`adopted pid ${foreign!.pid}`)) || second.service('f09', 'api').pid === foreign.pid;
    assert.equal(adopted, false, `the unrelated process was adopted:\n${logs.join('\n')}`);
    foreign.assertUntouched('unrelated process named by the state file');
    assert.ok(
      logs.some((l) => l.includes(`pid ${foreign!.pid}`)),
      `the owner log says what it did with the stale record:\n${logs.join('\n')}`,
    );

    // Desired is up: the service is started fresh, with a new pid.
    const fresh = await waitFor(
      () => {
        const s = second!.service('f09', 'api');
        return s.state === 'running' && s.pid !== null ? s : null;
      },
      20_000,
      'service started fresh',
    );
    assert.notEqual(fresh.pid, foreign.pid);
    assert.notEqual(fresh.pid, rec.pid);
    assert.equal(fresh.adopted, false);
    assert.deepEqual(leaders(prefix), [fresh.pid], 'exactly one instance, the new one');
    assert.equal(await answers(port, 'hello'), true, 'the new instance serves its port');
    // State cleaned: the record now describes the new instance, not the unrelated process.
    const now = JSON.parse(readFileSync(dir.stateFile('f09', 'api'), 'utf8'));
    assert.equal(now.pid, fresh.pid);
    assert.notEqual(now.instance, rec.instance);
    foreign.assertUntouched('unrelated process named by the state file');

    const stopped = await second.stop('f09');
    assert.equal(stopped.outcomes[0]!.ok, true, JSON.stringify(stopped));
    assert.deepEqual(markedPids(prefix), []);
    foreign.assertUntouched('unrelated process named by the state file');
  } finally {
    await first?.close({ stopServices: true });
    await second?.close({ stopServices: true });
    await foreign?.kill();
    await assertNothingLeft({ markerPrefix: dir.markerPrefix(), tag });
    cleanup();
  }
}

test('F09 state file points at a reused pid (live unrelated process, different start time): not signalled, state cleaned, started fresh', async () => {
  await pidReuse('wrong-start');
});

test('F09 state file points at a live process with the right start time but another data dir marker: not signalled, state cleaned, started fresh', async () => {
  await pidReuse('other-marker');
});

test('F09 state file points at a live process with the right start time but no marker: not signalled, state cleaned, started fresh', async () => {
  await pidReuse('no-marker');
});
