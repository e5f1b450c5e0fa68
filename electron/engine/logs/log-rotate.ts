// Size-based rotation of the logs of running services, and of the owner's own
// log. A service writes its log through an O_APPEND descriptor it keeps for its
// whole life, so renaming the file would not help (it would keep writing to
// the renamed file). We copy and truncate instead, and to lose nothing, the
// service's processes are paused (SIGSTOP) for the last part of the copy and
// the truncate, typically a millisecond or two: the bytes written between the
// last read and the truncate are then exactly none.
//
// If the owner dies during that pause, the service stays stopped until the
// next owner starts: `resumePausedServices` runs before it adopts anything.
import { openSync, closeSync, readSync, writeSync, ftruncateSync, fstatSync, statSync, renameSync, unlinkSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Owner } from '../owner.js';
import type { DataDir } from '../state/paths.js';
import { DEFAULT_RETENTION, advanceLogBase, pruneRotated, rotateLog, type Retention } from './log-files.js';
import { readInstance, type InstanceRecord } from '../state/state-file.js';
import { platform, type ProcessIdentity } from '../process/platform/index.js';
import { readJson, removeFile, writeFileAtomic } from '../state/atomic-file.js';
import { waitUntil } from '../wait.js';
import { every, scheduler } from '../scheduler.js';

/** The full pass that catches what no watch reported (the owner's log, pruning by age). */
const SAFETY_PASS_MS = 60_000;

export interface RotationOptions {
  /** A service log above this size is rotated while the service runs. */
  maxBytes: number;
  checkMs: number;
  retention: Retention;
  /** Pause the service around the final copy and truncate (lossless). Without it, bytes written in that window are lost. */
  pause: boolean;
  /** Bound on all the service's processes being stopped; past it the rotation is retried at the next check. */
  pauseTimeoutMs: number;
  ownerLogMaxBytes: number;
  ownerLogKeep: number;
}

export const DEFAULT_ROTATION: RotationOptions = {
  maxBytes: 20 << 20,
  checkMs: 2000,
  retention: DEFAULT_RETENTION,
  pause: true,
  pauseTimeoutMs: 250,
  ownerLogMaxBytes: 5 << 20,
  ownerLogKeep: 3,
};

export interface RotationReport {
  file: string;
  bytes: number;
  paused: boolean;
  /** How long the service was stopped. */
  pausedMs: number;
}

const pauseNote = (dir: DataDir, stack: string, service: string) => join(dir.home, 'run', `paused.${stack}.${service}.json`);

function writeAll(fd: number, buf: Buffer, n: number): void {
  let off = 0;
  while (off < n) off += writeSync(fd, buf, off, n - off);
}

/** Appends fdIn[from..EOF] to fdOut; returns the new offset. */
function copyFrom(fdIn: number, fdOut: number, from: number, buf: Buffer): number {
  let off = from;
  for (;;) {
    const n = readSync(fdIn, buf, 0, buf.length, off);
    if (n === 0) return off;
    writeAll(fdOut, buf, n);
    off += n;
  }
}

/**
 * Shifts the existing `path.N` up by one (`.1` becomes `.2`…), dropping what
 * would pass `keep`, so `.1` is free. Only the files that exist are touched:
 * this runs next to a live writer, and a thousand failing renames take tens of ms.
 */
function shiftRotated(path: string, keep: number): void {
  const base = basename(path);
  const nums = readdirSync(dirname(path))
    .map((f) => (f.startsWith(`${base}.`) ? /^(\d+)$/.exec(f.slice(base.length + 1)) : null))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const n of nums) {
    if (n >= keep) removeFile(`${path}.${n}`);
    else renameSync(`${path}.${n}`, `${path}.${n + 1}`);
  }
}

interface Paused {
  resume(): Promise<void>;
}

/** Stops every process of the instance (its group and its escaped marked processes), or says why not. */
async function pauseInstance(dir: DataDir, rec: InstanceRecord, timeoutMs: number): Promise<Paused | { reason: string }> {
  const p = await platform();
  const boot = await p.bootId();
  if (rec.boot !== boot) return { reason: 'instance from another boot' };
  const { procs, markers } = await p.scan();
  const leader = procs.find((x) => x.pid === rec.pid && x.start === rec.start);
  if (!leader) return { reason: 'its process is gone' };
  const members: { id: ProcessIdentity; inGroup: boolean; state: string }[] = [];
  for (const proc of procs) {
    if (proc.pid === process.pid) continue;
    const inGroup = proc.pgid === rec.pid;
    if (inGroup || markers.get(proc.pid) === rec.marker) members.push({ id: { pid: proc.pid, start: proc.start, boot }, inGroup, state: proc.state });
  }
  // Stopped by someone else (a debugger, a hang test): not ours to resume.
  if (members.some((m) => m.state === 'T' || m.state === 't')) return { reason: 'a process of the service is stopped (debugger?)' };
  const note = pauseNote(dir, rec.stack, rec.service);
  writeFileAtomic(note, JSON.stringify({ v: 1, at: Date.now(), members: members.map((m) => m.id) }) + '\n');
  const leaderId: ProcessIdentity = { pid: rec.pid, start: rec.start, boot };
  const signal = async (sig: NodeJS.Signals) => {
    await p.signalGroup(rec.pid, [leaderId], sig);
    for (const m of members) if (!m.inGroup) await p.signalProcess(m.id, sig);
  };
  const resume = async () => {
    await signal('SIGCONT');
    removeFile(note);
  };
  await signal('SIGSTOP');
  const stopped = await waitUntil(
    async () => {
      for (const m of members) {
        const info = await p.processInfo(m.id.pid);
        if (info && info.start === m.id.start && info.state !== 'T' && info.state !== 't') return false;
      }
      return true;
    },
    timeoutMs,
    1,
    5,
  );
  if (!stopped) {
    await resume();
    return { reason: `its processes did not stop within ${timeoutMs} ms` };
  }
  return { resume };
}

/**
 * Copy-truncate of one file: the bulk is copied while the writer runs, the
 * rest (with `pause`, while it is stopped) just before the truncate. The copy
 * is installed as `.1` before the truncate, so a crash in between duplicates
 * lines rather than losing them.
 */
export async function copyTruncate(
  path: string,
  opts: { keep: number; pause?: () => Promise<Paused | { reason: string }>; /** Keep line positions (a service log): see log-files.ts. */ advanceBase?: boolean },
): Promise<{ bytes: number; paused: boolean; pausedMs: number } | { skipped: string }> {
  const tmp = `${path}.rotating`;
  const fdIn = openSync(path, 'r+');
  let fdOut = -1;
  let paused: Paused | null = null;
  let t0 = 0;
  try {
    fdOut = openSync(tmp, 'w', 0o600);
    const buf = Buffer.allocUnsafe(1 << 20);
    let off = copyFrom(fdIn, fdOut, 0, buf);
    // Everything slow happens before the pause: the window left is one read, one rename, one truncate.
    shiftRotated(path, opts.keep);
    if (opts.pause) {
      const r = await opts.pause();
      if ('reason' in r) {
        closeSync(fdOut);
        fdOut = -1;
        unlinkSync(tmp);
        return { skipped: r.reason };
      }
      paused = r;
      t0 = performance.now();
    }
    off = copyFrom(fdIn, fdOut, off, buf);
    closeSync(fdOut);
    fdOut = -1;
    // Rotated or replaced under us (a restart rotates at start): leave it, nothing is lost.
    if (statSync(path).ino !== fstatSync(fdIn).ino) {
      unlinkSync(tmp);
      return { skipped: 'the file was replaced during the copy' };
    }
    renameSync(tmp, `${path}.1`);
    if (opts.advanceBase) advanceLogBase(path, off);
    ftruncateSync(fdIn, 0);
    const pausedMs = paused ? performance.now() - t0 : 0;
    return { bytes: off, paused: paused !== null, pausedMs };
  } catch (e) {
    try {
      if (fdOut >= 0) closeSync(fdOut);
      unlinkSync(tmp);
    } catch {}
    throw e;
  } finally {
    await paused?.resume();
    closeSync(fdIn);
  }
}

export async function rotateServiceLog(dir: DataDir, rec: InstanceRecord, opts: RotationOptions): Promise<RotationReport | { skipped: string }> {
  const file = dir.logFile(rec.stack, rec.service);
  const r = await copyTruncate(file, {
    keep: opts.retention.keep,
    advanceBase: true,
    ...(opts.pause ? { pause: () => pauseInstance(dir, rec, opts.pauseTimeoutMs) } : {}),
  });
  if ('skipped' in r) return r;
  pruneRotated(file, opts.retention);
  return { file, ...r };
}

/**
 * Resumes services a dead owner left paused mid-rotation, and removes its
 * half-made copies (their content is still in the log). Call before adopting.
 */
export async function resumePausedServices(dir: DataDir, log: (msg: string) => void = () => {}): Promise<number> {
  const runDir = join(dir.home, 'run');
  let names: string[] = [];
  try {
    names = readdirSync(runDir).filter((f) => f.startsWith('paused.') && f.endsWith('.json'));
  } catch {}
  const p = await platform();
  let resumed = 0;
  for (const name of names) {
    const path = join(runDir, name);
    const r = readJson(path, (v) => v as { members: ProcessIdentity[] });
    if (r.kind === 'ok' && Array.isArray(r.value.members)) {
      for (const id of r.value.members) if ((await p.signalProcess(id, 'SIGCONT')) === 'sent') resumed++;
    }
    removeFile(path);
    log(`resumed a service paused by a previous owner during log rotation (${name})`);
  }
  let stacks: string[] = [];
  try {
    stacks = readdirSync(join(dir.home, 'logs'));
  } catch {}
  for (const s of stacks) {
    let files: string[] = [];
    try {
      files = readdirSync(join(dir.home, 'logs', s)).filter((f) => f.endsWith('.rotating'));
    } catch {}
    for (const f of files) removeFile(join(dir.home, 'logs', s, f));
  }
  return resumed;
}

/**
 * Rotates logs that passed their size, and prunes by count and age. Woken by the
 * log directories themselves: a watch on each stack's log directory says a file
 * there changed; the watch is then closed and the stack's files are checked
 * `checkMs` later (re-armed first), so a quiet stack costs nothing and a chatty
 * one one check per `checkMs`. A full pass every minute is the safety net (a
 * missed event, the owner's own log, pruning by age).
 */
export class LogRotator {
  private running: Promise<RotationReport[]> | null = null;
  private lastPrune = 0;
  private readonly skips = new Map<string, number>();
  private readonly watches = new Map<string, FSWatcher>();
  private readonly dirty = new Set<string>();
  private cancelDue: (() => void) | null = null;
  private stopSafety: (() => void) | null = null;
  private started = false;
  private readonly onSnapshot = () => this.arm();
  readonly opts: RotationOptions;

  constructor(
    private readonly owner: Owner,
    opts: Partial<RotationOptions> = {},
  ) {
    this.opts = { ...DEFAULT_ROTATION, ...opts };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const report = (e: Error) => this.owner.log(`warning: log rotation pass failed: ${e.message}`);
    this.stopSafety = every(Math.max(this.opts.checkMs, SAFETY_PASS_MS), () => this.check().then(() => undefined, report), { slackMs: 1000, ref: false });
    // A stack added, or a service started for the first time (its log directory appears): watch it.
    this.owner.on('snapshot', this.onSnapshot);
    this.arm();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.stopSafety?.();
    this.stopSafety = null;
    this.cancelDue?.();
    this.cancelDue = null;
    this.owner.off('snapshot', this.onSnapshot);
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
    await this.running;
  }

  /** One pass over every stack (or only `stacks`); concurrent calls share a pass. */
  check(stacks?: ReadonlySet<string>): Promise<RotationReport[]> {
    this.running ??= this.pass(stacks).finally(() => (this.running = null));
    return this.running;
  }

  /** Watches the log directory of every registered stack that is not watched (and not waiting for its check). */
  private arm(): void {
    if (!this.started) return;
    const names = new Set(this.owner.stackNames());
    for (const [name, w] of this.watches) {
      if (names.has(name)) continue;
      w.close();
      this.watches.delete(name);
    }
    for (const name of names) {
      if (this.watches.has(name) || this.dirty.has(name)) continue;
      let w: FSWatcher;
      try {
        w = watch(join(this.owner.dir.home, 'logs', name), { persistent: false }, () => this.changed(name));
      } catch {
        continue; // No log directory yet: the next snapshot (its first start) or the safety pass arms it.
      }
      w.on('error', () => {
        w.close();
        if (this.watches.get(name) === w) this.watches.delete(name);
      });
      this.watches.set(name, w);
    }
  }

  /** A file of the stack changed: stop listening (a chatty service writes all the time) and check it soon. */
  private changed(stack: string): void {
    this.watches.get(stack)?.close();
    this.watches.delete(stack);
    this.dirty.add(stack);
    this.cancelDue ??= scheduler.after(
      this.opts.checkMs,
      () => {
        this.cancelDue = null;
        // After a pass under way (it may have begun before these changes), not folded into it.
        void (this.running ?? Promise.resolve())
          .catch(() => undefined)
          .then(() => this.check(new Set(this.dirty)))
          .catch((e: Error) => this.owner.log(`warning: log rotation pass failed: ${e.message}`));
      },
      { slackMs: Math.min(this.opts.checkMs / 4, 500), ref: false },
    );
  }

  private async pass(only?: ReadonlySet<string>): Promise<RotationReport[]> {
    const { owner, opts } = this;
    const done: RotationReport[] = [];
    // Watch again before reading sizes: a write from now on wakes the next check.
    for (const name of only ?? owner.stackNames()) this.dirty.delete(name);
    this.arm();
    for (const stackName of only ?? owner.stackNames()) {
      const spec = owner.stack(stackName);
      if (!spec) continue;
      const stack = { name: stackName };
      for (const { name } of spec.services) {
        let svc;
        try {
          svc = owner.supervisor(stackName, name);
        } catch {
          continue;
        }
        const file = owner.dir.logFile(stack.name, svc.name);
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          continue;
        }
        if (size < opts.maxBytes) continue;
        // Mid-start or mid-stop: the next pass.
        if (svc.busy || svc.state === 'stopping') continue;
        try {
          if (svc.pid === null) {
            // Nobody writes it: a rename is lossless.
            rotateLog(file, opts.retention);
            continue;
          }
          const rec = readInstance(owner.dir, stack.name, svc.name);
          if (rec.kind !== 'ok' || rec.value.pid !== svc.pid) continue;
          const key = `${stack.name}/${svc.name}`;
          const skips = this.skips.get(key) ?? 0;
          // A service that cannot be paused (D state, …) is rotated without the pause after a few tries, with a warning.
          const pause = opts.pause && skips < 3;
          const r = await rotateServiceLog(owner.dir, rec.value, { ...opts, pause });
          if ('skipped' in r) {
            this.skips.set(key, skips + 1);
            owner.log(`${key}: log rotation postponed: ${r.skipped}`);
            continue;
          }
          this.skips.delete(key);
          if (opts.pause && !pause) owner.log(`warning: ${key}: log rotated without pausing the service; lines written during the last copy may be lost`);
          owner.log(`${key}: log rotated at ${r.bytes} bytes${r.paused ? ` (service paused ${r.pausedMs.toFixed(2)} ms)` : ''}`);
          done.push(r);
        } catch (e) {
          owner.log(`warning: ${stack.name}/${svc.name}: log rotation failed: ${(e as Error).message}`);
        }
      }
    }
    try {
      if (statSync(owner.dir.ownerLog).size >= opts.ownerLogMaxBytes) {
        // The owner writes its log synchronously from this thread: nothing is written during the copy.
        const r = await copyTruncate(owner.dir.ownerLog, { keep: opts.ownerLogKeep });
        if (!('skipped' in r)) pruneRotated(owner.dir.ownerLog, { keep: opts.ownerLogKeep, maxAgeMs: opts.retention.maxAgeMs });
      }
    } catch {}
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      this.pruneAll();
    }
    return done;
  }

  /** Retention by count and age for every log under logs/, including stacks no longer registered. */
  private pruneAll(): void {
    const root = join(this.owner.dir.home, 'logs');
    let stacks: string[] = [];
    try {
      stacks = readdirSync(root);
    } catch {}
    for (const s of stacks) {
      // One listing per stack directory (it was read again for each of its logs: 200 services, 200 reads of 200+ names a minute).
      let names: string[] = [];
      try {
        names = readdirSync(join(root, s));
      } catch {}
      for (const f of names) if (f.endsWith('.log')) pruneRotated(join(root, s, f), this.opts.retention, names);
    }
  }
}
