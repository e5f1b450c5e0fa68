// CPU and memory of each running service's whole process tree, found the way
// a stop finds it (process-scan's membersIn: the group, the recorded
// descendants, and their children), read from the services' own trees alone:
// a process that left the tree (reparented after a double fork) counts from
// the next descendant record on (10 s to a minute after it appeared).
//
// Sampled only while someone looks: a view holds a watch (an open web UI page,
// the visible window, the open tray menu) and the sampler reads the process
// table every `intervalMs` until the last watch is released; a `status` asks
// for one fresh figure. Unwatched, no timer is armed and nothing is read, and
// no figure is shown: an old one would read as live.
//
// CPU % needs two readings. When watching starts, the first reading is a
// baseline and the second follows after `firstMs` (a few hundred ms), so a view
// gets figures almost at once and never a placeholder; a `status` does the same
// pair unless a watched sample is fresh or an earlier status left a baseline
// (the CPU times of the processes it counted, kept 10 s: `watch corral status`
// answers at once, with CPU % since the previous call). Resident memory is the sum of each
// process's RSS (pages shared by a parent and its forks count once per process,
// as in `ps`).
import type { ResourceUse } from '../../shared/state.js';
import { platform, type ProcessUsage } from './process/platform/index.js';
import { membersIn, type StopTarget } from './process/stop.js';
import { formatResources } from '../../shared/resource-format.js';

/** One running instance: `key` names it (its marker), `target` is what a stop of it would end. */
export interface SampleTarget {
  key: string;
  target: StopTarget;
}

export interface SamplerOptions {
  /** The instances running now. */
  targets(): SampleTarget[];
  /** A watched sample was taken, or the last watch ended (figures are gone): views should refresh. */
  changed(): void;
  /** Between two samples while watched (default 2000 ms). */
  intervalMs?: number;
  /** Between the baseline and the first figures (default 300 ms): long enough for a CPU % at 10 ms clock ticks. */
  firstMs?: number;
  /** A status within this long of the previous one measures CPU since then, without a new baseline (default 10 s). */
  baselineMs?: number;
  log(line: string): void;
}

/** One read of the process table: every process's CPU time by identity, and the rows. */
interface Reading {
  /** performance.now() at the read: the interval a CPU % is over. */
  t: number;
  at: number;
  boot: string;
  rows: ProcessUsage[];
  markers: Map<number, string | null>;
  cpu: Map<string, number>;
}

const idKey = (p: { pid: number; start: string }) => `${p.pid}:${p.start}`;

/** CPU times at a reading: of every process (a watched sample), or only of those a status counted (its baseline). */
type Baseline = Pick<Reading, 't' | 'cpu'>;

/** CPU % and memory per target between two readings, and the CPU times of the processes counted (the next baseline). */
export function usageBetween(prev: Baseline, next: Reading, targets: readonly SampleTarget[]): { figures: Map<string, ResourceUse>; counted: Baseline } {
  const out = new Map<string, ResourceUse>();
  const counted = new Map<string, number>();
  const elapsed = next.t - prev.t;
  const snap = { boot: next.boot, procs: next.rows, markers: next.markers };
  const byPid = new Map(next.rows.map((r) => [r.pid, r]));
  for (const { key, target } of targets) {
    const members = membersIn(snap, target);
    if (members.length === 0) continue;
    let cpuMs = 0;
    let memoryBytes = 0;
    for (const m of members) {
      const row = byPid.get(m.id.pid)!;
      // Absent from the baseline: born since, so all its CPU time is in the interval (a baseline of a status
      // holds only the processes it counted; a process older than it that joined a service since is a fork, hence new).
      const before = prev.cpu.get(idKey(row)) ?? 0;
      counted.set(idKey(row), row.cpuMs);
      cpuMs += Math.max(0, row.cpuMs - before);
      memoryBytes += row.rssBytes;
    }
    const cpuPercent = elapsed > 0 ? Math.round((cpuMs / elapsed) * 1000) / 10 : 0;
    out.set(key, { cpuPercent, memoryBytes, processes: members.length, at: next.at });
  }
  return { figures: out, counted: { t: next.t, cpu: counted } };
}

export class ResourceSampler {
  private watchers = 0;
  /** Bumped when the last watch ends: a read in flight from before is discarded. */
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private prev: Reading | null = null;
  private latest = new Map<string, ResourceUse>();
  private latestAt: number | null = null;
  /** Markers by process identity: a process's environment is read once, when it is first seen. */
  private asking: Promise<Map<string, ResourceUse>> | null = null;
  /** The CPU times a status counted: the next status within `baselineMs` measures from there, without waiting. */
  private asked: Baseline | null = null;
  private readonly baselineMs: number;
  private readonly intervalMs: number;
  private readonly firstMs: number;
  private failing = false;
  /** Process-table reads so far (what the tests count: none while unwatched). */
  reads = 0;

  constructor(private readonly opts: SamplerOptions) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.firstMs = opts.firstMs ?? 300;
    this.baselineMs = opts.baselineMs ?? 10_000;
  }

  get watching(): number {
    return this.watchers;
  }

  /** Whether a sample is scheduled (never while unwatched). */
  get armed(): boolean {
    return this.timer !== null;
  }

  /** Starts sampling (if it was not already) until the returned release is called; releasing twice is harmless. */
  watch(): () => void {
    this.watchers++;
    if (this.watchers === 1) this.schedule(0, this.generation);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.watchers--;
      if (this.watchers === 0) this.rest();
    };
  }

  /** The figures of an instance from the last watched sample; null while unwatched or when none is recent. */
  current(key: string): ResourceUse | null {
    if (this.watchers === 0 || this.latestAt === null || performance.now() - this.latestAt > this.intervalMs * 3) return null;
    return this.latest.get(key) ?? null;
  }

  /**
   * Fresh figures for every running instance: the watched sample when recent; else CPU since the previous status
   * when that was within `baselineMs` (repeated statuses answer at once); else a pair of reads `firstMs` apart.
   */
  async fresh(): Promise<Map<string, ResourceUse>> {
    if (this.watchers > 0 && this.latestAt !== null && performance.now() - this.latestAt <= this.intervalMs * 1.5) return this.latest;
    // Nothing runs: nothing to measure, and no reason to make a `status` wait.
    if (this.opts.targets().length === 0) return new Map();
    this.asking ??= (async () => {
      try {
        let a: Baseline | null = this.asked && performance.now() - this.asked.t <= this.baselineMs ? this.asked : null;
        a ??= await this.read();
        // A measurement window, not a wait for a condition: CPU % is CPU time over at least `firstMs` of wall time.
        const left = this.firstMs - (performance.now() - a.t);
        if (left > 0) await new Promise((r) => setTimeout(r, left));
        const b = await this.read();
        const { figures, counted } = usageBetween(a, b, this.opts.targets());
        // Only what was counted is kept (a few numbers per service): nothing else stays while unwatched.
        this.asked = counted;
        return figures;
      } finally {
        this.asking = null;
      }
    })();
    return this.asking;
  }

  dispose(): void {
    this.watchers = 0;
    this.asked = null;
    this.rest(false);
  }

  private rest(notify = true): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.prev = null;
    this.latest = new Map();
    this.latestAt = null;
    if (notify) this.opts.changed();
  }

  private schedule(ms: number, generation: number): void {
    this.timer = setTimeout(() => void this.tick(generation), ms);
    // Never what keeps a process alive: the owner's own handles do that.
    this.timer.unref();
  }

  private async tick(generation: number): Promise<void> {
    this.timer = null;
    let next: Reading | null = null;
    try {
      next = await this.read();
      this.failing = false;
    } catch (e) {
      // Out of descriptors, ps failing: the figures wait for the next tick (and go stale, hence null, if it keeps failing).
      if (!this.failing) this.opts.log(`warning: resource sample skipped: ${(e as Error).message}`);
      this.failing = true;
    }
    if (generation !== this.generation || this.watchers === 0) return;
    if (next) {
      if (this.prev) {
        const before = this.latestAt === null ? null : this.latest;
        this.latest = usageBetween(this.prev, next, this.opts.targets()).figures;
        this.latestAt = performance.now();
        // A sample that changes no figure as the views print it sends nothing: 200 idle
        // services sent a whole snapshot (120 kB) to every view every two seconds.
        if (before === null || !sameAsShown(before, this.latest)) this.opts.changed();
      }
      const baseline = this.prev === null;
      this.prev = next;
      this.schedule(baseline ? this.firstMs : this.intervalMs, generation);
    } else this.schedule(this.intervalMs, generation);
  }

  private async read(): Promise<Reading> {
    const p = await platform();
    const boot = await p.bootId();
    const t = performance.now();
    // The services' own trees (each leader, each recorded descendant, and their children), never the
    // whole table: a laptop's 700 processes read every 2 s were most of what a watched owner spent.
    // What a tree holds is known by where it hangs: no environment is read for a marker.
    const roots = new Set<number>();
    for (const { target } of this.opts.targets()) {
      if (target.leader) roots.add(target.leader.pid);
      for (const k of target.known ?? []) roots.add(k.pid);
    }
    const rows = roots.size === 0 ? [] : (await p.usage([...roots])).filter((r) => r.pid !== process.pid);
    this.reads++;
    const cpu = new Map<string, number>();
    for (const r of rows) cpu.set(idKey(r), r.cpuMs);
    return { t, at: Date.now(), boot, rows, markers: new Map(), cpu };
  }
}

/** Whether two samples print the same in every view (CPU to a tenth of a percent, memory as shown, the process count). */
function sameAsShown(a: ReadonlyMap<string, ResourceUse>, b: ReadonlyMap<string, ResourceUse>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, r] of b) {
    const was = a.get(key);
    if (!was || was.processes !== r.processes || formatResources(was) !== formatResources(r)) return false;
  }
  return true;
}
