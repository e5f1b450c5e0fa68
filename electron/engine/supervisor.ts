// One service's supervisor. Commands (start, stop, restart, adopt) run one at
// a time through a queue; the life of the service's instances is one loop,
// `live()`, read top to bottom:
//
//   launch or adopt → wait until ready → race exit / fatal health / stop
//   → the restart policy decides → backoff → launch again (or hold, or rest)
//
// A `Life` is that loop's token: a stop aborts it and waits for the loop to
// return before it touches a process, so the two never act at once. An
// `Instance` is one process (ours, or adopted) with its own abort signal,
// aborted when it ends, which stops its probes and timers.
//
// Contents: snapshot · commands · the life loop · startup · after an exit · launch · stop.
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServiceSpec } from '../../shared/stack.js';
import { describeExit, type ExitInfo, type HealthResult, type HeldOn, type ProcessRef, type ServiceSnapshot, type ServiceState, type WatchRestart } from '../../shared/state.js';
import type { ActionOutcome } from '../../shared/api.js';
import { formatDuration } from '../../shared/duration.js';
import { SerialQueue } from './serial.js';
import { CrashTracker, shouldRestart } from './backoff.js';
import { canTransition, type ServiceEvent } from './service-state.js';
import { Emitter } from './emitter.js';
import { HealthWatch } from './health-watch.js';
import { ServiceHistory } from './service-history.js';
import { raceAbort, whenAborted } from './abort.js';
import { spawnService, SpawnError } from './process/spawn.js';
import { stopTarget, membersIn, type ProcessSnapshot, type StopResult, type StopTarget } from './process/stop.js';
import { takeSnapshot, byMarker } from './process/process-scan.js';
import type { ProcessInfo } from './process/platform/index.js';
import { portHolders, portConflictMessage, describeHolder } from './process/ports.js';
import { identityOfRecord, knownOfRecord, removeInstance, writeInstance, type InstanceRecord } from './state/state-file.js';
import { specPrint, type RestRecord } from './state/registry.js';
import { rotateLog, tailLines, type Retention } from './logs/log-files.js';
import { addressInUsePort } from './address-in-use.js';
import { LogMatcher } from './log-ready.js';
import { isAlive, platform } from './process/platform/index.js';
import { whenAdoptedEnds } from './adopted-poll.js';
import { probe } from './probes/index.js';
import { delayMs } from './wait.js';
import { tickAfter } from './scheduler.js';
import type { DataDir } from './state/paths.js';
import { TreeWatch, shownPath } from './file-watch.js';

export interface SupervisorContext {
  dir: DataDir;
  stack: string;
  /** The first dependency of `spec` that is not in the state it needs, or null when all are. */
  dependencyBlocker(spec: ServiceSpec): HeldOn | null;
  /** Liveness poll of adopted processes (not our children: no exit event). */
  adoptPollMs: number;
  /** Rotated logs kept when a start rotates the previous instance's log (the owner's retention setting). */
  logRetention: Retention;
  log(msg: string): void;
}

const LOG_LINES_KEPT = 20;
/**
 * Services of this owner waiting for their first healthy probe. During its first second a
 * service is probed 50 ms apart; but while its port refuses connections (nothing listens yet:
 * the service sees nothing of it), or its readiness is a line in its log, and few services
 * start at once, 10 ms apart, since each link
 * of a dependency chain waits for that answer. The more start together, the further apart (50 ms
 * at ten or more), so a stack of hundreds starting at once does not spend the owner's CPU on
 * refused connects.
 */
let startingProbed = 0;
const startupProbeMs = (refused: boolean): number => (refused ? Math.min(50, Math.max(10, startingProbed * 5)) : 50);
/** How often a recorded foreign port holder is checked for still being there. */
const HOLDER_POLL_MS = 2000;

/** One process of the service: ours (with an exit event) or adopted (polled). */
interface Instance {
  rec: InstanceRecord;
  child: ChildProcess | null;
  /** Settles once, when the instance ends without being asked. */
  ended: Promise<ExitInfo>;
  /** A re-check found it gone. */
  markGone(): void;
  /** Aborted when the instance has ended or is no longer watched: its probes and timers stop. */
  ac: AbortController;
}

/** One run of the life loop: aborted by a stop, which then awaits `done`. */
class Life {
  readonly ac = new AbortController();
  done: Promise<void> = Promise.resolve();
  private settle: (o: ActionOutcome) => void = () => {};
  /** The outcome of the current instance's startup (replaced at each restart). */
  ready: Promise<ActionOutcome> = this.nextReady();

  nextReady(): Promise<ActionOutcome> {
    this.ready = new Promise((resolve) => (this.settle = resolve));
    return this.ready;
  }
  resolveReady(o: ActionOutcome): void {
    this.settle(o);
  }
  get signal(): AbortSignal {
    return this.ac.signal;
  }
}

type Startup = { kind: 'ready'; detail: string } | { kind: 'ended'; exit: ExitInfo; why: string } | { kind: 'timeout'; why: string } | { kind: 'aborted'; why: string };

export class ServiceSupervisor {
  state: ServiceState = 'stopped';
  adopted = false;
  restarts = 0;
  /** Its last exits and health results, a few of each (the detail view). */
  readonly history = new ServiceHistory();
  reason: string | null = null;
  lastLogLines: string[] = [];
  survivors: ProcessRef[] = [];
  portHolder: (ProcessRef & { port: number }) | null = null;
  nextRestartAt: number | null = null;
  /** The log file of the running instance was deleted: its output goes nowhere anyone can read until it restarts. */
  logMissing = false;
  /** The instance is a process that forked into the background during startup (its leader exited 0). */
  daemonized = false;
  /** The last start was a restart for changed watched files (cleared by any other start, stop or crash). */
  watchRestart: WatchRestart | null = null;
  /** Any change a view shows. */
  readonly onChange = new Emitter<void>();
  readonly onEvent = new Emitter<ServiceEvent>();

  private wanted: 'up' | 'down' = 'down';
  private heldOn: HeldOn | null = null;
  private inst: Instance | null = null;
  private life: Life | null = null;
  private liveness: HealthWatch | null = null;
  private holderWatch: AbortController | null = null;
  private readonly queue = new SerialQueue();
  private readonly crashes: CrashTracker;
  private disposed = false;
  /** The `watch` paths, watched while the user wants the service up. */
  private files: TreeWatch | null = null;
  /** Consecutive descendant records of this instance that found no process but its leader. */
  private quiet: { rec: InstanceRecord | null; records: number } = { rec: null, records: 0 };
  /**
   * A read of the process table since this owner took the lock found no process of this
   * service, and none was launched or adopted since: only this owner spawns processes with
   * its marker, so its first launch need not search the table again for leftovers.
   */
  private knownClean = false;

  constructor(
    public spec: ServiceSpec,
    private readonly ctx: SupervisorContext,
  ) {
    this.crashes = new CrashTracker(spec.restart);
  }

  get name(): string {
    return this.spec.name;
  }
  // The latest exit and health result; every value they take is also recorded in `history`.
  private latestExit: ExitInfo | null = null;
  private latestHealth: HealthResult | null = null;
  get lastExit(): ExitInfo | null {
    return this.latestExit;
  }
  set lastExit(e: ExitInfo | null) {
    this.history.exit(e);
    this.latestExit = e;
  }
  get health(): HealthResult | null {
    return this.latestHealth;
  }
  set health(h: HealthResult | null) {
    this.history.healthResult(h);
    this.latestHealth = h;
  }
  /** Its log file (the stack and the service's name never change for a supervisor). */
  get logFile(): string {
    return (this.logPath ??= this.ctx.dir.logFile(this.ctx.stack, this.spec.name));
  }
  private logPath: string | undefined;
  get pid(): number | null {
    return this.inst?.rec.pid ?? null;
  }
  get busy(): boolean {
    return this.queue.size > 0;
  }
  /** What the user last asked for; changed only by `want` and the commands. */
  get desired(): 'up' | 'down' {
    return this.wanted;
  }
  /** Records what the user wants without acting on it (the owner's registry, a stack being installed). */
  want(desired: 'up' | 'down'): void {
    this.wanted = desired;
    this.syncWatch();
  }

  snapshot(): ServiceSnapshot {
    return {
      stack: this.ctx.stack,
      name: this.spec.name,
      state: this.state,
      desired: this.wanted,
      pid: this.pid,
      adopted: this.adopted,
      restarts: this.restarts,
      ports: this.spec.ports,
      startedAt: this.inst?.rec.startedAt ?? null,
      lastExit: this.lastExit,
      health: this.health,
      reason: this.reason,
      // What it waits for as of now: the hold may have begun while a dependency was starting that has failed since.
      held: this.state === 'held' ? (this.ctx.dependencyBlocker(this.spec) ?? this.heldOn) : null,
      nextRestartAt: this.nextRestartAt,
      logMissing: this.logMissing,
      daemonized: this.daemonized && this.inst !== null,
      url: openUrlOf(this.spec),
      lastLogLines: this.lastLogLines,
      survivors: this.survivors,
      portHolder: this.portHolder,
      logFile: this.logFile,
      dependsOn: this.spec.dependsOn,
      oneshot: this.spec.oneshot,
      resources: null,
      watchRestart: this.watchRestart,
    };
  }

  // ---- commands (serialized) ----

  start(): Promise<ActionOutcome> {
    this.wanted = 'up';
    this.watchRestart = null;
    return this.queue.run(() => this.doStart());
  }

  stop(after?: Promise<unknown>): Promise<ActionOutcome> {
    this.wanted = 'down';
    this.watchRestart = null;
    this.syncWatch();
    this.preempt();
    return this.queue.run(async () => {
      if (after) await after;
      return this.doStop(false);
    });
  }

  restart(): Promise<ActionOutcome> {
    this.watchRestart = null;
    return this.restartNow();
  }

  /** A restart, the user's or a watch's: checked, then stop and start through the queue (a crash counts nothing here). */
  private restartNow(): Promise<ActionOutcome> {
    // What a start needs is checked before anything is stopped: a restart that cannot start leaves it running.
    const problem = this.startProblem();
    if (problem) return Promise.resolve(this.outcome(false, `${this.name} was not restarted: ${problem}; nothing was stopped`, { notStarted: true }));
    this.wanted = 'up';
    this.preempt();
    return this.queue.run(async () => {
      const stopped = await this.doStop(false, true);
      if (!stopped.ok) return stopped;
      return this.doStart();
    });
  }

  /** Kills what a previous stop left (ours only, identity-checked). */
  forceStop(): Promise<ActionOutcome> {
    this.wanted = 'down';
    this.watchRestart = null;
    this.syncWatch();
    this.preempt();
    return this.queue.run(() => this.doStop(true));
  }

  /** Said by the reconciler of a service it found no process of (see `knownClean`). */
  foundNothingLeft(): void {
    if (this.inst === null) this.knownClean = true;
  }

  /**
   * Takes over a live instance found at owner start (F07): same pid, watched by
   * polling. The instance is recorded at once (so nothing can start a second
   * one); the returned promise settles when its first probe has answered.
   */
  adopt(rec: InstanceRecord): Promise<void> {
    this.knownClean = false;
    this.wanted = 'up';
    this.adopted = true;
    this.restarts = rec.restarts;
    const inst = this.watch(rec, null);
    this.fire({ type: 'adopted', pid: rec.pid });
    const ready = this.beginLife(inst);
    return this.queue.run(async () => void (await ready));
  }

  /**
   * What the next owner must show of this service when no process accounts for it: a
   * `failed` service (not restarted until the user asks) or a `completed` task; null otherwise
   * (a failed stop that left processes is not kept: those processes are found again by their marker).
   */
  restRecord(boot: string): RestRecord | null {
    const kept = (this.state === 'failed' && this.survivors.length === 0) || (this.state === 'completed' && this.spec.oneshot);
    if (!kept || this.inst !== null) return null;
    const state = this.state as RestRecord['state'];
    return { state, reason: this.reason, lastExit: this.lastExit, lastLogLines: this.lastLogLines, restarts: this.restarts, boot, spec: specPrint(this.spec) };
  }

  /**
   * Shows what an earlier owner knew of a service at rest (`restRecord`), before anything
   * starts it: a failed service stays failed with its reason and last exit, a completed task
   * completed. Only a service with no instance, stopped as it was installed, is seeded.
   */
  restore(rec: RestRecord): boolean {
    if (this.state !== 'stopped' || this.inst !== null || this.life !== null || rec.spec !== specPrint(this.spec)) return false;
    if (rec.state === 'completed' && !this.spec.oneshot) return false;
    this.state = rec.state;
    this.reason = rec.reason;
    this.lastExit = rec.lastExit;
    this.lastLogLines = rec.lastLogLines;
    this.restarts = rec.restarts;
    this.changed();
    return true;
  }

  /** After sleep/wake or a stall: check the instance now and reset probe counters, so late timers cause no restarts (F22). */
  async recheck(): Promise<void> {
    const inst = this.inst;
    if (!inst) return;
    if (!(await isAlive(identityOfRecord(inst.rec)).catch(() => true))) {
      if (this.inst === inst) inst.markGone();
      return;
    }
    this.liveness?.reset();
    if (this.state !== 'starting') await this.liveness?.once();
  }

  /**
   * Remembers the instance's descendants in its state file. A process that later
   * leaves the group, clears its environment and loses its parent (a double fork)
   * is still found by its recorded identity when the service stops.
   */
  recordDescendants(snap: ProcessSnapshot): void {
    const rec = this.inst?.rec;
    if (!rec) return;
    const members = membersIn(snap, { leader: identityOfRecord(rec), markerPrefix: rec.marker, ports: [], known: knownOfRecord(rec) });
    const next = members.filter((m) => m.id.pid !== rec.pid).map((m) => ({ pid: m.id.pid, start: m.id.start }));
    if (this.quiet.rec !== rec) this.quiet = { rec, records: 0 };
    this.quiet.records = next.length === 0 ? this.quiet.records + 1 : 0;
    const key = (l: { pid: number; start: string }[]) => l.map((d) => `${d.pid}:${d.start}`).sort().join(',');
    if (key(next) === key(rec.descendants ?? [])) return;
    rec.descendants = next;
    try {
      writeInstance(this.ctx.dir, rec);
    } catch (e) {
      this.ctx.log(`${this.ctx.stack}/${this.name}: cannot update the state file: ${(e as Error).message}`);
    }
  }

  /** What a resource sample counts as the running instance (its tree, as a stop finds it), keyed by its marker; null when nothing runs. */
  resourceTarget(): { key: string; target: StopTarget } | null {
    const rec = this.inst?.rec;
    return rec ? { key: rec.marker, target: { leader: identityOfRecord(rec), markerPrefix: rec.marker, ports: [], known: knownOfRecord(rec) } } : null;
  }

  /**
   * Whether the descendant record of pass `pass` should read this instance's tree. A service
   * that has had no process but its leader for three records in a row (most services) is read
   * every sixth pass only: 200 leaf services read every 10 s were most of an idle owner's CPU.
   */
  recordDue(pass: number): boolean {
    const rec = this.inst?.rec;
    if (!rec) return false;
    return this.quiet.rec !== rec || this.quiet.records < 3 || pass % 6 === 0;
  }

  /** The processes whose trees hold the running instance: its leader and the descendants recorded so far. */
  treeRoots(): number[] {
    const rec = this.inst?.rec;
    return rec ? [rec.pid, ...(rec.descendants ?? []).map((d) => d.pid)] : [];
  }

  /** What would keep a start from working (its log file cannot be written, its cwd is gone), or null. */
  startProblem(): string | null {
    try {
      mkdirSync(dirname(this.logFile), { recursive: true, mode: 0o700 });
      closeSync(openSync(this.logFile, 'a', 0o600));
    } catch (e) {
      return `its log file ${this.logFile} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    if (!existsSync(this.spec.cwd)) return `working directory ${this.spec.cwd}${this.spec.cwdAt ? ` (\`cwd\` at ${this.spec.cwdAt})` : ''} does not exist: create it, or fix \`cwd\``;
    return null;
  }

  /**
   * A running service whose log file was deleted writes into a file nobody can
   * open: say so until its next start, which creates the file again.
   */
  checkLogFile(): void {
    const missing = this.inst !== null && !existsSync(this.logFile);
    if (missing === this.logMissing) return;
    this.logMissing = missing;
    if (missing) this.ctx.log(`${this.ctx.stack}/${this.name}: its log file ${this.logFile} was deleted while it runs; its output is lost until it restarts`);
    this.changed();
  }

  /** Stops watching without touching the processes (owner quit or handover). */
  dispose(): void {
    this.disposed = true;
    this.syncWatch();
    this.life?.ac.abort();
    this.inst?.ac.abort();
    this.holderWatch?.abort();
    this.inst?.child?.removeAllListeners('exit');
    this.inst?.child?.unref();
    this.onChange.dispose();
    this.onEvent.dispose();
  }

  // ---- state ----

  private setState(to: ServiceState, reason: string | null = this.reason): void {
    const from = this.state;
    if (from !== to && !canTransition(from, to)) throw new Error(`${this.name}: invalid transition ${from} → ${to}`);
    this.state = to;
    this.reason = reason;
    // Fields that describe a live instance or a wait are not shown once they no longer apply.
    if (to !== 'held') this.heldOn = null;
    if (to !== 'backoff') this.nextRestartAt = null;
    if (to === 'stopped' || to === 'failed' || to === 'held' || to === 'backoff' || to === 'completed') this.health = null;
    if (from !== to) this.fire({ type: 'state', from, to });
    this.changed();
  }

  private changed(): void {
    this.syncWatch();
    if (!this.disposed) this.onChange.fire();
  }

  // ---- watched files ----

  /** Watches the spec's `watch` paths while the user wants the service up; a changed list is watched anew. */
  private syncWatch(): void {
    const paths = this.wanted === 'up' && !this.disposed ? [...new Set(this.spec.watch ?? [])] : [];
    if (paths.join('\0') === (this.files?.paths.join('\0') ?? '')) return;
    this.files?.close();
    this.files = null;
    if (paths.length === 0) return;
    this.files = new TreeWatch(paths, {
      onChange: (files) => void this.onWatchedChange(files),
      onProblem: (m) => this.ctx.log(`${this.ctx.stack}/${this.name}: watch: ${m}`),
      show: (p) => shownPath(p, this.spec.cwd),
    });
  }

  /** Files under `watch` changed: a restart like the user's (a held service waits for its dependencies instead). */
  private async onWatchedChange(files: string[]): Promise<void> {
    if (this.wanted !== 'up' || this.disposed || this.state === 'held') return;
    const cause: WatchRestart = { file: shownPath(files.at(-1)!, this.spec.cwd), others: files.length - 1, at: Date.now() };
    const what = `${cause.file}${cause.others > 0 ? ` and ${cause.others} other file${cause.others > 1 ? 's' : ''}` : ''} changed`;
    this.ctx.log(`${this.ctx.stack}/${this.name}: restarting: ${what}`);
    this.watchRestart = cause;
    const o = await this.restartNow();
    if (o.ok) return;
    this.ctx.log(`${this.ctx.stack}/${this.name}: restart for changed files failed: ${o.message}`);
    // Refused before anything was stopped (its cwd is gone): what runs was not restarted.
    if (o.notStarted && this.watchRestart === cause) {
      this.watchRestart = null;
      this.changed();
    }
  }

  private fire(e: ServiceEvent): void {
    if (!this.disposed) this.onEvent.fire(e);
  }

  private outcome(ok: boolean, message: string, extra: Partial<ActionOutcome> = {}): ActionOutcome {
    return { stack: this.ctx.stack, service: this.name, ok, state: this.state, message, ...extra };
  }

  /** A stop must not wait behind a startup that may take its whole start timeout: end the life loop now. */
  private preempt(): void {
    this.life?.ac.abort();
  }

  private async endLife(): Promise<void> {
    const life = this.life;
    if (!life) return;
    life.ac.abort();
    await life.done;
  }

  private hold(on: HeldOn): void {
    this.heldOn = on;
    this.setState('held', null);
    this.fire({ type: 'held', on });
  }

  // ---- the life loop ----

  /** Starts the life loop on an instance; resolves with its startup's outcome. */
  private beginLife(inst: Instance): Promise<ActionOutcome> {
    const life = new Life();
    this.life = life;
    this.inst = inst;
    life.done = this.live(life, inst)
      .catch((e) => this.ctx.log(`${this.ctx.stack}/${this.name}: internal error in its supervisor: ${(e as Error).stack ?? String(e)}`))
      .finally(() => {
        if (this.life === life) this.life = null;
        life.resolveReady(this.outcome(this.state === 'running', `not started (${this.state})`));
      });
    return life.ready;
  }

  private async live(life: Life, first: Instance): Promise<void> {
    let inst: Instance | null = first;
    if (this.spec.oneshot) return this.runTask(life, first);
    while (inst) {
      const startup = await this.startup(life, inst);
      if (startup.kind === 'aborted') return life.resolveReady(this.outcome(false, startup.why));
      let exit: ExitInfo | null;
      if (startup.kind === 'ready') {
        const pid = inst.rec.pid;
        const took = formatDuration(Date.now() - inst.rec.startedAt);
        life.resolveReady(this.outcome(true, this.spec.health ? `healthy in ${took} (pid ${pid})` : `started (pid ${pid})`));
        exit = await this.watchRunning(life, inst);
        if (exit === null) return; // a stop took over
      } else if (startup.kind === 'ended') {
        exit = startup.exit;
        // It exited 0 and left a process of its own running: it daemonized itself (pg_ctl start, `&`).
        const bg = exit.reason === 'exited' ? await this.backgroundOf(inst) : null;
        if (bg && !this.spec.foregroundOnly && !life.signal.aborted) {
          inst = this.follow(inst, bg);
          continue;
        }
        await this.cleanupInstance(inst, Math.min(this.spec.stop.graceMs, 2000));
        if (bg) {
          // foreground_only: what it left in the background was just ended; it is a failed start, not a rest.
          if (life.signal.aborted) return;
          const why = `${this.name} exited with code 0 while starting and left pid ${bg.pid} (${bg.command}) running in the background: it daemonized itself, and foreground_only is set. Run it in the foreground instead (for example redis-server --daemonize no, nginx -g "daemon off;", postgres -D DIR instead of pg_ctl start)`;
          this.lastExit = exit;
          this.lastLogLines = tailLines(this.logFile, LOG_LINES_KEPT);
          this.setState('failed', why);
          this.fire({ type: 'failed', reason: why });
          return life.resolveReady(this.outcome(false, why));
        }
        const inUse = await this.addressInUse();
        if (inUse) startup.why = `${startup.why}; ${inUse}`;
      } else {
        // Not ready within its start timeout: ended on purpose, then handled like a crash.
        await this.cleanupInstance(inst, this.spec.stop.graceMs);
        exit = { code: null, signal: null, at: Date.now(), reason: 'start-timeout', pid: inst.rec.pid };
      }
      if (life.signal.aborted) return;
      const next = this.afterExit(inst.rec, exit);
      // A failed startup's outcome carries the state that follows (backoff, failed, stopped), so `up` can say what happens next.
      if (startup.kind !== 'ready') life.resolveReady(this.outcome(false, startup.why));
      if (next === null) return;
      // Backoff, then the next instance (or a hold, when a dependency went away meanwhile).
      await delayMs(next, life.signal);
      if (life.signal.aborted || this.wanted !== 'up') return;
      const blocker = this.ctx.dependencyBlocker(this.spec);
      if (blocker) return this.hold(blocker);
      life.nextReady();
      inst = await this.launchInstance();
      if (inst) this.inst = inst;
    }
  }

  /** While ready: race the instance's end, a fatal health verdict and a stop. Returns how it ended, or null for a stop. */
  private async watchRunning(life: Life, inst: Instance): Promise<ExitInfo | null> {
    this.setState('running', null);
    this.fire({ type: 'healthy', detail: this.health?.detail ?? 'process started' });
    // A stable uptime resets the backoff and the crash count.
    void tickAfter(this.spec.restart.resetAfterMs, inst.ac.signal, 1000, { ref: false }).then(() => {
      if (!inst.ac.signal.aborted && this.inst === inst && this.state === 'running') this.crashes.reset();
    });
    const health = this.spec.health;
    // A log check says when it is ready, not whether it is still alive: no liveness probes after.
    const watch = health && health.check.kind !== 'log' ? new HealthWatch(health, this.spec.cwd, AbortSignal.any([life.signal, inst.ac.signal]), (r, failures) => this.onProbe(r, failures)) : null;
    this.liveness = watch;
    watch?.start();
    const fatal = watch && this.spec.restart.policy !== 'never' ? watch.fatal : new Promise<never>(() => {});
    const end = await Promise.race([
      inst.ended.then((exit) => ({ kind: 'exit' as const, exit })),
      fatal.then((detail) => ({ kind: 'fatal' as const, detail })),
      whenAborted(life.signal).then(() => ({ kind: 'stop' as const })),
    ]);
    if (this.liveness === watch) this.liveness = null;
    if (end.kind === 'stop') return null;
    if (end.kind === 'exit') {
      await this.cleanupInstance(inst, Math.min(this.spec.stop.graceMs, 2000));
      return end.exit;
    }
    // A hung process ignores SIGTERM: it is killed outright (F03), then restarted per policy.
    await this.cleanupInstance(inst, 0, 'SIGKILL');
    return { code: null, signal: 'SIGKILL', at: Date.now(), reason: 'killed-unhealthy', pid: inst.rec.pid };
  }

  private onProbe(r: { ok: boolean; detail: string }, failures: number): void {
    const before = this.health;
    this.health = { ok: r.ok, detail: r.detail, at: Date.now() };
    // A healthy service answering as before changes nothing a view shows: no snapshot goes out
    // (ten services probed every 5 s sent two a second to every view, and woke them). "As
    // before" ignores how long the answer took: "accepted in 0 ms" then "in 1 ms" is no news.
    if (r.ok && before?.ok && sameAnswer(before.detail, r.detail) && this.state === 'running') return;
    if (r.ok) {
      if (this.state === 'unhealthy') {
        this.setState('running', null);
        this.fire({ type: 'healthy', detail: r.detail });
      } else this.changed();
      return;
    }
    if (failures >= this.spec.health!.failureThreshold && this.state === 'running') {
      this.setState('unhealthy', `${failures} health checks failed in a row (${r.detail})`);
      this.fire({ type: 'unhealthy', detail: r.detail, failures });
    } else this.changed();
  }

  // ---- startup ----

  /** Probes fast (20 ms, growing) until ready, the start timeout, the instance's end or a stop. */
  private async startup(life: Life, inst: Instance): Promise<Startup> {
    const signal = AbortSignal.any([life.signal, inst.ac.signal]);
    if (this.state !== 'starting') this.setState('starting', null);
    const ended = async (last: string): Promise<Startup> => {
      if (life.signal.aborted) return { kind: 'aborted', why: last ? `instance ended during startup (${last})` : 'instance ended during startup' };
      const exit = await inst.ended;
      return { kind: 'ended', exit, why: `${this.name} ${describeExit(exit)} during startup${last ? ` (last check: ${last})` : ''}` };
    };
    // Gone before its identity could be read: its exit event follows.
    if (inst.rec.start === 'exited') return ended('');
    const health = this.spec.health;
    if (!health) {
      // Started once it has stayed up for ready_after: an exit before that is a failed start, not a "started".
      this.health = null;
      if (this.spec.readyAfterMs > 0) await delayMs(this.spec.readyAfterMs, signal);
      return signal.aborted ? ended('') : { kind: 'ready', detail: 'process started' };
    }
    const began = performance.now();
    const deadline = began + this.spec.startTimeoutMs;
    startingProbed++;
    try {
      return await this.probeUntilReady(health, began, deadline, signal, ended);
    } finally {
      startingProbed--;
    }
  }

  private async probeUntilReady(health: NonNullable<ServiceSpec['health']>, began: number, deadline: number, signal: AbortSignal, ended: (last: string) => Promise<Startup>): Promise<Startup> {
    let delay = 20;
    let last = '';
    let tries = 0;
    const check = health.check;
    const fromLog = check.kind === 'log' ? new LogMatcher(this.logFile, check.pattern) : null;
    for (;;) {
      const r = fromLog ? fromLog.check() : await raceAbort(probe(check, { timeoutMs: Math.min(health.timeoutMs, Math.max(50, deadline - performance.now())), cwd: this.spec.cwd }), signal);
      if (r === null || signal.aborted) return ended(last);
      last = r.detail;
      if (r.ok) {
        this.health = { ok: true, detail: r.detail, at: Date.now() };
        return { kind: 'ready', detail: r.detail };
      }
      tries++;
      // After the first second the snapshot shows why it is not ready yet (up's progress, status, the window).
      if (performance.now() - began >= 1000) {
        this.health = { ok: false, detail: r.detail, at: Date.now(), tries };
        this.changed();
      }
      if (performance.now() >= deadline) {
        this.health = { ok: false, detail: r.detail, at: Date.now(), tries };
        return { kind: 'timeout', why: `${this.name}: not healthy within ${formatDuration(this.spec.startTimeoutMs)} (last probe: ${r.detail}; ${tries} ${tries === 1 ? 'try' : 'tries'})` };
      }
      await delayMs(delay, signal);
      // Close together for the first second (startupProbeMs: a service ready in 300 ms is seen
      // within 10 to 50 ms after its port opens), then doubling to one try a second, so a slow service, or a wrong
      // health path, is not hammered for its whole timeout.
      delay = performance.now() - began < 1000 ? startupProbeMs(fromLog !== null || ('refused' in r && r.refused === true)) : Math.min(Math.max(delay, 50) * 2, 1000);
    }
  }

  // ---- a service that forks into the background ----

  /** A live process of this instance that outlived its exited leader: the top of what is left. */
  private async backgroundOf(inst: Instance): Promise<ProcessInfo | null> {
    let snap: ProcessSnapshot;
    try {
      snap = await takeSnapshot();
    } catch {
      return null;
    }
    const live = (byMarker(snap, inst.rec.marker).get(inst.rec.marker) ?? []).filter((p) => p.state !== 'Z' && p.pid !== inst.rec.pid);
    const pids = new Set(live.map((p) => p.pid));
    const roots = live.filter((p) => !pids.has(p.ppid));
    roots.sort((a, b) => a.pid - b.pid);
    return roots[0] ?? null;
  }

  /** Follows the process a daemonizing leader left behind as the instance (polled, like an adopted process). */
  private follow(leader: Instance, bg: ProcessInfo): Instance {
    const rec: InstanceRecord = { ...leader.rec, pid: bg.pid, pgid: bg.pgid, start: bg.start };
    try {
      writeInstance(this.ctx.dir, rec);
    } catch (e) {
      this.ctx.log(`${this.ctx.stack}/${this.name}: cannot write its state file: ${(e as Error).message}`);
    }
    const next = this.watch(rec, null);
    this.inst = next;
    this.daemonized = true;
    this.fire({ type: 'daemonized', pid: bg.pid, leader: leader.rec.pid, command: bg.command });
    this.changed();
    return next;
  }

  // ---- one-shot tasks ----

  /** A task runs to its end: `completed` on exit 0, `failed` otherwise; never restarted. */
  private async runTask(life: Life, inst: Instance): Promise<void> {
    if (inst.rec.start !== 'exited') this.setState('running', null);
    const exit = await raceAbort(inst.ended, life.signal);
    if (exit === null) return; // a stop took over
    await this.cleanupInstance(inst, Math.min(this.spec.stop.graceMs, 2000));
    if (life.signal.aborted) return;
    this.lastExit = exit;
    this.fire({ type: 'exited', pid: inst.rec.pid, code: exit.code, signal: exit.signal, reason: exit.reason, uptimeMs: exit.at - inst.rec.startedAt });
    this.lastLogLines = tailLines(this.logFile, LOG_LINES_KEPT);
    const took = formatDuration(exit.at - inst.rec.startedAt);
    if (exit.reason === 'vanished') {
      // Adopted: it ended while no owner could see its exit code. Not completed: it must run again.
      this.setState('stopped', `finished while no owner watched it, so its exit code is unknown; \`corral up ${this.name}\` runs it again`);
      return life.resolveReady(this.outcome(false, this.reason!));
    }
    if (exit.code === 0) {
      this.setState('completed', null);
      return life.resolveReady(this.outcome(true, `completed in ${took} (exit code 0)`));
    }
    const msg = `${this.name} ${describeExit(exit)} after ${took}`;
    this.setState('failed', msg);
    this.fire({ type: 'failed', reason: msg });
    life.resolveReady(this.outcome(false, msg));
  }

  /**
   * When an instance died during startup and its last log lines say its address was in
   * use (each runtime words it its own way), the process holding that port, named as
   * for a declared port; null when the log says nothing of the kind.
   */
  private async addressInUse(): Promise<string | null> {
    const port = addressInUsePort(tailLines(this.logFile, LOG_LINES_KEPT));
    if (port === undefined) return null;
    if (port === null) return 'its log says the address it wanted is already in use';
    const holders = await portHolders([port], this.ctx.dir.markerPrefix());
    const h = holders[0];
    if (!h) return `its log says port ${port} is already in use (nothing listens there now)`;
    if (h.kind === 'foreign') {
      this.setPortHolder(describeHolder(h));
      return `its log says port ${port} is already in use: ${portConflictMessage(this.name, h).replace(`${this.name}: `, '')}`;
    }
    if (h.kind === 'ours') {
      const [, stack, service] = h.marker.split('/');
      return `its log says port ${port} is already in use, by service ${service} of stack ${stack} (pid ${h.pid})`;
    }
    return `its log says port ${port} is already in use`;
  }

  // ---- after an exit ----

  /**
   * Records the exit and lets the restart policy decide: the delay before the
   * next start, or null when the service rests (stopped, failed, given up).
   */
  private afterExit(rec: InstanceRecord, exit: ExitInfo): number | null {
    this.lastExit = exit;
    this.watchRestart = null;
    this.fire({ type: 'exited', pid: rec.pid, code: exit.code, signal: exit.signal, reason: exit.reason, uptimeMs: exit.at - rec.startedAt });
    const restart = this.wanted === 'up' && shouldRestart(this.spec.restart.policy, { code: exit.code, signal: exit.signal, requested: false });
    if (!restart) {
      this.lastLogLines = tailLines(this.logFile, LOG_LINES_KEPT);
      if (exit.reason === 'exited') this.setState('stopped', `exited with code 0; its restart policy (${this.spec.restart.policy}) does not restart it`);
      else {
        const msg = `${this.name} ${describeExit(exit)}; its restart policy is ${this.spec.restart.policy}`;
        this.setState('failed', msg);
        this.fire({ type: 'failed', reason: msg });
      }
      return null;
    }
    const decision = this.crashes.crash(Date.now(), exit.at - rec.startedAt);
    if (decision.action === 'give-up') {
      this.lastLogLines = tailLines(this.logFile, LOG_LINES_KEPT);
      const msg = `${this.name} crashed ${decision.crashes} times within ${formatDuration(this.spec.restart.crashLoopWindowMs)} (last: ${describeExit(exit)}); not restarting until you do`;
      this.setState('failed', msg);
      this.fire({ type: 'failed', reason: msg });
      return null;
    }
    this.restarts++;
    this.setState('backoff', null);
    this.nextRestartAt = Date.now() + decision.delayMs;
    this.fire({ type: 'restarting', inMs: decision.delayMs, restart: this.restarts });
    this.changed();
    return decision.delayMs;
  }

  /** Ends whatever the instance left in its group or with its marker, and forgets it: no orphans, no duplicates. */
  private async cleanupInstance(inst: Instance, graceMs: number, signal?: NodeJS.Signals): Promise<StopResult> {
    inst.ac.abort();
    const r = await stopTarget(
      { leader: identityOfRecord(inst.rec), markerPrefix: inst.rec.marker, ports: [], known: knownOfRecord(inst.rec) },
      { signal: signal ?? (this.spec.stop.signal as NodeJS.Signals), graceMs },
    );
    removeInstance(this.ctx.dir, this.ctx.stack, this.name);
    if (this.inst === inst) {
      this.inst = null;
      this.adopted = false;
    }
    return r;
  }

  // ---- launch ----

  private async doStart(): Promise<ActionOutcome> {
    if (this.wanted !== 'up') return this.outcome(false, 'superseded by a later stop');
    const inst = this.inst;
    if (inst && (await isAlive(identityOfRecord(inst.rec)))) {
      // Idempotent: a live instance is reused, never duplicated.
      if (!this.life) return this.beginLife(inst); // a stop that was overtaken by this start had ended its watch
      if (this.state === 'starting' || (this.spec.oneshot && this.state === 'running')) return this.life.ready;
      return this.outcome(true, `already running (pid ${inst.rec.pid})`);
    }
    // In backoff (or ending): start now rather than at the scheduled time.
    await this.endLife();
    const blocker = this.ctx.dependencyBlocker(this.spec);
    if (blocker) {
      // Held, not failed: the owner's reconciler starts it once its dependencies are met (F19).
      this.hold(blocker);
      return this.outcome(true, `held: waiting for ${blocker.dependency}`);
    }
    const next = await this.launchInstance();
    if (!next) return this.outcome(false, this.reason ?? 'not started', { notStarted: true });
    return this.beginLife(next);
  }

  /** Spawns a new instance, or refuses (state `failed`, reason set) and returns null. */
  private async launchInstance(): Promise<Instance | null> {
    this.survivors = [];
    this.clearPortHolder();
    this.lastLogLines = [];
    this.setState('starting', null);
    // Our own leftovers of this service (a previous owner's orphan) are ended first.
    const markerPrefix = this.ctx.dir.markerPrefix(this.ctx.stack, this.name);
    if (this.knownClean) this.knownClean = false;
    else await stopTarget({ leader: null, markerPrefix, ports: [] }, { signal: this.spec.stop.signal as NodeJS.Signals, graceMs: this.spec.stop.graceMs });
    const conflict = await this.portConflict();
    if (conflict) return this.refuse(conflict);
    try {
      rotateLog(this.logFile, this.ctx.logRetention);
    } catch (e) {
      this.ctx.log(`${this.ctx.stack}/${this.name}: log rotation failed: ${(e as Error).message}`);
    }
    let spawned;
    try {
      spawned = await spawnService(this.spec, { stack: this.ctx.stack, markerPrefix, logFile: this.logFile, restarts: this.restarts });
    } catch (e) {
      return this.refuse(e instanceof SpawnError || e instanceof Error ? e.message : String(e));
    }
    const { child, record } = spawned;
    this.adopted = false;
    this.logMissing = false;
    this.daemonized = false;
    const inst = this.watch(record, child);
    this.inst = inst;
    if (record.start !== 'exited') {
      try {
        writeInstance(this.ctx.dir, record);
      } catch (e) {
        this.ctx.log(`${this.ctx.stack}/${this.name}: cannot write its state file: ${(e as Error).message}`);
      }
    }
    this.fire({ type: 'launched', pid: record.pid, restart: this.restarts });
    this.changed();
    return inst;
  }

  private refuse(why: string): null {
    this.lastExit = null;
    this.setState('failed', why);
    this.fire({ type: 'failed', reason: why });
    return null;
  }

  /** Watches an instance for its end: the exit event of our child, or a liveness poll of an adopted process. */
  private watch(rec: InstanceRecord, child: ChildProcess | null): Instance {
    const ac = new AbortController();
    let settle: (e: ExitInfo) => void = () => {};
    const ended = new Promise<ExitInfo>((resolve) => (settle = resolve));
    const gone = (code: number | null, signal: NodeJS.Signals | null) => {
      const reason = code === null && signal === null ? 'vanished' : code === 0 ? 'exited' : 'crashed';
      settle({ code, signal, at: Date.now(), reason, pid: rec.pid });
      ac.abort();
    };
    if (child) child.once('exit', gone);
    else void this.pollAdopted(rec, ac.signal, () => gone(null, null));
    return { rec, child, ended, markGone: () => gone(null, null), ac };
  }

  private async pollAdopted(rec: InstanceRecord, signal: AbortSignal, onGone: () => void): Promise<void> {
    await whenAdoptedEnds(identityOfRecord(rec), this.ctx.adoptPollMs, signal);
    if (!signal.aborted) onGone();
  }

  private async portConflict(): Promise<string | null> {
    if (this.spec.ports.length === 0) return null;
    const holders = await portHolders(this.spec.ports, this.ctx.dir.markerPrefix());
    for (const h of holders) {
      if (h.kind === 'foreign') {
        this.setPortHolder(describeHolder(h));
        return portConflictMessage(this.name, h);
      }
      if (h.kind === 'ours') {
        const [, stack, service] = h.marker.split('/');
        return `${this.name}: port ${h.port} is held by service ${service} of stack ${stack} (pid ${h.pid}); stop it or change the port.`;
      }
    }
    return null;
  }

  /** Records a foreign port holder and forgets it as soon as that process is gone: a view never offers to stop a process that no longer exists. */
  private setPortHolder(holder: ProcessRef & { port: number }): void {
    this.clearPortHolder();
    this.portHolder = holder;
    if (!holder.pid) return;
    const ac = (this.holderWatch = new AbortController());
    void (async () => {
      const p = await platform();
      const first = await p.processInfo(holder.pid);
      while (!ac.signal.aborted) {
        await tickAfter(HOLDER_POLL_MS, ac.signal, 500);
        if (ac.signal.aborted) return;
        const now = await p.processInfo(holder.pid);
        if (now && first && now.start === first.start) continue;
        return this.portHolderEnded(holder.pid);
      }
    })();
  }

  /** The recorded foreign port holder has exited (seen by the watch, or ended at the user's request). */
  portHolderEnded(pid: number): void {
    const holder = this.portHolder;
    if (!holder || holder.pid !== pid) return;
    this.clearPortHolder();
    if (this.state === 'failed') this.reason = `port ${holder.port} was held by process ${holder.pid} (${holder.command}), which has exited since; start ${this.name} again`;
    this.changed();
  }

  clearPortHolder(): void {
    this.holderWatch?.abort();
    this.holderWatch = null;
    this.portHolder = null;
  }

  // ---- stop ----

  private async doStop(force: boolean, forRestart = false): Promise<ActionOutcome> {
    if (!forRestart && this.wanted !== 'down') return this.outcome(false, 'superseded by a later start');
    await this.endLife();
    const inst = this.inst;
    const rec = inst?.rec ?? null;
    if (this.state !== 'stopping') this.setState('stopping', null);
    const result = await stopTarget(
      {
        leader: rec ? identityOfRecord(rec) : null,
        markerPrefix: this.ctx.dir.markerPrefix(this.ctx.stack, this.name),
        ports: this.spec.ports,
        known: rec ? knownOfRecord(rec) : [],
      },
      force ? { signal: 'SIGKILL', graceMs: 0 } : { signal: this.spec.stop.signal as NodeJS.Signals, graceMs: this.spec.stop.graceMs },
    );
    inst?.child?.removeAllListeners('exit');
    inst?.ac.abort();
    this.inst = null;
    this.adopted = false;
    this.logMissing = false;
    this.clearPortHolder();
    if (result.survivors.length > 0) {
      this.survivors = result.survivors;
      const list = result.survivors.map((s) => `${s.pid} (${s.command})`).join(', ');
      const msg = `${this.name}: stop left ${result.survivors.length} process${result.survivors.length > 1 ? 'es' : ''} running: ${list}`;
      this.setState('failed', msg);
      return this.outcome(false, msg, { forced: result.forced, survivors: result.survivors });
    }
    removeInstance(this.ctx.dir, this.ctx.stack, this.name);
    this.survivors = [];
    this.lastLogLines = [];
    this.crashes.reset();
    if (rec || result.ended > 0) {
      this.lastExit = { code: null, signal: result.forced ? 'SIGKILL' : this.spec.stop.signal, at: Date.now(), reason: 'stopped', ...(rec ? { pid: rec.pid } : {}) };
    }
    const held = result.portsHeld.map((h) => `port ${h.port} is still held by process ${h.pid} (${h.command}), which is not ours`);
    this.setState('stopped', held.length > 0 ? held.join('; ') : null);
    const how =
      result.ended === 0
        ? 'was not running'
        : result.forced
          ? `stopped by SIGKILL after the ${formatDuration(this.spec.stop.graceMs)} grace period (it ignored ${this.spec.stop.signal})`
          : `stopped in ${formatDuration(result.durationMs)}`;
    return this.outcome(true, how, { forced: result.forced });
  }
}

/** Where a service is opened in a browser: its declared `url`, else the origin of its http health check. */
export function openUrlOf(spec: Pick<ServiceSpec, 'url' | 'health'>): string | null {
  if (spec.url) return spec.url;
  const check = spec.health?.check;
  if (check?.kind !== 'http') return null;
  try {
    return `${new URL(check.url).origin}/`;
  } catch {
    return null;
  }
}

/** Two probe answers that differ only in their trailing duration ("… in 3 ms") say the same thing. */
export function sameAnswer(a: string, b: string): boolean {
  const untimed = (d: string) => d.replace(/ in \d+ ms$/, '');
  return a === b || untimed(a) === untimed(b);
}
