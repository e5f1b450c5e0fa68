// The macOS implementation (platform/darwin.ts) run on Linux against
// test/darwin-shims: ps, lsof, sysctl and netstat answering in macOS's formats
// from /proc, with macOS's behaviours that matter (SIP-hidden environments,
// EPERM from a zombie-only group, a stuck lsof). Each test names the defect of
// the review it guards against.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { platform, identityOf } from '../../electron/engine/process/platform/index.js';
import { takeSnapshot } from '../../electron/engine/process/process-scan.js';
import { stopTarget } from '../../electron/engine/process/stop.js';
import { portHolders } from '../../electron/engine/process/ports.js';
import { REPO_ROOT, freePort, isLive, waitFor } from '../helpers/env.js';
import { procStat } from '../helpers/foreign.js';
import { Owner } from '../../electron/engine/owner.js';
import { stack, svc } from '../helpers/stack.js';

const SHIMS = join(REPO_ROOT, 'test', 'darwin-shims');
const dir = mkdtempSync(join(tmpdir(), 'corral-darwin-'));
const LOG = join(dir, 'calls.jsonl');
const PREFIX = `darwintest${process.pid}`;
const saved = { ...process.env };
const started: ChildProcess[] = [];
const extraPids: number[] = [];

before(async () => {
  Object.assign(process.env, { CORRAL_PLATFORM: 'darwin', PATH: `${SHIMS}:${process.env.PATH}`, CORRAL_SHIM_LOG: LOG });
  // kill(-pgid) as xnu does it (EPERM for a group of zombies only).
  await import(pathToFileURL(join(SHIMS, 'xnu-kill.mjs')).href);
  assert.equal((await platform()).name, 'darwin');
});

after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null && c.pid && isLive(c.pid)) process.kill(c.pid, 'SIGKILL');
  for (const pid of extraPids) if (isLive(pid)) process.kill(pid, 'SIGKILL');
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

type Call = { tool: string; args: string[] };
function calls(): Call[] {
  if (!existsSync(LOG)) return [];
  return readFileSync(LOG, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
}
function resetCalls(): void {
  writeFileSync(LOG, '');
}

const NODE_IDLE = 'setInterval(() => {}, 1 << 30); console.log("ready")';

/** A node process in its own group that idles; `args` follow the script, `env` is added to ours. */
async function idle(args: string[] = [], env: Record<string, string> = {}, file = process.execPath): Promise<ChildProcess> {
  const fileArgs = file === process.execPath ? ['-e', NODE_IDLE, ...args] : args;
  const child = spawn(file, fileArgs, { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...saved, ...env } });
  started.push(child);
  if (file === process.execPath) await new Promise((r) => child.stdout!.once('data', r));
  else await waitFor(() => readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes(args[0] ?? ''), 5000, `${file} to start`);
  return child;
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
}

test('item 1: a scan is two ps calls whatever the number of processes, and reads every marker', async () => {
  const marked = await idle([], { CORRAL_INSTANCE: `${PREFIX}/scan/web/1` });
  const plain = await idle();
  const crowd = await Promise.all(Array.from({ length: 20 }, () => idle()));
  resetCalls();
  const snap = await takeSnapshot();
  const ps = calls().filter((c) => c.tool === 'ps');
  assert.equal(ps.length, 2, `ps calls: ${ps.map((c) => c.args.join(' ')).join(' | ')}`);
  assert.ok(ps.every((c) => c.args.includes('-x') && !c.args.includes('-p')), 'bulk calls for the user (-x), not per pid');
  assert.equal(snap.markers.get(marked.pid!), `${PREFIX}/scan/web/1`);
  assert.equal(snap.markers.get(plain.pid!), '', 'readable and unmarked: not ours');
  assert.ok(snap.procs.some((p) => p.pid === crowd[0]!.pid));
  await Promise.all([marked, plain, ...crowd].map(end));
});

test('item 2: every ps given -p also gets -x (without it, ps walks every process first)', async () => {
  const child = await idle();
  const p = await platform();
  resetCalls();
  const id = await identityOf(child.pid!);
  assert.ok(id);
  await p.processInfo(child.pid!);
  await p.readMarker(child.pid!);
  assert.equal(await p.signalGroup(child.pid!, [id], 'SIGCONT'), 'sent');
  assert.equal(await p.signalProcess(id, 'SIGCONT'), 'sent');
  const withP = calls().filter((c) => c.tool === 'ps' && c.args.includes('-p'));
  assert.ok(withP.length >= 4);
  for (const c of withP) assert.ok(c.args.includes('-x'), `ps ${c.args.join(' ')}`);
  await end(child);
});

test('item 3: a group whose members left are all zombies answers EPERM on macOS: that is gone, not an error', async () => {
  // L (group leader) runs P; P forks Z in L's group, then leaves for its own session and never reaps Z.
  const leader = spawn('/bin/sh', ['-c', "/bin/sh -c 'sleep 0 & exec setsid sleep 1000' & wait"], { detached: true, stdio: 'ignore', env: saved });
  started.push(leader);
  const L = leader.pid!;
  const zombie = await waitFor(() => findInGroup(L, 'Z'), 5000, 'a zombie in the group');
  const holder = await waitFor(() => findLive((s, pid) => s.pgid === pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\u00001000')), 5000, 'the zombie holder');
  extraPids.push(holder);
  const id = await identityOf(L);
  assert.ok(id);

  // ps answers that L is alive (as it was when ps read the table), then L dies before the kill.
  const hold = mkdtempSync(join(dir, 'hold-'));
  process.env.CORRAL_SHIM_PS_HOLD = hold;
  try {
    const p = await platform();
    const signalled = p.signalGroup(L, [id], 'SIGTERM');
    signalled.catch(() => {});
    await waitFor(() => existsSync(join(hold, 'computed')), 10_000, 'ps to read the table');
    await end(leader);
    assert.equal(procStat(zombie)?.state, 'Z');
    writeFileSync(join(hold, 'release'), '');
    assert.equal(await signalled, 'gone');
  } finally {
    delete process.env.CORRAL_SHIM_PS_HOLD;
    process.kill(holder, 'SIGKILL');
  }
});

function findLive(pred: (s: NonNullable<ReturnType<typeof procStat>>, pid: number) => boolean): number | null {
  for (const name of readdirNumeric()) {
    const s = procStat(name);
    if (s && s.state !== 'Z' && pred(s, name)) return name;
  }
  return null;
}
function findInGroup(pgid: number, state: string): number | null {
  for (const pid of readdirNumeric()) if (pid !== pgid && procStat(pid)?.pgid === pgid && procStat(pid)?.state === state) return pid;
  return null;
}
function readdirNumeric(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

test('item 4: a marker in the arguments is not ours; a hidden environment is unreadable, not "not ours"', async () => {
  // A `grep CORRAL_INSTANCE=…`-like process: the marker in its arguments, none in its environment.
  const lookalike = await idle([`CORRAL_INSTANCE=${PREFIX}/stack/web/1`]);
  // A SIP-restricted binary (sleep, for the shims) carrying our marker: the kernel hides its environment.
  process.env.CORRAL_SHIM_RESTRICTED = 'sleep';
  try {
    const hidden = await idle(['1000'], { CORRAL_INSTANCE: `${PREFIX}/stack/web/2` }, '/bin/sleep');
    const snap = await takeSnapshot();
    assert.equal(snap.markers.get(lookalike.pid!), '');
    assert.equal(snap.markers.get(hidden.pid!), null);
    const p = await platform();
    assert.equal(await p.readMarker(lookalike.pid!), '');
    assert.equal(await p.readMarker(hidden.pid!), null);
    // And stop never signals the lookalike.
    const r = await stopTarget({ leader: null, markerPrefix: `${PREFIX}/stack/`, ports: [] }, { signal: 'SIGTERM', graceMs: 2000 });
    assert.equal(r.ended, 0);
    assert.ok(isLive(lookalike.pid!), 'the process whose arguments mention the marker was left alone');
    await end(hidden);
  } finally {
    delete process.env.CORRAL_SHIM_RESTRICTED;
  }
  await end(lookalike);
});

/** A node process of ours (marked) listening on `port`. */
async function listener(port: number, marker: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('ready'))`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...saved, CORRAL_INSTANCE: marker },
  });
  started.push(child);
  await new Promise((r) => child.stdout!.once('data', r));
  return child;
}

test('item 5: lsof runs with -b; a stuck or crashing lsof falls back to netstat, bounded', async () => {
  const port = await freePort();
  const srv = await listener(port, `${PREFIX}/ports/web/1`);
  try {
    // Blocks without -b (a stat() on a File Provider folder): with -b the holder is found.
    process.env.CORRAL_SHIM_LSOF = 'block-without-b';
    const [held] = await portHolders([port], `${PREFIX}/`);
    assert.equal(held?.kind, 'ours');
    assert.equal(held?.kind === 'ours' && held.pid, srv.pid);

    for (const mode of ['hang', 'crash']) {
      process.env.CORRAL_SHIM_LSOF = mode;
      const t0 = Date.now();
      const [h] = await portHolders([port], `${PREFIX}/`);
      assert.ok(Date.now() - t0 < 8000, `${mode}: bounded (${Date.now() - t0} ms)`);
      assert.deepEqual(h && { kind: h.kind, pid: h.kind === 'foreign' ? h.pid : 'x' }, { kind: 'foreign', pid: null }, `${mode}: netstat says the port is held`);
    }
  } finally {
    delete process.env.CORRAL_SHIM_LSOF;
    await end(srv);
  }
});

test('item 6: a foreign port holder is named with its user (ps user=, there is no /proc on macOS)', async () => {
  const port = await freePort();
  const srv = await listener(port, 'someone-else');
  const p = await platform();
  assert.equal((await p.processInfo(srv.pid!))?.user, userInfo().username);
  const [h] = await portHolders([port], `${PREFIX}/`);
  assert.equal(h?.kind === 'foreign' && h.user, userInfo().username);
  await end(srv);
});

test('item 7 (efficiency): pids asked at the same moment share one ps; a tree is one ps without environments', async () => {
  const kids = await Promise.all(Array.from({ length: 5 }, () => idle()));
  const p = await platform();
  resetCalls();
  const rows = await Promise.all(kids.map((k) => p.processInfo(k.pid!)));
  assert.deepEqual(rows.map((r) => r?.pid), kids.map((k) => k.pid));
  const ps = calls().filter((c) => c.tool === 'ps');
  assert.equal(ps.length, 1, `ps calls: ${ps.map((c) => c.args.join(' ')).join(' | ')}`);
  assert.equal(ps[0]!.args.filter((a) => a === '-p').length, 5);

  // A leader with two children in its group: the tree is found from the leader alone.
  const forker = spawn(process.execPath, [join(REPO_ROOT, 'test', 'fixtures', 'svc.mjs'), '--children', '2'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: saved });
  started.push(forker);
  await waitFor(() => (readFileSync(`/proc/${forker.pid}/task/${forker.pid}/children`, 'utf8').trim().split(' ').filter(Boolean).length === 2 ? true : null), 10_000, 'two children');
  resetCalls();
  const tree = await p.scanTrees!([forker.pid!]);
  assert.equal(tree?.procs.length, 3, JSON.stringify(tree?.procs.map((x) => x.pid)));
  const treePs = calls().filter((c) => c.tool === 'ps');
  assert.equal(treePs.length, 1);
  assert.equal(treePs[0]!.args.includes('-E'), false, 'no environments read');
  await Promise.all([...kids, forker].map(end));
  for (const pid of tree!.procs.map((x) => x.pid)) if (isLive(pid)) process.kill(pid, 'SIGKILL');
});

test('item 8 (efficiency): adopted processes cost one ps per ten polls, not one per process and poll; an exit is still seen at once', async () => {
  const home = mkdtempSync(join(tmpdir(), 'corral-darwin-adopt-'));
  const spec = stack('a', ['one', 'two', 'three'].map((n) => svc(n, ['--tick', '100'])));
  let first: Owner | null = null;
  let second: Owner | null = null;
  try {
    first = await Owner.open({ home, kind: 'embedded' });
    await first.addStack(spec);
    const r = await first.start('a');
    assert.equal(r.outcomes.every((o) => o.ok), true, JSON.stringify(r.outcomes));
    await first.close({ stopServices: false });
    first = null;
    second = await Owner.open({ home, kind: 'embedded', adoptPollMs: 50 });
    const owner = second;
    assert.equal(owner.snapshot().stacks[0]!.services.every((s) => s.adopted && s.state === 'running'), true);
    // The clock of this window is a service's own output (a line every 100 ms): some 2 s, 40 polls of each process.
    const log = owner.dir.logFile('a', 'one');
    const lines = () => readFileSync(log, 'utf8').split('\n').length;
    resetCalls();
    const from = lines();
    await waitFor(() => (lines() >= from + 20 ? true : null), 20_000, 'twenty lines of output');
    const ps = calls().filter((c) => c.tool === 'ps');
    assert.ok(ps.length >= 1 && ps.length <= 6, `${ps.length} ps calls in ~40 polls of three processes: ${ps.map((c) => c.args.join(' ')).join(' | ')}`);
    for (const c of ps) assert.equal(c.args.filter((a) => a === '-p').length, 3, `one ps proves all three: ps ${c.args.join(' ')}`);
    // An exit is seen at the next poll (signal 0), not the next proof.
    const old = owner.service('a', 'two').pid!;
    process.kill(old, 'SIGKILL');
    await waitFor(() => (owner.service('a', 'two').pid !== old && owner.service('a', 'two').state === 'running' ? true : null), 10_000, 'two restarted');
    await owner.stop('a');
  } finally {
    await first?.close({ stopServices: true });
    await second?.close({ stopServices: true });
    rmSync(home, { recursive: true, force: true });
  }
});
