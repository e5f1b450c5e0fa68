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
import { harness, svcYaml, CLI, type StackJson } from './cli-harness.js';
import { waitFor, isLive } from '../helpers/env.js';

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
    h.writeStack(dir, `version: 1\nname: f24\nservices:\n${svcYaml('a', ['--tick', '100'])}`);
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const ui = await h.run(['ui', '--no-open', '--json']);
    assert.equal(ui.code, 0, ui.stderr);
    const port = Number(new URL((JSON.parse(ui.stdout) as { url: string }).url).port);

    await Promise.all(
      Array.from({ length: 400 }, () => new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1');
        socks.push(s);
        s.on('error', () => resolve());
        s.on('connect', () => resolve());
        s.on('close', () => resolve());
      })),
    );
    // Past the descendant record (every 10 s) with the connections held.
    const svcPid = (await waitForPid(h, dir))!;
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
    const page = await fetch(`http://127.0.0.1:${port}/`).catch((e: Error) => e);
    assert.ok(!(page instanceof Error) && page.status === 401, 'the web UI answers again');
  } finally {
    for (const s of socks) s.destroy();
    await h.cleanup();
    if (exit === undefined) daemon.kill('SIGKILL');
  }
});

async function waitForPid(h: ReturnType<typeof harness>, cwd: string): Promise<number | null> {
  const r = await h.run(['status', '--json'], { cwd, timeoutMs: 30_000 });
  if (r.code !== 0) return null;
  return (JSON.parse(r.stdout) as StackJson[])[0]!.services[0]!.pid;
}
