// What every lifecycle test needs: its own data dir, free ports, fixture paths,
// bounded waits, and the proof that it left nothing running.
import { mkdtempSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const fixture = (name: string): string => join(FIXTURES, name);

/** A fresh CORRAL_HOME under the system temp dir; removed by `cleanup`. */
export function tempHome(label = 'test'): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), `corral-${label}-`));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** A port that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** Polls `check` until it returns a truthy value, at most `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<Awaited<T>>> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<Awaited<T>>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

function stateOf(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Live (non-zombie) pids whose environment carries CORRAL_INSTANCE starting with `prefix`. */
export function markedPids(prefix: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!env.split('\0').some((e) => e.startsWith(`CORRAL_INSTANCE=${prefix}`))) continue;
    const st = stateOf(pid);
    if (st && st !== 'Z' && st !== 'X') out.push(pid);
  }
  return out;
}

/** Live pids whose environment has `CORRAL_TEST_TAG=<tag>` (set by tests on processes they start themselves). */
export function taggedPids(tag: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (!env.split('\0').includes(`CORRAL_TEST_TAG=${tag}`)) continue;
    } catch {
      continue;
    }
    const st = stateOf(pid);
    if (st && st !== 'Z' && st !== 'X') out.push(pid);
  }
  return out;
}

export function isLive(pid: number): boolean {
  const st = stateOf(pid);
  return st !== null && st !== 'Z' && st !== 'X';
}

/**
 * The end-of-test check of the fault matrix: nothing with our marker (or tag)
 * alive. Whatever is found is SIGKILLed by pid, so one failing test does not
 * leak into the next, and the test fails naming it.
 */
export async function assertNothingLeft(opts: { markerPrefix?: string; tag?: string }, graceMs = 3000): Promise<void> {
  const find = () => [...(opts.markerPrefix ? markedPids(opts.markerPrefix) : []), ...(opts.tag ? taggedPids(opts.tag) : [])];
  const deadline = Date.now() + graceMs;
  let left = find();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    left = find();
  }
  if (left.length === 0) return;
  const described = left.map((pid) => {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {}
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    return `${pid} (${cmd})`;
  });
  throw new Error(`Processes left running: ${described.join(', ')}`);
}

export const resolveRepo = (...p: string[]): string => resolve(REPO_ROOT, ...p);
