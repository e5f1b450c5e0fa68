// Readiness that tells the truth and one-shot tasks, through the CLI as a user
// runs them: a task that runs once before what needs it; a failed task that
// holds its dependents; a service without a health check that dies at once; a
// port taken by another program, named from the service's own log; a wrong
// health path; a task whose owner died while it ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, SVC } from './cli-harness.js';
import { freePort, waitFor, isLive, fixture } from '../helpers/env.js';
import { startForeign, newTag } from '../helpers/foreign.js';
import type { ServiceSnapshot, StackSnapshot } from '../../shared/state.js';

const node = (args: string[]) => JSON.stringify(['${CORRAL_NODE}', ...args]);
const svcOf = (stacks: StackSnapshot[], name: string): ServiceSnapshot => stacks[0]?.services.find((s) => s.name === name) ?? ({ state: 'unknown' } as unknown as ServiceSnapshot);
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

function taskStack(dir: string, migrate: string, extra = ''): string {
  return `version: 1
name: shop
services:
  migrate:
    command: ${JSON.stringify(migrate)}
    oneshot: true
${extra}  api:
    command: ${node([SVC, '--tick', '1000'])}
    depends_on: { migrate: completed }
    ready_after: 0s
`;
}

test('a one-shot task runs before what needs it, once; again only when named or changed', async () => {
  const h = harness('task');
  try {
    const dir = h.project('shop');
    const runs = join(dir, 'runs.txt');
    const migrate = `echo "migrating"; echo run >> ${runs}; echo "schema v2"`;
    h.writeStack(dir, taskStack(dir, migrate));
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /✓ migrate +completed in \S+ \(exit code 0\)/);
    assert.match(up.stdout, /✓ api +(started|running) \(pid \d+\)/);
    assert.equal(lines(runs).length, 1);
    let st = await h.json<StackSnapshot[]>(['status'], { cwd: dir });
    assert.equal(svcOf(st, 'migrate').state, 'completed');
    assert.equal(svcOf(st, 'api').state, 'running');
    const status = await h.run(['status'], { cwd: dir });
    assert.match(status.stdout, /^shop {2}running; migrate completed /m, status.stdout);
    assert.match(status.stdout, /^migrate +completed .*completed: exited with code 0$/m, status.stdout);

    const again = await h.run(['up'], { cwd: dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(lines(runs).length, 1, 'not run again: it completed since the owner started');
    assert.match(again.stdout, /✓ migrate +completed earlier; `corral up migrate` runs it again/);

    const named = await h.run(['up', 'migrate'], { cwd: dir });
    assert.equal(named.code, 0, named.stdout + named.stderr);
    assert.equal(lines(runs).length, 2, 'named: run again');

    h.writeStack(dir, taskStack(dir, migrate, '    env: { TARGET: v3 }\n'));
    const changed = await h.run(['up'], { cwd: dir });
    assert.equal(changed.code, 0, changed.stdout + changed.stderr);
    assert.equal(lines(runs).length, 3, 'its definition changed: run again');
    st = await h.json<StackSnapshot[]>(['status'], { cwd: dir });
    assert.equal(svcOf(st, 'api').restarts, 0, 'the running service was not touched');
  } finally {
    await h.cleanup();
  }
});

test('a failed task holds its dependents; up exits 1 naming the task, its exit code and its last log lines', async () => {
  const h = harness('task-fail');
  try {
    const dir = h.project('shop');
    h.writeStack(dir, taskStack(dir, 'echo "applying 0042_orders"; echo "ERROR: relation orders already exists" >&2; exit 3'));
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 1, up.stdout + up.stderr);
    assert.match(up.stdout, /✗ migrate +migrate exited with code 3 after/);
    assert.match(up.stdout, /\| ERROR: relation orders already exists/);
    assert.match(up.stdout, /✗ api +not started: waiting for migrate to be completed \(migrate is failed\)/);
    const st = await h.json<StackSnapshot[]>(['status'], { cwd: dir });
    assert.deepEqual([svcOf(st, 'migrate').state, svcOf(st, 'api').state, svcOf(st, 'api').pid], ['failed', 'held', null]);
    assert.equal(svcOf(st, 'migrate').restarts, 0, 'a task is never restarted');
  } finally {
    await h.cleanup();
  }
});

test('without a health check, a service that exits within ready_after is a failed start, not "started"', async () => {
  const h = harness('ready-after');
  try {
    const dir = h.project('s7');
    h.writeStack(dir, `version: 1\nname: s7\nservices:\n  web:\n    command: ${node([SVC, '--exit-after', '100', '--code', '1'])}\n    restart: { policy: on-failure, backoff: 5s }\n`);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 1, up.stdout + up.stderr);
    assert.match(up.stdout, /✗ web +web exited with code 1 during startup/);
    assert.match(up.stdout, /\| exiting with 1/);
    assert.doesNotMatch(up.stdout, /is up/);
  } finally {
    await h.cleanup();
  }
});

test('a service that dies because its (undeclared) port is taken names the program holding it', async () => {
  const h = harness('in-use');
  const tag = newTag('in-use');
  const port = await freePort();
  const holder = await startForeign({ tag, port, host: '127.0.0.1' });
  try {
    const dir = h.project('s8');
    const listen = `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'))`;
    h.writeStack(dir, `version: 1\nname: s8\nservices:\n  web:\n    command: ${node(['-e', listen])}\n    restart: { policy: never }\n`);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 1, up.stdout + up.stderr);
    assert.match(up.stdout, new RegExp(`its log says port ${port} is already in use: port ${port} is held by process ${holder.pid} \\(`), up.stdout);
    const st = await h.json<StackSnapshot[]>(['status'], { cwd: dir });
    assert.equal(svcOf(st, 'web').portHolder?.pid, holder.pid, 'the window can offer to stop it, as for a declared port');
    holder.assertUntouched('the holder');
  } finally {
    await holder.kill();
    await h.cleanup();
  }
});

test('a wrong health path: up shows the failing check after a second, and probes back off instead of hammering', async () => {
  const h = harness('wrong-path');
  try {
    const dir = h.project('s9');
    const port = await freePort();
    h.writeStack(
      dir,
      `version: 1\nname: s9\nservices:\n  web:\n    command: ${node([fixture('http-server.mjs'), '--port', String(port)])}\n    health: { http: { url: "http://127.0.0.1:${port}/health" } }\n    start_timeout: 4s\n    restart: { policy: never }\n`,
    );
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 1, up.stdout + up.stderr);
    assert.match(up.stderr, new RegExp(`web +starting +started as pid \\d+, waiting until ready; last check: http 404 from http://127.0.0.1:${port}/health[^\\n]*, \\d+ tries`), up.stderr);
    const tries = Number(/not healthy within 4\.0s \(last probe: http 404[^;]*; (\d+) tries\)/.exec(up.stdout)?.[1]);
    // 4 s of startup: at most 50 ms apart for a second (~25 tries), then doubling to 1 s (~5 more);
    // probing every 50 ms throughout made ~80.
    assert.ok(tries >= 3 && tries <= 45, `${tries} tries in 4 s\n${up.stdout}`);
    const log = readFileSync(h.dir.ownerLog, 'utf8');
    assert.match(log, /s9\/web: pid \d+ did not become healthy in time/);
  } finally {
    await h.cleanup();
  }
});

test('a task whose owner died while it ran: its exit code is unknown, so it is not completed and runs again', async () => {
  const h = harness('task-adopt');
  try {
    const dir = h.project('shop');
    const flag = join(dir, 'go');
    // Runs until the test lets it finish (so the owner can be killed meanwhile).
    const migrate = `echo started; while [ ! -f ${flag} ]; do sleep 0.05; done; echo finished`;
    h.writeStack(dir, taskStack(dir, migrate));
    const up = h.run(['up'], { cwd: dir });
    await waitFor(async () => svcOf(await h.json<StackSnapshot[]>(['status'], { cwd: dir }), 'migrate').state === 'running', 30_000, 'migrate running');
    const owner = h.ownerPid()!;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 10_000, 'owner gone');
    assert.equal((await up).code, 4, 'up says its owner went away');
    // A new owner adopts the running task; then it finishes, unobserved by any exit event.
    const adopted = await waitFor(async () => {
      const s = svcOf(await h.json<StackSnapshot[]>(['status'], { cwd: dir }), 'migrate');
      return s.adopted && s.state === 'running' ? s : null;
    }, 30_000, 'migrate adopted');
    writeFileSync(flag, '');
    const done = await waitFor(async () => {
      const s = svcOf(await h.json<StackSnapshot[]>(['status'], { cwd: dir }), 'migrate');
      return s.pid === null && s.state !== 'running' ? s : null;
    }, 30_000, 'migrate finished');
    assert.equal(done.state, 'stopped', 'not completed: nobody saw its exit code');
    assert.match(done.reason ?? '', /exit code is unknown; `corral up migrate` runs it again/);
    assert.ok(adopted.pid);
    const again = await h.run(['up'], { cwd: dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /✓ migrate +completed in/, 'run again by up');
  } finally {
    await h.cleanup();
  }
});

test('health: { log: { pattern } }: ready when its log says so; a dependent waits for that line', async () => {
  const h = harness('log-ready');
  try {
    const dir = h.project('s10');
    const late = `sleep 1.5; echo "Server ready on 4242"; exec "${"$"}{CORRAL_NODE}" ${SVC} --tick 1000`;
    h.writeStack(
      dir,
      `version: 1\nname: s10\nservices:\n  web:\n    command: ${JSON.stringify(late)}\n    health: { log: { pattern: "ready on \\\\d+" } }\n  api:\n    command: ${node([SVC, '--tick', '1000'])}\n    depends_on: { web: healthy }\n    ready_after: 0s\n`,
    );
    const t0 = Date.now();
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.ok(Date.now() - t0 >= 1500, 'not ready before the line');
    assert.match(up.stderr, /web +running +pid \d+, log line matched \/ready on \\d\+\/: Server ready on 4242/);
    const st = await h.json<StackSnapshot[]>(['status'], { cwd: dir });
    assert.deepEqual([svcOf(st, 'web').state, svcOf(st, 'api').state], ['running', 'running']);
    h.writeStack(dir, `version: 1\nname: bad\nservices:\n  web:\n    command: x\n    health: { log: { pattern: "(" } }\n`, 'bad.yaml');
    const bad = await h.run(['up', '-f', 'bad.yaml'], { cwd: dir });
    assert.equal(bad.code, 3, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /bad\.yaml:\d+:\d+: services\.web\.health\.log\.pattern: Expected a regular expression/);
  } finally {
    await h.cleanup();
  }
});

test('a program that forks into the background and exits 0 is followed; foreground_only makes it an error', async () => {
  const h = harness('daemonize');
  try {
    const dir = h.project('s11');
    const port = await freePort();
    const forks = `"${"$"}{CORRAL_NODE}" ${SVC} --port ${port} & echo forked; exit 0`;
    h.writeStack(dir, `version: 1\nname: s11\nservices:\n  web:\n    command: ${JSON.stringify(forks)}\n    ports: [${port}]\n    health: { tcp: { port: ${port} } }\n`);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const st = await h.json<StackSnapshot[]>(['status'], { cwd: dir });
    const web = svcOf(st, 'web');
    assert.equal(web.state, 'running');
    assert.equal(web.daemonized, true);
    assert.match((await h.run(['status'], { cwd: dir })).stdout, new RegExp(`it forked into the background; Corral follows pid ${web.pid}`));
    assert.match(readFileSync(h.dir.ownerLog, 'utf8'), new RegExp(`s11/web: forked into the background as pid ${web.pid} .*; Corral follows it`));
    // Crash detection as for an adopted process: killed, seen, restarted (and followed again).
    process.kill(web.pid!, 'SIGKILL');
    const again = await waitFor(async () => {
      const s = svcOf(await h.json<StackSnapshot[]>(['status'], { cwd: dir }), 'web');
      return s.state === 'running' && s.pid !== web.pid ? s : null;
    }, 30_000, 'restarted');
    assert.equal(again.daemonized, true);
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);

    h.writeStack(dir, `version: 1\nname: s11\nservices:\n  web:\n    command: ${JSON.stringify(forks)}\n    ports: [${port}]\n    health: { tcp: { port: ${port} } }\n    foreground_only: true\n    restart: { policy: never }\n`);
    const refused = await h.run(['up'], { cwd: dir });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /it daemonized itself, and foreground_only is set\. Run it in the foreground instead/);
    const after = svcOf(await h.json<StackSnapshot[]>(['status'], { cwd: dir }), 'web');
    assert.deepEqual([after.state, after.pid], ['failed', null]);
  } finally {
    await h.cleanup();
  }
});
