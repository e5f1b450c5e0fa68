// The owner daemon dies or hands over; services never notice. F07, F08
// through the CLI, and the handover the tray app uses (both directions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { harness, svcYaml, CLI, type StackJson } from './cli-harness.js';
import { isLive, markedPids, waitFor } from '../helpers/env.js';
import { startDaemon } from '../../electron/host/daemon.js';

const STACK = (name: string) => `version: 1
name: ${name}
services:
${svcYaml('a', ['--tick', '20'])}${svcYaml('b', ['--tick', '20', '--children', '2'])}${svcYaml('c', ['--tick', '20'], '    depends_on: { a: started }\n')}`;

const lineCount = (file: string) => readFileSync(file, 'utf8').split('\n').length;

test('F07 owner daemon SIGKILLed while 3 services run: they keep logging; the next owner adopts the same pids, no duplicates', async () => {
  const h = harness('f07');
  try {
    const dir = h.project();
    h.writeStack(dir, STACK('f07'));
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const first = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    const owner = h.ownerPid()!;
    // `up` returns when the services run (no health checks here); b forks its children a moment later.
    const marked = await waitFor(() => {
      const m = markedPids(h.dir.markerPrefix());
      return m.length === 5 ? m.sort() : null;
    }, 5000, 'a, b (+2 children), c');

    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 5000, 'owner gone');
    // Nobody supervises now, and the services keep writing their logs.
    const log = h.dir.logFile('f07', 'b');
    const n0 = lineCount(log);
    await waitFor(() => lineCount(log) > n0 + 5, 5000, 'b keeps logging without an owner');

    const next = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    assert.notEqual(h.ownerPid(), owner, 'a new daemon');
    assert.deepEqual(next.map((s) => [s.name, s.pid, s.state, s.adopted]), first.map((s) => [s.name, s.pid, 'running', true]));
    assert.deepEqual(markedPids(h.dir.markerPrefix()).sort(), marked, 'no duplicate, no orphan');
    const down = await h.run(['down'], { cwd: dir });
    assert.equal(down.code, 0, down.stdout);
  } finally {
    await h.cleanup();
  }
});

test('F08 owner SIGKILLed, then one service dies: the next owner adopts the live ones and restarts only the dead one', async () => {
  const h = harness('f08');
  try {
    const dir = h.project();
    h.writeStack(dir, STACK('f08'));
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const first = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    const owner = h.ownerPid()!;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 5000, 'owner gone');
    const victim = first.find((s) => s.name === 'c')!.pid!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !isLive(victim), 5000, 'c gone');

    const c = await waitFor(
      async () => {
        const s = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
        const cc = s.find((x) => x.name === 'c')!;
        return cc.state === 'running' && cc.pid !== victim ? s : null;
      },
      15_000,
      'c restarted',
    );
    assert.equal(c.find((s) => s.name === 'a')!.pid, first.find((s) => s.name === 'a')!.pid);
    assert.equal(c.find((s) => s.name === 'b')!.pid, first.find((s) => s.name === 'b')!.pid);
    assert.equal(c.find((s) => s.name === 'a')!.adopted, true);
    assert.equal(c.find((s) => s.name === 'c')!.adopted, false);
    assert.equal(markedPids(h.dir.markerPrefix()).length, 5);
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);
  } finally {
    await h.cleanup();
  }
});

test('handover: an app-like owner takes over from the daemon, then `corral daemon --take-over` takes it back; same pids throughout', async () => {
  const h = harness('handover');
  let app: Awaited<ReturnType<typeof startDaemon>> | null = null;
  let back: ReturnType<typeof spawn> | null = null;
  try {
    const dir = h.project();
    h.writeStack(dir, STACK('ho'));
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const pids = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services.map((s) => s.pid);
    const daemonPid = h.ownerPid()!;

    // What the tray app does at launch when a daemon runs.
    app = await startDaemon({ home: h.home, kind: 'app', takeOver: true });
    await waitFor(() => !isLive(daemonPid), 10_000, 'the daemon exited after handing over');
    assert.deepEqual(app.owner.snapshot().stacks[0]!.services.map((s) => [s.pid, s.adopted]), pids.map((p) => [p, true]));
    const viaCli = await h.run(['daemon', 'status', '--json']);
    assert.equal((JSON.parse(viaCli.stdout) as { kind: string }).kind, 'app');
    assert.deepEqual((await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services.map((s) => s.pid), pids);

    // The reverse path: a daemon asks the app to hand over.
    back = spawn(process.execPath, [CLI, 'daemon', '--take-over'], { env: h.env, stdio: 'ignore', detached: true });
    const end = await app.done;
    assert.equal(end.reason, 'handover');
    assert.equal(end.stopServices, false);
    await waitFor(() => h.ownerPid() === back!.pid, 10_000, 'the new daemon owns the data directory');
    const final = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    assert.deepEqual(final.map((s) => [s.pid, s.state]), pids.map((p) => [p, 'running']));
    assert.equal(markedPids(h.dir.markerPrefix()).length, 5);
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);
  } finally {
    if (app) await app.stop();
    await h.cleanup();
  }
});
