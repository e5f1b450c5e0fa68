// One service's supervisor: runs its instance, watches it (exit event for our
// children, an identity poll for adopted ones, health probes), restarts it per
// policy, and stops it provably. Every command goes through one queue.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { ServiceSpec } from '../../shared/stack.js';
import { describeExit, type ExitInfo, type HealthResult, type ProcessRef, type ServiceSnapshot, type ServiceState } from '../../shared/state.js';
import type { ActionOutcome } from '../../shared/api.js';
import { formatDuration } from '../../shared/duration.js';
import { SerialQueue } from './serial.js';
import { CrashTracker, shouldRestart } from './backoff.js';
import { canTransition, type ServiceEvent } from './service-state.js';
import { spawnService, SpawnError } from './process/spawn.js';
import { stopTarget, membersIn, type ProcessSnapshot, type StopResult } from './process/stop.js';
import { portHolders, portConflictMessage, describeHolder } from './process/ports.js';
import { identityOfRecord, knownOfRecord, removeInstance, writeInstance, type InstanceRecord } from './state/state-file.js';
import { rotateLog, tailLines } from './logs/log-files.js';
import { isAlive } from './process/platform/index.js';
import { probe } from './probes/index.js';
import { delayMs } from './wait.js';
import type { DataDir } from './state/paths.js';

export interface SupervisorContext {
  dir: DataDir;
  stack: string;
  /** What this service still waits for ("temporal (healthy)"), or null when its dependencies are met. */
  dependencyBlocker(spec: ServiceSpec): string | null;
  /** Liveness poll of adopted processes (not our children: no exit event). */
  adoptPollMs: number;
  log(msg: string): void;
}

const LOG_LINES_KEPT = 20;

export class ServiceSupervisor extends EventEmitter {
  state: ServiceState = 'stopped';
  desired: 'up' | 'down' = 'down';
  /** Desired up but held until its dependencies are met; the owner's reconciler starts it. */
  waiting = false;
  adopted = false;
  restarts = 0;
  lastExit: ExitInfo | null = null;
  health: HealthResult | null = null;
  reason: string | null = null;
  lastLogLines: string[] = [];
  survivors: ProcessRef[] = [];
  portHolder: (ProcessRef & { port: number }) | null = null;

  private rec: InstanceRecord | null = null;
  private child: ChildProcess | null = null;
  private readonly queue = new SerialQueue();
  private readonly crashes: CrashTracker;
  /** Bumped whenever the current instance is replaced or ended on purpose: stale handlers compare it. */
  private gen = 0;
  /** The generation whose watchers (exit handler or poll, probes) are armed on the current instance. */
  private armedGen = -1;
  private instanceAbort: AbortController | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private disposed = false;

  constructor(
    public spec: ServiceSpec,
    private readonly ctx: SupervisorContext,
  ) {
    super();
    this.crashes = new CrashTracker(spec.restart);
  }

  get name(): string {
    return this.spec.name;
  }
  get logFile(): string {
    return this.ctx.dir.logFile(this.ctx.stack, this.spec.name);
  }
  get pid(): number | null {
    return this.rec?.pid ?? null;
  }
  get busy(): boolean {
    return this.queue.size > 0;
  }

  /**
   * While held for its dependencies, what it waits for as of now (the hold may
   * have begun while a dependency was `starting` that has `failed` since).
   */
  private waitingNote(): string | null {
    if (!this.waiting || this.state !== 'starting') return null;
    const blocker = this.ctx.dependencyBlocker(this.spec);
    return blocker === null ? null : `waiting for ${blocker}`;
  }

  snapshot(): ServiceSnapshot {
    return {
      stack: this.ctx.stack,
      name: this.spec.name,
      state: this.state,
      desired: this.desired,
      pid: this.rec?.pid ?? null,
      adopted: this.adopted,
      restarts: this.restarts,
      ports: this.spec.ports,
      startedAt: this.rec?.startedAt ?? null,
      lastExit: this.lastExit,
      health: this.health,
      reason: this.waitingNote() ?? this.reason,
      lastLogLines: this.lastLogLines,
      survivors: this.survivors,
      portHolder: this.portHolder,
      logFile: this.logFile,
      dependsOn: this.spec.dependsOn,
    };
  }

  // ---- commands (serialized) ----

  start(): Promise<ActionOutcome> {
    this.desired = 'up';
    return this.queue.run(() => this.doStart());
  }

  stop(after?: Promise<unknown>): Promise<ActionOutcome> {
    this.desired = 'down';
    this.waiting = false;
    this.preempt();
    return this.queue.run(async () => {
      if (after) await after;
      return this.doStop(false);
    });
  }

  restart(): Promise<ActionOutcome> {
    this.desired = 'up';
    this.preempt();
    return this.queue.run(async () => {
      const stopped = await this.doStop(false, true);
      if (!stopped.ok) return stopped;
      return this.doStart();
    });
  }

  /** Kills what a previous stop left (ours only, identity-checked). */
  forceStop(): Promise<ActionOutcome> {
    this.desired = 'down';
    this.waiting = false;
    this.preempt();
    return this.queue.run(() => this.doStop(true));
  }

  /**
   * Takes over a live instance found at owner start (F07): same pid, watched by
   * polling. The instance is recorded at once (so nothing can start a second
   * one); the returned promise settles when its first probe has answered.
   */
  adopt(rec: InstanceRecord): Promise<void> {
    this.desired = 'up';
    this.rec = rec;
    this.child = null;
    this.adopted = true;
    this.restarts = rec.restarts;
    const gen = ++this.gen;
    this.armedGen = gen;
    this.emitEvent({ type: 'adopted', pid: rec.pid });
    this.ctx.log(`${this.ctx.stack}/${this.name}: adopted pid ${rec.pid}`);
    this.watchAdopted(gen, rec);
    return this.queue.run(async () => {
      if (gen === this.gen) await this.reachHealthy(gen, rec);
    });
  }

  /** After sleep/wake or a stall: check the instance now and reset probe counters, so late timers cause no restarts (F22). */
  async recheck(): Promise<void> {
    const rec = this.rec;
    const gen = this.gen;
    if (!rec) return;
    if (!(await isAlive(identityOfRecord(rec)))) {
      if (gen === this.gen && this.rec === rec) this.onInstanceGone(gen, rec, null, null);
      return;
    }
    this.probeFailures = 0;
    if (this.spec.health && this.state !== 'starting') await this.livenessOnce(gen, rec);
  }

  /**
   * Remembers the instance's descendants in its state file. A process that later
   * leaves the group, clears its environment and loses its parent (a double fork)
   * is still found by its recorded identity when the service stops.
   */
  recordDescendants(snap: ProcessSnapshot): void {
    const rec = this.rec;
    if (!rec) return;
    const members = membersIn(snap, { leader: identityOfRecord(rec), markerPrefix: rec.marker, ports: [], known: knownOfRecord(rec) });
    const next = members.filter((m) => m.id.pid !== rec.pid).map((m) => ({ pid: m.id.pid, start: m.id.start }));
    const key = (l: { pid: number; start: string }[]) => l.map((d) => `${d.pid}:${d.start}`).sort().join(',');
    if (key(next) === key(rec.descendants ?? [])) return;
    rec.descendants = next;
    try {
      writeInstance(this.ctx.dir, rec);
    } catch (e) {
      this.ctx.log(`${this.name}: cannot update the state file: ${(e as Error).message}`);
    }
  }

  /** Stops watching without touching the processes (owner quit or handover). */
  dispose(): void {
    this.disposed = true;
    this.gen++;
    this.instanceAbort?.abort();
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.child?.removeAllListeners('exit');
    this.child?.unref();
    this.removeAllListeners();
  }

  // ---- internals ----

  /** A stop must not wait behind a startup that may take its whole start timeout: end that wait now. */
  private preempt(): void {
    this.gen++;
    this.instanceAbort?.abort();
    if (this.backoffTimer) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = null;
    }
  }

  private setState(to: ServiceState, reason: string | null = this.reason): void {
    const from = this.state;
    if (!canTransition(from, to)) throw new Error(`${this.name}: invalid transition ${from} → ${to}`);
    this.state = to;
    this.reason = reason;
    if (from !== to) this.emitEvent({ type: 'state', from, to });
    this.emit('change');
  }

  private emitEvent(e: ServiceEvent): void {
    if (!this.disposed) this.emit('event', e);
  }

  private outcome(ok: boolean, message: string, extra: Partial<ActionOutcome> = {}): ActionOutcome {
    return { stack: this.ctx.stack, service: this.name, ok, state: this.state, message, ...extra };
  }

  private async doStart(): Promise<ActionOutcome> {
    if (this.desired !== 'up') return this.outcome(false, 'superseded by a later stop');
    if (this.backoffTimer) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = null;
    }
    if (this.rec && (await isAlive(identityOfRecord(this.rec)))) {
      if (this.armedGen !== this.gen) {
        // A stop or restart preempted its watchers and was then overtaken by this start: watch it again.
        const rec = this.rec;
        const gen = ++this.gen;
        this.armedGen = gen;
        if (this.child) {
          this.child.removeAllListeners('exit');
          this.child.once('exit', (code, signal) => this.onInstanceGone(gen, rec, code, signal));
        } else this.watchAdopted(gen, rec);
        return this.reachHealthy(gen, rec);
      }
      // Idempotent: a live instance is reused, never duplicated.
      if (this.state === 'failed') this.setState('running', null);
      return this.outcome(true, `already running (pid ${this.rec.pid})`);
    }
    const blocker = this.ctx.dependencyBlocker(this.spec);
    if (blocker) {
      // Held, not failed: the owner's reconciler starts it once its dependencies are met (F19).
      this.waiting = true;
      this.setState('starting', `waiting for ${blocker}`);
      return this.outcome(true, `waiting for ${blocker}`);
    }
    this.waiting = false;
    return this.launch();
  }

  private async launch(): Promise<ActionOutcome> {
    this.survivors = [];
    this.portHolder = null;
    this.lastLogLines = [];
    this.setState('starting', null);
    // Our own leftovers of this service (a previous owner's orphan) are ended first.
    const markerPrefix = this.ctx.dir.markerPrefix(this.ctx.stack, this.name);
    await stopTarget({ leader: null, markerPrefix, ports: [] }, { signal: this.spec.stop.signal as NodeJS.Signals, graceMs: this.spec.stop.graceMs });
    const conflict = await this.portConflict();
    if (conflict) {
      this.lastExit = null;
      this.setState('failed', conflict);
      this.emitEvent({ type: 'failed', reason: conflict });
      return this.outcome(false, conflict, { notStarted: true });
    }
    try {
      rotateLog(this.logFile);
    } catch (e) {
      this.ctx.log(`${this.name}: log rotation failed: ${(e as Error).message}`);
    }
    let spawned;
    try {
      spawned = await spawnService(this.spec, {
        stack: this.ctx.stack,
        markerPrefix,
        logFile: this.logFile,
        restarts: this.restarts,
      });
    } catch (e) {
      const msg = e instanceof SpawnError || e instanceof Error ? e.message : String(e);
      this.setState('failed', msg);
      this.emitEvent({ type: 'failed', reason: msg });
      return this.outcome(false, msg, { notStarted: true });
    }
    const { child, record } = spawned;
    const gen = ++this.gen;
    this.armedGen = gen;
    this.rec = record;
    this.child = child;
    this.adopted = false;
    child.once('exit', (code, signal) => this.onInstanceGone(gen, record, code, signal));
    if (record.start === 'exited') {
      // Gone before we could read its identity; the exit event follows.
      return this.outcome(false, `${this.name} exited immediately; see its log ${this.logFile}`);
    }
    try {
      writeInstance(this.ctx.dir, record);
    } catch (e) {
      this.ctx.log(`${this.name}: cannot write state file: ${(e as Error).message}`);
    }
    this.emit('change');
    return this.reachHealthy(gen, record);
  }

  private async portConflict(): Promise<string | null> {
    if (this.spec.ports.length === 0) return null;
    const holders = await portHolders(this.spec.ports, this.ctx.dir.markerPrefix());
    for (const h of holders) {
      if (h.kind === 'foreign') {
        this.portHolder = describeHolder(h);
        return portConflictMessage(this.name, h);
      }
      if (h.kind === 'ours') {
        const [, stack, service] = h.marker.split('/');
        return `${this.name}: port ${h.port} is held by service ${service} of stack ${stack} (pid ${h.pid}); stop it or change the port.`;
      }
    }
    return null;
  }

  /** Startup phase: probe fast (20 ms, growing) until healthy, the start timeout, or the instance ends. */
  private async reachHealthy(gen: number, rec: InstanceRecord): Promise<ActionOutcome> {
    this.instanceAbort?.abort();
    const abort = (this.instanceAbort = new AbortController());
    if (this.state !== 'starting') this.setState('starting', null);
    const health = this.spec.health;
    if (!health) {
      this.health = null;
      this.setState('running', null);
      this.emitEvent({ type: 'healthy', detail: 'process started' });
      this.scheduleStableReset(gen, rec);
      return this.outcome(true, `started (pid ${rec.pid})`);
    }
    const deadline = performance.now() + this.spec.startTimeoutMs;
    let delay = 20;
    let last = '';
    while (gen === this.gen && !abort.signal.aborted) {
      const r = await probe(health.check, { timeoutMs: Math.min(health.timeoutMs, Math.max(50, deadline - performance.now())), cwd: this.spec.cwd });
      if (gen !== this.gen || abort.signal.aborted) break;
      last = r.detail;
      if (r.ok) {
        this.health = { ok: true, detail: r.detail, at: Date.now() };
        this.setState('running', null);
        this.emitEvent({ type: 'healthy', detail: r.detail });
        this.scheduleLiveness(gen, rec);
        this.scheduleStableReset(gen, rec);
        return this.outcome(true, `healthy in ${formatDuration(Date.now() - rec.startedAt)} (pid ${rec.pid})`);
      }
      if (performance.now() >= deadline) {
        this.health = { ok: false, detail: r.detail, at: Date.now() };
        const why = `${this.name}: not healthy within ${formatDuration(this.spec.startTimeoutMs)} (last probe: ${r.detail})`;
        await this.endInstanceAsCrash(gen, rec, 'start-timeout', why);
        return this.outcome(false, why);
      }
      await delayMs(delay, abort.signal);
      // A refused connection costs next to nothing: a service that becomes ready is seen
      // within 50 ms (each link of a dependency chain waits for that). An exec probe is a
      // process per try: at most 10 a second.
      delay = Math.min(delay * 1.5, health.check.kind === 'exec' ? 100 : 50);
    }
    return this.outcome(this.state === 'running', last ? `instance ended during startup (${last})` : 'instance ended during startup');
  }

  private probeFailures = 0;

  private scheduleLiveness(gen: number, rec: InstanceRecord): void {
    const health = this.spec.health;
    if (!health) return;
    this.probeFailures = 0;
    const signal = this.instanceAbort!.signal;
    const loop = async () => {
      while (gen === this.gen && !signal.aborted) {
        await delayMs(health.intervalMs, signal);
        if (gen !== this.gen || signal.aborted) return;
        await this.livenessOnce(gen, rec);
      }
    };
    void loop();
  }

  private async livenessOnce(gen: number, rec: InstanceRecord): Promise<void> {
    const health = this.spec.health!;
    const r = await probe(health.check, { timeoutMs: health.timeoutMs, cwd: this.spec.cwd });
    // A probe that could not even open its socket (out of descriptors) says nothing about the service.
    if (gen !== this.gen || r.transient) return;
    this.health = { ok: r.ok, detail: r.detail, at: Date.now() };
    if (r.ok) {
      this.probeFailures = 0;
      if (this.state === 'unhealthy') {
        this.setState('running', null);
        this.emitEvent({ type: 'healthy', detail: r.detail });
      } else this.emit('change');
      return;
    }
    this.probeFailures++;
    this.emit('change');
    if (this.probeFailures < health.failureThreshold) return;
    const why = `${this.name}: ${this.probeFailures} health checks failed in a row (${r.detail})`;
    if (this.state !== 'unhealthy') {
      this.setState('unhealthy', why);
      this.emitEvent({ type: 'unhealthy', detail: r.detail, failures: this.probeFailures });
    }
    if (this.spec.restart.policy !== 'never') {
      // A hung process ignores SIGTERM: it is killed outright (F03), then restarted per policy.
      await this.queue.run(async () => {
        if (gen !== this.gen) return;
        await this.endInstanceAsCrash(gen, rec, 'killed-unhealthy', why, 'SIGKILL');
      });
    }
  }

  /** A stable uptime resets the backoff and crash counter. */
  private scheduleStableReset(gen: number, _rec: InstanceRecord): void {
    const signal = this.instanceAbort?.signal;
    void delayMs(this.spec.restart.resetAfterMs, signal).then(() => {
      if (gen === this.gen && !signal?.aborted && this.state === 'running') this.crashes.reset();
    });
  }

  private watchAdopted(gen: number, rec: InstanceRecord): void {
    const timer = setInterval(async () => {
      if (gen !== this.gen) return clearInterval(timer);
      // Out of descriptors, /proc cannot be read: that says nothing about the process; ask again next tick.
      const alive = await isAlive(identityOfRecord(rec)).catch(() => true);
      if (!alive) {
        clearInterval(timer);
        if (gen === this.gen) this.onInstanceGone(gen, rec, null, null);
      }
    }, this.ctx.adoptPollMs);
    timer.unref();
  }

  /** The instance ended without being asked (exit event, or the adopted poll saw it gone). */
  private onInstanceGone(gen: number, rec: InstanceRecord, code: number | null, signal: NodeJS.Signals | null): void {
    if (gen !== this.gen || this.disposed) return;
    const mine = ++this.gen;
    this.instanceAbort?.abort();
    const reason = code === null && signal === null ? 'vanished' : code === 0 ? 'exited' : 'crashed';
    void this.queue.run(async () => {
      // A stop or restart issued since then owns the outcome.
      if (mine !== this.gen) return;
      await this.afterExit(rec, { code, signal, at: Date.now(), reason });
    });
  }

  /** Ends the instance on purpose (start timeout, unhealthy) and then treats it as a crash. */
  private async endInstanceAsCrash(gen: number, rec: InstanceRecord, reason: string, why: string, signal?: NodeJS.Signals): Promise<void> {
    if (gen !== this.gen) return;
    this.gen++;
    this.instanceAbort?.abort();
    this.ctx.log(why);
    await this.cleanupInstance(rec, signal ? 0 : this.spec.stop.graceMs, signal);
    await this.afterExit(rec, { code: null, signal: signal ?? null, at: Date.now(), reason }, true);
  }

  private async cleanupInstance(rec: InstanceRecord, graceMs: number, signal?: NodeJS.Signals): Promise<StopResult> {
    const r = await stopTarget(
      { leader: identityOfRecord(rec), markerPrefix: rec.marker, ports: [], known: knownOfRecord(rec) },
      { signal: signal ?? (this.spec.stop.signal as NodeJS.Signals), graceMs },
    );
    removeInstance(this.ctx.dir, this.ctx.stack, this.name);
    if (this.rec === rec) {
      this.rec = null;
      this.child = null;
      this.adopted = false;
    }
    return r;
  }

  private async afterExit(rec: InstanceRecord, exit: ExitInfo, alreadyCleaned = false): Promise<void> {
    // Whatever the leader left in its group or with its marker is ended before any restart: no orphans, no duplicates.
    if (!alreadyCleaned) await this.cleanupInstance(rec, Math.min(this.spec.stop.graceMs, 2000));
    this.lastExit = exit;
    this.emitEvent({ type: 'exited', code: exit.code, signal: exit.signal, requested: false });
    const uptime = exit.at - rec.startedAt;
    const restart = this.desired === 'up' && shouldRestart(this.spec.restart.policy, { code: exit.code, signal: exit.signal, requested: false });
    if (!restart) {
      this.lastLogLines = tailLines(this.logFile, LOG_LINES_KEPT);
      if (exit.reason === 'exited') this.setState('stopped', `exited with code 0`);
      else {
        const msg = `${this.name} ${describeExit(exit)}; restart policy is ${this.spec.restart.policy}`;
        this.setState('failed', msg);
        this.emitEvent({ type: 'failed', reason: msg });
      }
      return;
    }
    const decision = this.crashes.crash(Date.now(), uptime);
    if (decision.action === 'give-up') {
      this.lastLogLines = tailLines(this.logFile, LOG_LINES_KEPT);
      const msg = `${this.name} crashed ${decision.crashes} times within ${formatDuration(this.spec.restart.crashLoopWindowMs)} (last: ${describeExit(exit)}); not restarting until you do`;
      this.setState('failed', msg);
      this.emitEvent({ type: 'crashed', code: exit.code, signal: exit.signal, restartInMs: null });
      this.emitEvent({ type: 'failed', reason: msg });
      return;
    }
    this.restarts++;
    this.setState('backoff', `${describeExit(exit)}; restarting in ${formatDuration(decision.delayMs)}`);
    this.emitEvent({ type: 'crashed', code: exit.code, signal: exit.signal, restartInMs: decision.delayMs });
    const gen = this.gen;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = null;
      if (gen !== this.gen || this.desired !== 'up' || this.disposed) return;
      void this.queue.run(async () => {
        if (gen !== this.gen || this.desired !== 'up' || this.state !== 'backoff') return;
        await this.doStart();
      });
    }, decision.delayMs);
  }

  private async doStop(force: boolean, forRestart = false): Promise<ActionOutcome> {
    if (!forRestart && this.desired !== 'down') return this.outcome(false, 'superseded by a later start');
    this.gen++;
    this.instanceAbort?.abort();
    if (this.backoffTimer) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = null;
    }
    const rec = this.rec;
    const wasRunning = rec !== null;
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
    this.child?.removeAllListeners('exit');
    this.rec = null;
    this.child = null;
    this.adopted = false;
    this.health = null;
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
    if (wasRunning || result.ended > 0) this.lastExit = { code: null, signal: result.forced ? 'SIGKILL' : this.spec.stop.signal, at: Date.now(), reason: 'stopped' };
    const held = result.portsHeld.map((h) => `port ${h.port} is still held by process ${h.pid} (${h.command}), which is not ours`);
    this.setState('stopped', held.length > 0 ? held.join('; ') : null);
    const how = result.ended === 0 ? 'was not running' : result.forced ? `stopped by SIGKILL after the ${formatDuration(this.spec.stop.graceMs)} grace period (it ignored ${this.spec.stop.signal})` : `stopped in ${formatDuration(result.durationMs)}`;
    return this.outcome(true, how, { forced: result.forced });
  }
}

