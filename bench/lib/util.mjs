// Shared helpers of the benchmark: timing, /proc readings, ports, commands,
// and the bookkeeping that guarantees nothing we start outlives the run.
//
// Every process the bench starts carries BENCH_RUN=<run id> in its
// environment (daemons pass it on to their services), so the final check can
// find survivors by that marker in /proc/<pid>/environ and end them by pid.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SVC = join(ROOT, 'test', 'fixtures', 'svc.mjs');
export const NODE = process.execPath;
export const RUN_ID = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The environment of every process we start: ours, minus Corral's marker and colours, plus the run marker. */
export function benchEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of ['CORRAL_INSTANCE', 'FORCE_COLOR', 'CORRAL_HOME', 'PM2_HOME', 'CORRAL_SOCKET_DIR']) delete env[k];
  return { ...env, BENCH_RUN: RUN_ID, NO_COLOR: '1', ...extra };
}

export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export const round = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---- temp dirs -------------------------------------------------------------

const tempRoots = [];
/** A fresh directory under the run's temp root; everything is removed by `removeTemp`. */
export function tempDir(label) {
  if (tempRoots.length === 0) tempRoots.push(mkdtempSync(join(tmpdir(), `corral-bench-`)));
  return mkdtempSync(join(tempRoots[0], `${label}-`));
}
export function removeTemp() {
  for (const d of tempRoots.splice(0)) rmSync(d, { recursive: true, force: true });
}

// ---- commands --------------------------------------------------------------

/** Runs a command to completion; resolves with its exit code, output and wall time (ms). Never rejects. */
export function run(cmd, args, { env = benchEnv(), cwd = ROOT, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = now();
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: -1, stdout, stderr: String(e), ms: now() - t0 });
      return;
    }
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[bench] ${cmd} ${args.join(' ')}: timed out after ${timeoutMs} ms, killed`;
      try {
        child.kill('SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(e), ms: now() - t0 });
    });
    // 'exit', not 'close': a daemon started by the command may inherit its pipes.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = now() - t0;
      setImmediate(() => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms }));
    });
  });
}

/** `run` that throws with the output when the command fails. */
export async function runOk(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r;
}

// ---- processes -------------------------------------------------------------

/** /proc/<pid>/stat → { state, ppid, pgid, start, utime, stime } or null. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]), utime: Number(rest[11]), stime: Number(rest[12]), start: rest[19] };
}

/**
 * Alive: it exists, is the same process (start time), and is not a finished
 * zombie. A zombie leader whose other threads are still exiting is alive: its
 * descriptors (a listening socket) stay open until the last thread is gone.
 */
export function isLive(pid, start) {
  const st = procStat(pid);
  if (st === null || (start !== undefined && st.start !== start)) return false;
  if (st.state !== 'Z' && st.state !== 'X') return true;
  try {
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid) {
  const st = procStat(pid);
  return st ? (st.utime + st.stime) / CLK_TCK : null;
}

/** Resident set size in MB (VmRSS). */
export function rssMb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}

function envVar(pid, name) {
  let env;
  try {
    env = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return null;
  }
  const key = `${name}=`;
  const i = env.startsWith(key) ? 0 : env.indexOf(`\0${key}`);
  if (i < 0) return null;
  const from = i === 0 ? key.length : i + 1 + key.length;
  const end = env.indexOf('\0', from);
  return env.slice(from, end < 0 ? undefined : end);
}

/** Live processes (not zombies) whose environment has `name` starting with `prefix`: [{ pid, value, start, ppid }]. */
export function taggedProcesses(name, prefix) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const v = envVar(pid, name);
    if (v === null || !v.startsWith(prefix)) continue;
    const st = procStat(pid);
    if (!st || st.state === 'Z' || st.state === 'X') continue;
    out.push({ pid, value: v, start: st.start, ppid: st.ppid, pgid: st.pgid });
  }
  return out;
}

/** Processes of one service (or a whole stack, or a tool instance) by the BENCH_SVC tag. */
export const serviceProcesses = (prefix) => taggedProcesses('BENCH_SVC', prefix);

/** Sends `signal` to `pid` if it is still the process we knew (same start time). */
export function killIfSame(pid, start, signal = 'SIGKILL') {
  if (!isLive(pid, start)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(check, timeoutMs, stepMs = 5) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (now() > deadline) return null;
    await sleep(stepMs);
  }
}

/** Waits until none of the given processes (pid + start time) is alive. */
export function waitGone(procs, timeoutMs, stepMs = 5) {
  return waitUntil(() => procs.every((p) => !isLive(p.pid, p.start)), timeoutMs, stepMs);
}

// ---- ports -----------------------------------------------------------------

const handedOut = new Set();
/** True when 127.0.0.1:port can be bound right now. */
function bindable(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}
/**
 * A TCP port on 127.0.0.1 that is free and that this run has not handed out
 * before, taken below the ephemeral range (32768+): polling a closed port in
 * that range can connect a socket to itself (TCP simultaneous open) when the
 * kernel picks the same number as the source port, which reads as "accepts".
 */
export async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
export async function freePorts(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await freePort());
  return out;
}

/** One connection attempt to 127.0.0.1:port: true when accepted. */
export function tryConnect(port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (ok) => {
      clearTimeout(t);
      s.removeAllListeners();
      s.on('error', () => {});
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    // A socket connected to itself (source port == destination port) is not a listener.
    s.once('connect', () => done(s.localPort !== port));
    s.once('error', () => done(false));
  });
}

/** Polls the port every `stepMs` until it accepts; resolves with performance.now() at that moment, or null. */
export async function waitPort(port, timeoutMs = 30_000, stepMs = 2) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await tryConnect(port)) return now();
    if (now() > deadline) return null;
    await sleep(stepMs);
  }
}

/** Polls until the port refuses connections (its listener is gone); resolves with performance.now() then, or null. */
export async function waitPortClosed(port, timeoutMs = 10_000, stepMs = 1) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (!(await tryConnect(port))) return now();
    if (now() > deadline) return null;
    await sleep(stepMs);
  }
}

export async function waitPorts(ports, timeoutMs = 30_000, stepMs = 2) {
  const times = await Promise.all(ports.map((p) => waitPort(p, timeoutMs, stepMs)));
  return times.some((t) => t === null) ? null : Math.max(...times);
}

// ---- bookkeeping -----------------------------------------------------------

const cleanups = [];
/** Registers a cleanup step (run in reverse order at the end, or on Ctrl-C). */
export function atEnd(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}
export async function runCleanups(log = console.error) {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      log(`[bench] cleanup step failed: ${e?.message ?? e}`);
    }
  }
}

/** Every live process carrying this run's marker: ended by pid (they are ours by marker); returns what was found. */
export async function endSurvivors() {
  const found = taggedProcesses('BENCH_RUN', RUN_ID).map((p) => ({ ...p, command: cmdline(p.pid) }));
  for (const p of found) killIfSame(p.pid, p.start, 'SIGKILL');
  if (found.length > 0) await waitGone(found, 5000, 20);
  return found;
}

export function fileExists(p) {
  return existsSync(p);
}

/** Times how long a fresh `node svc.mjs <args>` takes from spawn until its port accepts (the service's own start time). */
export async function intrinsicStart(args, port) {
  const t0 = now();
  const child = spawn(NODE, [SVC, ...args], { env: benchEnv(), stdio: 'ignore' });
  const t1 = await waitPort(port, 10_000);
  const ms = t1 === null ? null : t1 - t0;
  child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  return ms;
}
