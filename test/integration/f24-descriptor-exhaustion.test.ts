// F24: descriptor exhaustion. With the owner's descriptor limit at 256 and 400
// idle TCP connections to its web UI held past the 10 s descendant record, the
// owner used to die of an uncaught EMFILE (scandir /proc) without a word in
// owner.log. Now the web UI caps its connections and times idle ones out, scans
// treat EMFILE as transient, and the owner keeps supervising.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harness, svcYaml, CLI, type StackJson } from './cli-harness.js';
import { waitFor, isLive, freePort } from '../helpers/env.js';
import { ControlClient } from '../../electron/host/control/client.js';
import type { Snapshot } from '../../shared/state.js';

test('F24 400 idle web UI connections under a 256-descriptor limit: the owner survives and keeps supervising', { timeout: 180_000 }, async () => {
  const h = harness('f24');
  const socks: Socket[] = [];
  const daemon = spawn('prlimit', ['--nofile=256:256', '--', process.execPath, CLI, 'daemon'], { env: h.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  daemon.stderr.on('data', (d) => (stderr += d));
  let exit: number | null | undefined;
  daemon.on('exit', (code) => (exit = code));
  try {
    await waitFor(() => h.ownerPid() !== null && (JSON.parse(readFileSync(h.dir.lockFile, 'utf8')) as { socket?: string }).socket !== undefined, 30_000, 'daemon up');
    const pid = h.ownerPid()!;
    const dir = h.project();
    const port = await freePort();
    // `h` is health-checked every 200 ms: a probe that cannot open its socket (EMFILE) must not count against it.
    h.writeStack(
      dir,
      `version: 1\nname: f24\nservices:\n${svcYaml('a', ['--tick', '100'])}${svcYaml('h', ['--port', String(port)], `    health: { tcp: { port: ${port} }, interval: 200ms, timeout: 200ms, failure_threshold: 2 }\n`)}`,
    );
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const ui = await h.run(['ui', '--no-open', '--json']);
    assert.equal(ui.code, 0, ui.stderr);
    const webPort = Number(new URL((JSON.parse(ui.stdout) as { url: string }).url).port);

    await Promise.all(
      Array.from({ length: 400 }, () => new Promise<void>((resolve) => {
        const s = connect(webPort, '127.0.0.1');
        socks.push(s);
        s.on('error', () => resolve());
        s.on('connect', () => resolve());
        s.on('close', () => resolve());
      })),
    );
    // Past the descendant record (every 10 s) with the connections held.
    const svcPid = (await waitForPid(h, dir))!;
    const healthPid = (await pidOf(h, dir, 'h'))!;
    process.kill(svcPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 12_000));
    assert.equal(exit, undefined, `owner exited (${exit}): ${stderr}\n${readFileSync(h.dir.ownerLog, 'utf8').slice(-2000)}`);
    assert.ok(isLive(pid), 'owner alive');
    for (const s of socks) s.destroy();

    // Supervising still: the killed service is running again with a live pid.
    await waitFor(async () => {
      const p = await waitForPid(h, dir);
      return p !== null && p !== svcPid && isLive(p);
    }, 30_000, 'service restarted with a live pid');
    assert.equal(await pidOf(h, dir, 'h'), healthPid, 'the health-checked service was not killed for probes that could not run');
    const api = await fetch(`http://127.0.0.1:${webPort}/api/snapshot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch((e: Error) => e);
    assert.ok(!(api instanceof Error) && api.status === 401, 'the web UI answers again');
  } finally {
    for (const s of socks) s.destroy();
    await h.cleanup();
    if (exit === undefined) daemon.kill('SIGKILL');
  }
});

function waitForPid(h: ReturnType<typeof harness>, cwd: string): Promise<number | null> {
  return pidOf(h, cwd, 'a');
}

async function pidOf(h: ReturnType<typeof harness>, cwd: string, service: string): Promise<number | null> {
  const r = await h.run(['status', '--json'], { cwd, timeoutMs: 30_000 });
  if (r.code !== 0) return null;
  return (JSON.parse(r.stdout) as StackJson[])[0]!.services.find((s) => s.name === service)?.pid ?? null;
}

const EXHAUSTED_OWNER = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'exhausted-owner.js');

test('F24 the owner itself out of descriptors for 11 s: no crash, no service killed for probes or scans that could not run', { timeout: 180_000 }, async () => {
  const h = harness('f24in');
  const owner = spawn('prlimit', ['--nofile=256:256', '--', process.execPath, EXHAUSTED_OWNER, h.home], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  owner.stdout.on('data', (d) => (out += d));
  owner.stderr.on('data', (d) => (out += d));
  let exit: number | null | undefined;
  owner.on('exit', (code) => (exit = code));
  try {
    await waitFor(() => out.includes('ready'), 30_000, 'owner ready');
    const dir = h.project();
    const port = await freePort();
    h.writeStack(
      dir,
      `version: 1\nname: f24in\nservices:\n${svcYaml('a', ['--tick', '100'])}${svcYaml('h', ['--port', String(port)], `    health: { tcp: { port: ${port} }, interval: 200ms, timeout: 200ms, failure_threshold: 2 }\n`)}`,
    );
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const before = [await pidOf(h, dir, 'a'), await pidOf(h, dir, 'h')];
    // A connection made before the shortage keeps working through it: watch what the owner thinks of `h`.
    const watcher = await ControlClient.connect((JSON.parse(readFileSync(h.dir.lockFile, 'utf8')) as { socket: string }).socket);
    const seen = new Set<string>();
    await watcher.subscribe('snapshot', {}, (s: Snapshot) => {
      const svc = s.stacks[0]?.services.find((x) => x.name === 'h');
      if (svc) seen.add(`${svc.state}${svc.health && !svc.health.ok ? ` (${svc.health.detail})` : ''}`);
    });
    owner.kill('SIGUSR1');
    await waitFor(() => out.includes('released') || exit !== undefined, 60_000, 'descriptors given back');
    assert.equal(exit, undefined, `owner exited (${exit}): ${out}\n${readFileSync(h.dir.ownerLog, 'utf8').slice(-2000)}`);
    assert.match(out, /exhausted \d+/);
    watcher.close();
    assert.deepEqual([...seen], ['running'], 'h stayed running and healthy: probes that could not open a socket were not counted');
    assert.deepEqual([await pidOf(h, dir, 'a'), await pidOf(h, dir, 'h')], before, 'both services kept their process');
    const log = readFileSync(h.dir.ownerLog, 'utf8');
    assert.doesNotMatch(log, /fatal:/);
    assert.doesNotMatch(log, /health checks failed/);
  } finally {
    await h.cleanup();
    if (exit === undefined) owner.kill('SIGKILL');
  }
});
