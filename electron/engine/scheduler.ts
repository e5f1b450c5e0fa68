// One timer for the owner's periodic work: liveness probes, polls of adopted
// processes and of foreign port holders, descendant records, the safety pass
// of log rotation, the wake tick. Each job says how late it may run (its
// slack); the timer fires at the earliest deadline and runs every job already
// due, so an owner with 200 services wakes once per round of its periodic work
// for all of them instead of once per service and per timer (a laptop's CPU
// sleeps between).
// Jobs that may wait a grid step or more run at the last multiple of GRID_MS
// (of the owner's monotonic clock) inside their window, so periodic jobs of
// different phases fall into the same wakes and stay there: ten probes started
// a few hundred ms apart probe together from their second round on.
// Crash detection never waits here: our own children end with an exit event.

/** The step on which jobs with slack are aligned. */
export const GRID_MS = 250;

/** When a job due at `due` that may run `slack` ms late is run: the last grid point in its window, when there is one. */
export function alignedLatest(due: number, slack: number): number {
  if (slack < GRID_MS) return due + slack;
  return Math.max(due, Math.floor((due + slack) / GRID_MS) * GRID_MS);
}

/**
 * The grid step a run of a periodic job belongs to: `now` floored to the grid (a timer fires a
 * little after its step; counting the next period from the step, not from that moment, keeps
 * a job that joined a shared wake in it). Jobs whose slack is under a step count from `now`.
 */
function gridStep(now: number, slack: number): number {
  return slack < GRID_MS ? now : Math.floor(now / GRID_MS) * GRID_MS;
}

interface Job {
  due: number;
  latest: number;
  run: () => void;
  /** Keeps the process alive while pending (like a plain timer); the owner's own ticks do not. */
  ref: boolean;
}

export class Scheduler {
  private readonly jobs = new Set<Job>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private refs = 0;
  private fires = 0;
  private readonly busyListeners = new Set<() => void>();

  /** Runs `fn` once, `ms` from now, or up to `slackMs` later to share a wake with other jobs. Returns the cancel. */
  after(ms: number, fn: () => void, opts: { slackMs?: number; ref?: boolean } = {}): () => void {
    const due = performance.now() + Math.max(0, ms);
    const job: Job = { due, latest: alignedLatest(due, Math.max(0, opts.slackMs ?? 0)), run: fn, ref: opts.ref ?? true };
    this.add(job);
    this.arm();
    return () => {
      if (this.remove(job)) this.arm();
    };
  }

  /**
   * True while some job keeps the process alive: a probe, a poll, a wait of a service. Only
   * then can a sleep of the machine make the owner's view stale, so only then does the wake
   * watch tick (wake.ts): an owner whose services need no probe or poll does not wake at all.
   */
  get busy(): boolean {
    return this.refs > 0;
  }

  /** Calls `fn` each time the scheduler becomes busy; returns the unsubscribe. */
  onBusy(fn: () => void): () => void {
    this.busyListeners.add(fn);
    return () => this.busyListeners.delete(fn);
  }

  private add(job: Job): void {
    this.jobs.add(job);
    if (job.ref && ++this.refs === 1) for (const fn of [...this.busyListeners]) fn();
  }

  private remove(job: Job): boolean {
    if (!this.jobs.delete(job)) return false;
    if (job.ref) this.refs--;
    return true;
  }

  /** How many jobs wait (for tests and diagnostics). */
  get size(): number {
    return this.jobs.size;
  }

  /** How many times the timer has fired: the owner's wakes for periodic work (for tests and diagnostics). */
  get wakes(): number {
    return this.fires;
  }

  private arm(): void {
    let at = Infinity;
    let ref = false;
    for (const j of this.jobs) {
      if (j.latest < at) at = j.latest;
      ref ||= j.ref;
    }
    if (at === Infinity) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.timerAt = Infinity;
      return;
    }
    if (!this.timer || at < this.timerAt - 1) {
      if (this.timer) clearTimeout(this.timer);
      this.timerAt = at;
      this.timer = setTimeout(() => this.fire(), Math.max(0, at - performance.now()));
    }
    if (ref) this.timer.ref();
    else this.timer.unref();
  }

  private fire(): void {
    this.fires++;
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    const due: Job[] = [];
    for (const j of this.jobs) if (j.due <= now) due.push(j);
    for (const j of due) this.remove(j);
    for (const j of due) {
      try {
        j.run();
      } catch {
        // A job must not take the others down; each one handles its own errors.
      }
    }
    this.arm();
  }
}

/** The owner's one scheduler. */
export const scheduler = new Scheduler();

/** A periodic job's wait: `ms`, or up to `slackMs` more to share a wake; ends early when `signal` aborts. */
export function tickAfter(ms: number, signal?: AbortSignal, slackMs = 0, opts: { ref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const cancel = scheduler.after(ms, done, { slackMs, ref: opts.ref ?? true });
    function done() {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` every `ms` until the returned stop is called; `fn` is never run twice at once. Each
 * run may come up to `slackMs` early, on the grid step other periodic jobs share: an owner
 * with probes every 5 s and descendant records every 10 s wakes once for both. A period counts
 * from the grid step of the wake that ran it, or from the end of a run that took more than
 * half a period (a probe that timed out, say: a pause between runs, not back-to-back runs).
 */
export function every(ms: number, fn: () => void | Promise<void>, opts: { slackMs?: number; ref?: boolean } = {}, on: Scheduler = scheduler): () => void {
  let stopped = false;
  let cancel: () => void = () => {};
  const slackMs = Math.min(Math.max(0, opts.slackMs ?? 0), ms);
  let anchor = performance.now();
  const next = () => {
    if (stopped) return;
    cancel = on.after(anchor + ms - slackMs - performance.now(), () => {
      anchor = gridStep(performance.now(), slackMs);
      void (async () => {
        try {
          await fn();
        } catch {
          // The job reports its own failures; the next run still comes.
        }
        if (performance.now() - anchor > ms / 2) anchor = gridStep(performance.now(), slackMs);
        next();
      })();
    }, { ...opts, slackMs });
  };
  next();
  return () => {
    stopped = true;
    cancel();
  };
}
