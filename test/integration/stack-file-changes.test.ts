// The stack file changed on disk (process-compose and pitchfork users expect
// the tool to notice): the owner shows what `corral up` would do (pending),
// restarts nothing by itself, and applies on one action (`applyStack`, or
// `corral up`). And `watch: [paths]`: a service restarts when files under its
// paths change, once per burst, never for node_modules or .git, and only while
// it is up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { harness, svcYaml, type Harness } from './cli-harness.js';
import { isLive, waitFor } from '../helpers/env.js';
import { ControlClient, ControlError } from '../../electron/host/control/client.js';
import type { StackChange } from '../../shared/state.js';

interface ServiceJson {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  watchRestart?: { file: string; others: number } | null;
}
interface StackJson {
  name: string;
  services: ServiceJson[];
  pending: StackChange | null;
}

/** Bound on noticing a saved file (300 ms debounce + a read) on a loaded machine. */
const NOTICE_MS = 15_000;

const client = (h: Harness) => ControlClient.connect((JSON.parse(readFileSync(h.dir.lockFile, 'utf8')) as { socket: string }).socket);

async function stackOf(h: Harness, dir: string): Promise<StackJson> {
  return (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!;
}
const pids = (st: StackJson) => Object.fromEntries(st.services.map((s) => [s.name, s.pid]));

test('a changed stack file is shown as pending, never applied by itself; applyStack and corral up apply it', async () => {
  const h = harness('stack-change');
  try {
    const dir = h.project('app');
    const file = (api: string, extra = '', keepOld = true) =>
      `version: 1
name: app
services:
${svcYaml('api', ['--tick', '1000'], `    env: { MODE: "${api}" }\n`)}${svcYaml('worker', ['--tick', '1000'])}${keepOld ? svcYaml('old-worker', ['--tick', '1000']) : ''}${extra}`;
    const original = file('one');
    h.writeStack(dir, original);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const running = pids(await stackOf(h, dir));
    assert.equal((await stackOf(h, dir)).pending, null);

    // api's env changes, cache is added, old-worker is removed: shown, not done.
    h.writeStack(dir, file('two', svcYaml('cache', ['--tick', '1000']), false));
    const st = await waitFor(async () => {
      const s = await stackOf(h, dir);
      return s.pending && s.pending.add.length > 0 ? s : null;
    }, NOTICE_MS, 'the change to show as pending');
    assert.deepEqual({ ...st.pending!, at: 0 }, { at: 0, error: null, restart: ['api'], add: ['cache'], remove: ['old-worker'] });
    assert.deepEqual(pids(st), running, 'nothing restarted, nothing stopped, nothing added');
    assert.ok(Object.values(running).every((p) => p !== null && isLive(p)));
    const human = await h.run(['status'], { cwd: dir });
    assert.match(human.stdout, /corral\.yaml changed (just now|\d+ s ago): `corral up` would restart api; add cache; stop old-worker/);

    // An invalid edit: the validator's message, nothing to apply, nothing changed.
    writeFileSync(join(dir, 'corral.yaml'), original.replace('name: app', 'name: app\nbogus: 1'));
    const bad = await waitFor(async () => {
      const s = await stackOf(h, dir);
      return s.pending?.error ? s : null;
    }, NOTICE_MS, 'the invalid file to show as pending with an error');
    assert.match(bad.pending!.error!, /corral\.yaml:3:1: .*Unknown field "bogus"/);
    assert.deepEqual(bad.pending!.restart, []);
    const c = await client(h);
    try {
      await assert.rejects(c.call('applyStack', { stack: 'app' }), (e: ControlError) => e.code === 'bad-request' && /Unknown field "bogus"/.test(e.message));
      assert.deepEqual(pids(await stackOf(h, dir)), running, 'a refused apply changes nothing');
      assert.match((await h.run(['status'], { cwd: dir })).stdout, /corral\.yaml changed .* and cannot be applied: .*Unknown field "bogus"/);

      // Changed back to what runs: nothing pending.
      writeFileSync(join(dir, 'corral.yaml'), original);
      await waitFor(async () => (await stackOf(h, dir)).pending === null, NOTICE_MS, 'pending to clear after the revert');
      assert.deepEqual(pids(await stackOf(h, dir)), running);

      // Apply (the window's and the tray's call): api restarted, cache started, old-worker stopped.
      h.writeStack(dir, file('two', svcYaml('cache', ['--tick', '1000']), false));
      await waitFor(async () => (await stackOf(h, dir)).pending?.add.length === 1, NOTICE_MS, 'pending again');
      const applied = await c.call('applyStack', { stack: 'app' });
      assert.deepEqual(applied.recreated, ['api']);
      const ownerLog = readFileSync(h.dir.ownerLog, 'utf8');
      assert.match(ownerLog, /app: .*corral\.yaml changed on disk; not applied until `corral up` or Apply/);
      assert.match(ownerLog, /app: applying .*corral\.yaml \(restart api; add cache; stop old-worker\)/);
      assert.ok(applied.outcomes.every((o) => o.ok), JSON.stringify(applied.outcomes));
      const after = await stackOf(h, dir);
      assert.deepEqual(after.services.map((s) => [s.name, s.state]), [['api', 'running'], ['worker', 'running'], ['cache', 'running']]);
      assert.notEqual(pids(after).api, running.api);
      assert.equal(pids(after).worker, running.worker, 'an unchanged service is left alone');
      await waitFor(() => !isLive(running['old-worker']!), 10_000, 'old-worker stopped');
      await waitFor(async () => (await stackOf(h, dir)).pending === null, NOTICE_MS, 'pending cleared by the apply');

      // `corral up` applies too, and clears it.
      h.writeStack(dir, file('two', svcYaml('cache', ['--tick', '1000'], '    env: { SIZE: "2" }\n'), false));
      await waitFor(async () => (await stackOf(h, dir)).pending?.restart.includes('cache'), NOTICE_MS, 'the cache change pending');
      const cachePid = pids(await stackOf(h, dir)).cache;
      const up2 = await h.run(['up'], { cwd: dir });
      assert.equal(up2.code, 0, up2.stdout + up2.stderr);
      assert.notEqual(pids(await stackOf(h, dir)).cache, cachePid);
      await waitFor(async () => (await stackOf(h, dir)).pending === null, NOTICE_MS, 'pending cleared by corral up');

      // A deleted file says so; what runs goes on.
      const before = pids(await stackOf(h, dir));
      rmSync(join(dir, 'corral.yaml'));
      const gone = await waitFor(async () => {
        const s = (await c.call('snapshot', {})).stacks.find((x) => x.name === 'app')!;
        return s.pending?.error ? s : null;
      }, NOTICE_MS, 'the deleted file to show');
      assert.match(gone.pending!.error!, /no longer exists/);
      assert.deepEqual(Object.fromEntries(gone.services.map((s) => [s.name, s.pid])), before);
    } finally {
      c.close();
    }
  } finally {
    await h.cleanup();
  }
});

test('corral up SERVICE applies the change of that service only: the others\' changes stay pending', async () => {
  const h = harness('stack-change-partial');
  try {
    const dir = h.project('duo');
    const file = (a: string, b: string) =>
      `version: 1
name: duo
services:
${svcYaml('app', ['--tick', '1000'], `    env: { MODE: "${a}" }\n`)}${svcYaml('app2', ['--tick', '1000'], `    env: { MODE: "${b}" }\n`)}`;
    h.writeStack(dir, file('one', 'one'));
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const running = pids(await stackOf(h, dir));

    h.writeStack(dir, file('two', 'two'));
    await waitFor(async () => (await stackOf(h, dir)).pending?.restart.length === 2, NOTICE_MS, 'both changes pending');
    const up = await h.run(['up', 'app2'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const after = await stackOf(h, dir);
    assert.notEqual(after.services.find((s) => s.name === 'app2')!.pid, running.app2, 'app2 restarted');
    assert.equal(after.services.find((s) => s.name === 'app')!.pid, running.app, 'app left alone');
    // app still runs its old definition: its change is still to be applied, and a plain `corral up` applies it.
    const still = await waitFor(async () => {
      const s = await stackOf(h, dir);
      return s.pending?.restart.length === 1 ? s : null;
    }, NOTICE_MS, "app's change to stay pending");
    assert.deepEqual(still.pending!.restart, ['app']);
    const upAll = await h.run(['up'], { cwd: dir });
    assert.equal(upAll.code, 0, upAll.stdout + upAll.stderr);
    assert.notEqual(pids(await stackOf(h, dir)).app, running.app, 'a plain up restarts app');
    await waitFor(async () => (await stackOf(h, dir)).pending === null, NOTICE_MS, 'nothing pending after a plain up');
  } finally {
    await h.cleanup();
  }
});

test('watch: a change under a watched path restarts the service once per burst; node_modules, .git and a stopped service are left alone', async () => {
  const h = harness('watch');
  try {
    const dir = h.project('w');
    mkdirSync(join(dir, 'src', 'node_modules', 'lib'), { recursive: true });
    mkdirSync(join(dir, 'src', '.git'), { recursive: true });
    writeFileSync(join(dir, 'src', 'server.js'), '// v1\n');
    // A crash loop of 2 would fail the service by the second restart, if restarts for changes counted as crashes.
    h.writeStack(dir, `version: 1\nname: w\nservices:\n${svcYaml('web', ['--tick', '1000'], '    watch: [src]\n', '{ policy: on-failure, backoff: 50ms, max_backoff: 400ms, crash_loop: { count: 2, window: 60s } }')}`);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const web = async () => (await stackOf(h, dir)).services[0]!;
    const ownerLog = () => readFileSync(h.dir.ownerLog, 'utf8');
    const restartsLogged = () => (ownerLog().match(/w\/web: restarting: /g) ?? []).length;
    const first = (await web()).pid!;

    writeFileSync(join(dir, 'src', 'server.js'), '// v2\n');
    const second = await waitFor(async () => {
      const s = await web();
      return s.state === 'running' && s.pid !== first ? s : null;
    }, NOTICE_MS, 'a restart for src/server.js');
    assert.equal(isLive(first), false);
    assert.match(ownerLog(), /w\/web: restarting: src\/server\.js changed/);
    assert.deepEqual(second.watchRestart && { file: second.watchRestart.file, others: second.watchRestart.others }, { file: 'src/server.js', others: 0 });
    assert.match((await h.run(['status'], { cwd: dir })).stdout, /restarted: src\/server\.js changed/);
    assert.equal(second.restarts, 0, 'not counted as a crash restart');

    // A burst of writes (a formatter, a git checkout): one restart.
    const logged = restartsLogged();
    let widestGap = 0;
    for (let i = 0, last = performance.now(); i < 6; i++) {
      writeFileSync(join(dir, 'src', `f${i}.js`), `// ${i}\n`);
      widestGap = Math.max(widestGap, performance.now() - last);
      last = performance.now();
      await sleep(60);
    }
    const third = await waitFor(async () => {
      const s = await web();
      return s.state === 'running' && s.pid !== second.pid ? s : null;
    }, NOTICE_MS, 'a restart for the burst');
    // Quiet for well past the debounce: no second restart follows.
    await sleep(2000);
    // A test process stalled past the debounce between two writes made two bursts; that says nothing about the debounce.
    if (widestGap < 400) {
      assert.equal(restartsLogged(), logged + 1, ownerLog());
      assert.equal((await web()).pid, third.pid);
    }
    assert.equal((await web()).state, 'running', 'three restarts for changes are no crash loop');

    // node_modules, .git and editor temporary files do not count.
    writeFileSync(join(dir, 'src', 'node_modules', 'lib', 'index.js'), 'x\n');
    writeFileSync(join(dir, 'src', '.git', 'HEAD'), 'ref: refs/heads/x\n');
    writeFileSync(join(dir, 'src', '.server.js.swp'), 'x\n');
    writeFileSync(join(dir, 'src', 'server.js~'), 'x\n');
    await sleep(2000);
    assert.equal((await web()).pid, third.pid, ownerLog());

    // A directory created later (a change in itself) is watched too.
    const quiet = (await web()).pid;
    mkdirSync(join(dir, 'src', 'routes'));
    const withRoutes = await waitFor(async () => {
      const s = await web();
      return s.state === 'running' && s.pid !== quiet ? s : null;
    }, NOTICE_MS, 'a restart for the new directory');
    await sleep(1000);
    writeFileSync(join(dir, 'src', 'routes', 'a.js'), '// a\n');
    const fourth = await waitFor(async () => {
      const s = await web();
      return s.state === 'running' && s.pid !== withRoutes.pid ? s : null;
    }, NOTICE_MS, 'a restart for a file in the new directory');
    assert.match(ownerLog(), /restarting: src\/routes\/a\.js changed/);

    // Stopped by the user: no longer watched.
    const down = await h.run(['down'], { cwd: dir });
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assert.equal(isLive(fourth.pid!), false);
    const stoppedAt = restartsLogged();
    writeFileSync(join(dir, 'src', 'server.js'), '// v3\n');
    await sleep(2000);
    assert.equal((await web()).state, 'stopped');
    assert.equal(restartsLogged(), stoppedAt);
  } finally {
    await h.cleanup();
  }
});

test('watch: a path that does not exist is an error at up, naming it, and in a changed file', async () => {
  const h = harness('watch-missing');
  try {
    assert.equal((await h.run(['daemon', 'start'])).code, 0);
    const dir = h.project('m');
    mkdirSync(join(dir, 'src'));
    const yaml = (paths: string) => `version: 1\nname: m\nservices:\n${svcYaml('web', ['--tick', '1000'], `    watch: [${paths}]\n`)}`;
    h.writeStack(dir, yaml('src, lib/missing'));
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 3, up.stdout + up.stderr);
    assert.match(up.stderr, /corral\.yaml:\d+:\d+: services\.web\.watch\[1\]: Watched path "lib\/missing" \(.*\/m\/lib\/missing\) does not exist/);

    h.writeStack(dir, yaml('src'));
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    h.writeStack(dir, yaml('src, lib/missing'));
    const st = await waitFor(async () => {
      const s = await stackOf(h, dir);
      return s.pending?.error ? s : null;
    }, NOTICE_MS, 'the missing path in the changed file');
    assert.match(st.pending!.error!, /Watched path "lib\/missing" .* does not exist/);
  } finally {
    await h.cleanup();
  }
});

test('watch: a watched directory deleted and created again, or renamed away and back, is watched again without up or restart; its note names it', async () => {
  const h = harness('watch-replaced');
  try {
    const dir = h.project('r');
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'm.js'), '// v1\n');
    h.writeStack(dir, `version: 1\nname: r\nservices:\n${svcYaml('web', ['--tick', '1000'], '    watch: [src]\n')}`);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const web = async () => (await stackOf(h, dir)).services[0]!;
    const ownerLog = () => readFileSync(h.dir.ownerLog, 'utf8');
    // Running with the same pid for 1.5 s: no restart of an earlier burst is still to come.
    const settle = async () => {
      let last: number | null = null;
      return waitFor(async () => {
        const s = await web();
        const stable = s.state === 'running' && s.pid === last;
        last = s.state === 'running' ? s.pid : null;
        if (!stable) await sleep(1500);
        return stable ? s.pid : null;
      }, NOTICE_MS * 2, 'a settled service');
    };
    const restartedFrom = (pid: number | null, what: string) =>
      waitFor(async () => {
        const s = await web();
        return s.state === 'running' && s.pid !== pid ? s : null;
      }, NOTICE_MS, what);

    // A branch switch or a build tool replacing the folder: one restart, naming the folder (not src/src).
    const first = (await web()).pid;
    rmSync(src, { recursive: true });
    mkdirSync(src);
    writeFileSync(join(src, 'm.js'), 'x\n');
    const second = await restartedFrom(first, 'a restart for the replaced folder');
    // The folder itself (its new m.js too, when the new watch was set before the write).
    assert.match(second.watchRestart?.file ?? '', /^src(\/m\.js)?$/, JSON.stringify(second.watchRestart));
    assert.doesNotMatch(ownerLog(), /src\/src/);
    const settled = await settle();
    // Still watched: a later change restarts it, with no `up` or `restart`.
    writeFileSync(join(src, 'm.js'), 'y\n', { flag: 'a' });
    const third = await restartedFrom(settled, 'a restart for a change in the new folder');
    assert.equal(third.watchRestart?.file, 'src/m.js');

    // Renamed away: said once in owner.log; its return is a change, and it is watched again.
    await settle();
    const goneLines = () => (ownerLog().match(/r\/web: watch: src is gone; watching for it to come back/g) ?? []).length;
    const goneBefore = goneLines();
    renameSync(src, join(dir, 'src.old'));
    await waitFor(() => goneLines() > goneBefore, NOTICE_MS, 'the gone line');
    const whileGone = await settle();
    mkdirSync(src);
    const back = await restartedFrom(whileGone, 'a restart for the folder back');
    assert.equal(back.watchRestart?.file, 'src');
    const settledBack = await settle();
    writeFileSync(join(src, 'n.js'), 'n\n');
    const after = await restartedFrom(settledBack, 'a restart for a change after the return');
    assert.equal(after.watchRestart?.file, 'src/n.js');
    assert.equal(goneLines(), goneBefore + 1, `said once while it was gone: ${ownerLog()}`);
  } finally {
    await h.cleanup();
  }
});

test('watch: the file system root and the home directory are refused at up, naming the path and why', async () => {
  const h = harness('watch-refused');
  try {
    const dir = h.project('x');
    mkdirSync(join(dir, 'src'));
    const yaml = (paths: string) => `version: 1\nname: x\nservices:\n${svcYaml('web', ['--tick', '1000'], `    watch: [${paths}]\n`)}`;
    h.writeStack(dir, yaml('src, /'));
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 3, up.stdout + up.stderr);
    assert.match(up.stderr, /services\.web\.watch\[1\]: Watched path "\/" is the root of the file system/);
    h.writeStack(dir, yaml(`src, "${h.dir.home}/logs"`));
    const logs = await h.run(['up'], { cwd: dir });
    assert.equal(logs.code, 3, logs.stdout + logs.stderr);
    assert.match(logs.stderr, /services\.web\.watch\[1\]: .* contains Corral's log directory/);
    assert.equal((await stackOf(h, dir).catch(() => null))?.services[0]?.pid ?? null, null, 'nothing started');
  } finally {
    await h.cleanup();
  }
});
