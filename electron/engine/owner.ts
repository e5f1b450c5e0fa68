// The owner: the one process that supervises the stacks of a data directory
// (the tray app, the headless daemon, or a test). It takes the lock, adopts
// what is still running, sweeps orphans, and brings every stack to the state
// the user last asked for.
import { EventEmitter } from 'node:events';
import { appendFileSync } from 'node:fs';
import type { StackSpec, ServiceSpec } from '../../shared/stack.js';
import { describeExit, type HeldOn, type OwnerInfo, type ResourceUse, type ServiceSnapshot, type Snapshot, type StackSnapshot } from '../../shared/state.js';
import { explainService } from '../../shared/explain.js';
import { formatDuration } from '../../shared/duration.js';
import type { ServiceEvent } from './service-state.js';
import type { ActionOutcome, ActionResult, LogBatch, LogSubscription, Settings } from '../../shared/api.js';
import { DEFAULT_SETTINGS, settingsSchema } from '../../shared/api.js';
import { ConflictError, NotFoundError } from '../../shared/errors.js';
import { DataDir, defaultHome } from './state/paths.js';
import { acquireOwnerLock, type HeldLock, type OwnerKind } from './state/owner-lock.js';
import { ServiceSupervisor } from './supervisor.js';
import { loadRegistry, saveRegistry, type Registry, type RestRecord } from './state/registry.js';
import { listInstanceFiles } from './state/state-file.js';
import { platform } from './process/platform/index.js';
import { takeSnapshot, takeTreeSnapshot } from './process/process-scan.js';
import { every } from './scheduler.js';
import { watchForWake, type WakeInfo } from './wake.js';
import { Reconciler } from './reconcile.js';
import { readJson, writeFileAtomic } from './state/atomic-file.js';
import { waitUntil } from './wait.js';
import { portHolders } from './process/ports.js';
import { LogHub } from './logs/log-hub.js';
import { ResourceSampler } from './resources.js';
import { DEFAULT_RETENTION, type Retention } from './logs/log-files.js';
import { StackWatch } from './stack-watch.js';

/** How long opening waits for adopted services' first probe before serving anyway. */
const ADOPT_WAIT_MS = 2000;
const boundMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
/**
 * Snapshots go out at most this often: 200 services starting at once change state 600
 * times, and each snapshot (all 200 services) went to every view, which made `up` and
 * `down` of many services slow and the owner's heap grow. The last change is always sent.
 */
const SNAPSHOT_GAP_MS = 40;

export interface OwnerOptions {
  home?: string;
  kind: OwnerKind;
  /** Poll interval for adopted processes (default 1000 ms; tests use less). */
  adoptPollMs?: number;
  /** Wake/stall detector tick (default 1000 ms) and threshold. */
  wakeTickMs?: number;
  wakeThresholdMs?: number;
  /** How often descendants of running services are recorded (default 10 s). */
  descendantSnapshotMs?: number;
  /** Resource sampling while watched: between samples (default 2000 ms) and from the baseline to the first figures (default 300 ms). */
  resourceIntervalMs?: number;
  resourceFirstMs?: number;
  /** Opens a folder for the user (the app: Electron's shell.openPath; the daemon: the desktop's opener); without it nothing is opened. */
  openPath?: (path: string) => Promise<boolean>;
  /** Opens a web address in the user's browser (the app: shell.openExternal; the daemon: the desktop's opener). */
  openUrl?: (url: string) => Promise<boolean>;
  /** Where warnings and events go besides the owner log. */
  onLog?: (line: string) => void;
  /** Rotated service logs kept (default DEFAULT_RETENTION): the rotation at each start honours it too. */
  logRetention?: Retention;
}

interface StackRuntime {
  spec: StackSpec;
  services: Map<string, ServiceSupervisor>;
  /** Notices when the stack file changes on disk (null: a stack built in code, no file). */
  fileWatch: StackWatch | null;
}

/** The owner's events, typed: what the app, the host and the tests subscribe to. */
export interface OwnerEvents {
  snapshot: [Snapshot];
  'service-event': [stack: string, service: string, event: ServiceEvent];
  'service-failed': [ServiceSnapshot];
  settings: [Settings];
  wake: [WakeInfo];
}

export class Owner extends EventEmitter<OwnerEvents> {
  readonly dir: DataDir;
  readonly logs: LogHub;
  /** CPU and memory per service, sampled only while watched (see resources.ts). */
  readonly resources: ResourceSampler;
  private readonly stacks = new Map<string, StackRuntime>();
  private seq = 0;
  private snapshotQueued = false;
  private lastSnapshotAt = -Infinity;
  private reconcileQueued = false;
  private stopWake: (() => void) | null = null;
  private stopRecording: (() => void) | null = null;
  private recording = false;
  private recordPass = 0;
  private closed = false;
  /** True until the first reconcile is done: services not yet adopted must not be started over by the reconciler. */
  private opening = true;
  /** settings.json as last read or written (see `getSettings`). */
  private settings: Settings | null = null;
  private launchAtLogin: OwnerInfo['launchAtLogin'];
  private readonly since = Date.now();
  /** This boot's id, once known: a rest record is valid only in the boot it was written in. */
  private boot: string | null = null;
  private persistQueued = false;
  /**
   * The opening swept every process of a stack it did not know and none survived (the
   * registry was readable). Since then only this owner has started processes with its
   * markers, so a stack new to it has none and needs no search of the process table.
   */
  private noStrays = false;
  /** Every stack this owner has had: one added again may have left processes behind. */
  private readonly everHad = new Set<string>();

  private constructor(
    dir: DataDir,
    readonly lock: HeldLock,
    private readonly opts: OwnerOptions,
  ) {
    super();
    this.dir = dir;
    this.logs = new LogHub(dir);
    this.resources = new ResourceSampler({
      targets: () => this.allSupervisors().flatMap((s) => s.resourceTarget() ?? []),
      changed: () => this.queueSnapshot(),
      log: (l) => this.log(l),
      ...(opts.resourceIntervalMs !== undefined ? { intervalMs: opts.resourceIntervalMs } : {}),
      ...(opts.resourceFirstMs !== undefined ? { firstMs: opts.resourceFirstMs } : {}),
    });
  }

  private allSupervisors(): ServiceSupervisor[] {
    return [...this.stacks.values()].flatMap((rt) => [...rt.services.values()]);
  }

  /** A view shows resource figures until it calls the returned release: samples are taken only while one does. */
  watchResources(): () => void {
    return this.resources.watch();
  }

  static async open(opts: OwnerOptions): Promise<Owner> {
    const dir = new DataDir(opts.home ?? defaultHome());
    const warnings: string[] = [];
    const lock = await acquireOwnerLock(dir.lockFile, opts.kind, { onWarning: (w) => warnings.push(w) });
    const owner = new Owner(dir, lock, opts);
    warnings.forEach((w) => owner.log(`warning: ${w}`));
    try {
      owner.log(`owner ${opts.kind} started (pid ${process.pid})`);
      let registryLost = false;
      const reg = loadRegistry(dir.stacksFile, (w) => {
        registryLost = true;
        owner.log(`warning: ${w}`);
      });
      for (const entry of reg.stacks) owner.installStack(entry.spec, entry.desired);
      // One read of the process table serves the whole opening (it costs ~50 ms per 1,000
      // processes): each stack and each sweep looks only at its own markers in it, and a
      // sweep scans again after signalling, so a process forked since is still found.
      const reconcile = new Reconciler({ dir, log: (l: string) => owner.log(l), scan: await takeSnapshot() });
      // With the registry unreadable, every running service would look like an orphan of an
      // unknown stack: leave them alone rather than take the user's stack down.
      if (registryLost) owner.log('warning: not sweeping processes of unknown stacks until their stack files are added again');
      else owner.noStrays = await reconcile.sweepUnknownStacks((name: string) => owner.stacks.has(name));
      const adoptions: Promise<void>[] = [];
      for (const rt of owner.stacks.values()) adoptions.push(...(await reconcile.stack(rt.spec.name, rt.services)));
      // Usually adopted services answer their first probe in milliseconds; one that does not
      // must not hold the owner (and every CLI call waiting for its socket) for a start timeout.
      await Promise.race([Promise.all(adoptions), boundMs(ADOPT_WAIT_MS)]);
      // What the previous owner knew of services no process accounts for (F42): a failed
      // service stays failed, a completed task completed. Not after a reboot (F15).
      owner.boot = await (await platform()).bootId();
      for (const entry of reg.stacks) owner.restoreRest(entry.spec.name, entry.rest ?? {});
      owner.opening = false;
      if (owner.persistQueued) {
        // A state reached while opening (an adopted service that failed) is written now that every record is seeded.
        owner.persistQueued = false;
        owner.persistSoon();
      }
      owner.stopWake = watchForWake((info) => void owner.onWake(info), { tickMs: opts.wakeTickMs, thresholdMs: opts.wakeThresholdMs });
      // Up to a second late: it shares the owner's wake with the other periodic jobs.
      owner.stopRecording = every(opts.descendantSnapshotMs ?? 10_000, () => owner.recordDescendants(), { slackMs: 1000, ref: false });
      owner.kickReconciler();
      return owner;
    } catch (e) {
      owner.lock.release();
      throw e;
    }
  }

  /** Seeds the services of a stack that rested when the previous owner went away (see `restore`). */
  private restoreRest(stack: string, rest: Record<string, RestRecord>): void {
    const rt = this.stacks.get(stack);
    for (const [name, rec] of Object.entries(rest)) {
      const sup = rt?.services.get(name);
      if (!sup || rec.boot !== this.boot) continue;
      if (sup.restore(rec)) this.log(`${stack}/${name}: ${rec.state} before this owner started; kept${rec.reason ? ` (${rec.reason})` : ''}`);
    }
  }

  openPath(path: string): Promise<boolean> {
    return this.opts.openPath ? this.opts.openPath(path).catch(() => false) : Promise.resolve(false);
  }

  openUrl(url: string): Promise<boolean> {
    return this.opts.openUrl ? this.opts.openUrl(url).catch(() => false) : Promise.resolve(false);
  }

  log(line: string): void {
    const stamped = `${new Date().toISOString()} ${line}`;
    try {
      appendFileSync(this.dir.ownerLog, stamped + '\n', { mode: 0o600 });
    } catch {}
    this.opts.onLog?.(stamped);
  }

  // ---- stacks ----

  stackNames(): string[] {
    return [...this.stacks.keys()];
  }

  stack(name: string): StackSpec | undefined {
    return this.stacks.get(name)?.spec;
  }

  /** Follows the logs of `sub.services` (all of the stack's when absent): the first batch has the history asked for and the cursor. */
  followLogs(sub: LogSubscription, listener: (batch: LogBatch) => void): () => void {
    const spec = this.stack(sub.stack);
    if (!spec) throw new NotFoundError(`No stack named \`${sub.stack}\`. Known stacks: ${this.stackNames().join(', ') || 'none'}.`);
    for (const s of sub.services ?? []) this.supervisor(sub.stack, s);
    const services = sub.services ?? spec.services.map((s) => s.name);
    return this.logs.follow(sub.stack, services, listener, {
      ...(sub.history ? { history: sub.history } : {}),
      ...(sub.from ? { from: sub.from } : {}),
    });
  }

  supervisor(stack: string, service: string): ServiceSupervisor {
    const rt = this.stacks.get(stack);
    if (!rt) throw new NotFoundError(`No stack named \`${stack}\`. Known stacks: ${this.stackNames().join(', ') || 'none'}.`);
    const sup = rt.services.get(service);
    if (!sup) throw new NotFoundError(`Stack \`${stack}\` has no service \`${service}\`. Its services: ${[...rt.services.keys()].join(', ')}.`);
    return sup;
  }

  /**
   * Registers a stack (or applies a changed one). Services that left the stack
   * are stopped; changed services take effect at their next start.
   */
  async addStack(spec: StackSpec): Promise<void> {
    const existing = this.stacks.get(spec.name);
    if (existing && existing.spec.file && spec.file && existing.spec.file !== spec.file) {
      throw new ConflictError(`A stack named \`${spec.name}\` is already registered from ${existing.spec.file}; rename one of them (the \`name\` field).`);
    }
    if (existing) {
      for (const [name, sup] of existing.services) {
        const next = spec.services.find((s) => s.name === name);
        if (!next) {
          await sup.stop();
          sup.dispose();
          existing.services.delete(name);
        } else sup.spec = next;
      }
      existing.spec = spec;
      for (const s of spec.services) if (!existing.services.has(s.name)) existing.services.set(s.name, this.makeSupervisor(spec.name, s));
      existing.services = new Map(spec.services.map((s) => [s.name, existing.services.get(s.name)!]));
      if (existing.fileWatch) existing.fileWatch.recheck();
      else if (spec.file) existing.fileWatch = this.watchStackFile(existing);
    } else if (this.noStrays && !this.everHad.has(spec.name) && listInstanceFiles(this.dir, spec.name).length === 0) {
      // Nothing of it can be running, nor recorded: nothing to adopt or sweep.
      for (const sup of this.installStack(spec, {}).services.values()) sup.foundNothingLeft();
    } else {
      const rt = this.installStack(spec, {});
      const reconcile = new Reconciler({ dir: this.dir, log: (l: string) => this.log(l), scan: null });
      await Promise.race([Promise.all(await reconcile.stack(rt.spec.name, rt.services)), boundMs(ADOPT_WAIT_MS)]);
    }
    this.persist();
    this.queueSnapshot();
  }

  async removeStack(name: string): Promise<ActionResult> {
    const rt = this.stacks.get(name);
    if (!rt) throw new NotFoundError(`No stack named \`${name}\`.`);
    const result = await this.stop(name);
    if (result.outcomes.some((o) => !o.ok)) return result;
    for (const sup of rt.services.values()) sup.dispose();
    rt.fileWatch?.close();
    this.stacks.delete(name);
    this.persist();
    this.queueSnapshot();
    return result;
  }

  private installStack(spec: StackSpec, desired: Record<string, 'up' | 'down'>): StackRuntime {
    const rt: StackRuntime = { spec, services: new Map(), fileWatch: null };
    this.everHad.add(spec.name);
    for (const s of spec.services) {
      const sup = this.makeSupervisor(spec.name, s);
      sup.want(desired[s.name] ?? 'down');
      rt.services.set(s.name, sup);
    }
    this.stacks.set(spec.name, rt);
    if (spec.file) rt.fileWatch = this.watchStackFile(rt);
    return rt;
  }

  /** The stack file changed on disk: every view shows what applying it would do (`pending`); nothing is applied. */
  private watchStackFile(rt: StackRuntime): StackWatch {
    return new StackWatch(rt.spec.file, {
      current: () => (this.stacks.get(rt.spec.name) === rt ? rt.spec : undefined),
      onChange: () => this.queueSnapshot(),
      log: (line) => this.log(`${rt.spec.name}: ${line}`),
    });
  }

  private makeSupervisor(stack: string, spec: ServiceSpec): ServiceSupervisor {
    const sup = new ServiceSupervisor(spec, {
      dir: this.dir,
      stack,
      dependencyBlocker: (s) => this.dependencyBlocker(stack, s),
      adoptPollMs: this.opts.adoptPollMs ?? 1000,
      logRetention: this.opts.logRetention ?? DEFAULT_RETENTION,
      log: (m) => this.log(m),
    });
    sup.onChange.on(() => {
      this.queueSnapshot();
      this.kickReconciler();
    });
    sup.onEvent.on((e) => {
      this.emit('service-event', stack, spec.name, e);
      const line = eventLine(e, sup);
      if (line) this.log(`${stack}/${spec.name}: ${line}`);
      // Reaching or leaving a state the next owner must show (failed, completed) is written down.
      if (e.type === 'state' && [e.from, e.to].some((st) => st === 'failed' || st === 'completed')) this.persistSoon();
      if (e.type === 'failed') this.emit('service-failed', sup.snapshot());
    });
    return sup;
  }

  private dependencyBlocker(stack: string, spec: ServiceSpec): HeldOn | null {
    const rt = this.stacks.get(stack);
    for (const [dep, condition] of Object.entries(spec.dependsOn)) {
      const d = rt?.services.get(dep);
      if (!d) return { dependency: dep, condition, state: null };
      const ok =
        condition === 'completed'
          ? d.state === 'completed'
          : condition === 'healthy'
            ? d.state === 'running'
            : d.pid !== null && (d.state === 'running' || d.state === 'unhealthy' || d.state === 'starting');
      if (!ok) return { dependency: dep, condition, state: d.state };
    }
    return null;
  }

  // ---- reconcile ----

  /**
   * Level-triggered: every service the user wants up, that is held waiting for
   * its dependencies, is started once they are met.
   */
  kickReconciler(): void {
    if (this.reconcileQueued || this.closed || this.opening) return;
    this.reconcileQueued = true;
    setImmediate(() => {
      this.reconcileQueued = false;
      if (this.closed) return;
      for (const rt of this.stacks.values()) {
        for (const sup of rt.services.values()) {
          // A one-shot task runs when `up` asks for it (or for what needs it), never on its own.
          const fresh = sup.state === 'stopped' && sup.pid === null && sup.lastExit === null && !sup.spec.oneshot;
          if (sup.desired !== 'up' || sup.busy) continue;
          // A fresh one whose dependency is not there yet is started too: it is held on it (as the previous owner showed it).
          if (fresh || (sup.state === 'held' && this.dependencyBlocker(rt.spec.name, sup.spec) === null)) void sup.start();
        }
      }
    });
  }

  /**
   * Every running service's descendant record, from its own process tree (its leader's
   * children, theirs, and the descendants recorded before), not from a scan of the whole
   * process table: on a laptop with a thousand processes that scan was most of an idle owner's CPU.
   */
  private async recordDescendants(): Promise<void> {
    if (this.recording || this.closed) return;
    const sups = [...this.stacks.values()].flatMap((rt) => [...rt.services.values()]).filter((s) => s.pid !== null);
    if (sups.length === 0) return;
    this.recording = true;
    const pass = ++this.recordPass;
    try {
      const due = sups.filter((s) => s.recordDue(pass));
      if (due.length > 0) {
        const snap = await takeTreeSnapshot(due.flatMap((s) => s.treeRoots()));
        for (const s of due) s.recordDescendants(snap);
      }
      // Once a minute, with the leaf services' tree reads: a deleted log is a warning, not an outage.
      if (pass % 6 === 0) this.checkLogFiles();
    } catch (e) {
      // Out of descriptors (or a /proc read failing): the record waits for the next tick; a timer must never throw.
      this.log(`warning: descendant record skipped: ${(e as Error).message}`);
    } finally {
      this.recording = false;
    }
  }

  /** Checks now that every running service's log file still exists (done once a minute on its own). */
  checkLogFiles(): void {
    for (const rt of this.stacks.values()) for (const s of rt.services.values()) s.checkLogFile();
  }

  private async onWake(info: WakeInfo): Promise<void> {
    this.log(`wake detected (${info.kind}, ${Math.round(info.gapMs)} ms): re-checking every service`);
    this.emit('wake', info);
    await this.recheckAll(info.kind);
  }

  async recheckAll(_reason: string): Promise<void> {
    await Promise.all([...this.stacks.values()].flatMap((rt) => [...rt.services.values()].map((s) => s.recheck())));
  }

  // ---- commands ----

  private targets(stack: string, services?: string[]): { rt: StackRuntime; names: string[] } {
    const rt = this.stacks.get(stack);
    if (!rt) throw new NotFoundError(`No stack named \`${stack}\`. Known stacks: ${this.stackNames().join(', ') || 'none'}.`);
    const names = services && services.length > 0 ? services : [...rt.services.keys()];
    for (const n of names) this.supervisor(stack, n);
    return { rt, names };
  }

  /** Starts services and what they depend on; resolves when each has settled (running, failed or held). */
  async start(stack: string, services?: string[]): Promise<ActionResult> {
    const { rt, names } = this.targets(stack, services);
    const closure = new Set<string>();
    const add = (n: string) => {
      if (closure.has(n)) return;
      closure.add(n);
      for (const d of Object.keys(rt.services.get(n)!.spec.dependsOn)) add(d);
    };
    names.forEach(add);
    const ordered = rt.spec.services.map((s) => s.name).filter((n) => closure.has(n));
    for (const n of ordered) rt.services.get(n)!.want('up');
    this.persist();
    const named = new Set(services ?? []);
    const outcomes = await Promise.all(
      ordered.map((n) => {
        const sup = rt.services.get(n)!;
        // A task that completed since this owner started runs again only when named.
        if (sup.spec.oneshot && sup.state === 'completed' && !named.has(n)) {
          return Promise.resolve<ActionOutcome>({ stack, service: n, ok: true, state: 'completed', message: 'completed earlier; `corral up ' + n + '` runs it again' });
        }
        return this.startAndSettle(rt, n);
      }),
    );
    return { outcomes: outcomes.filter((o) => names.includes(o.service)) };
  }

  private async startAndSettle(rt: StackRuntime, name: string): Promise<ActionOutcome> {
    const sup = rt.services.get(name)!;
    const first = await sup.start();
    if (!first.ok || first.state !== 'held') return first;
    // Held for its dependencies: settle when it runs, fails, stops, or what it waits for has failed or was stopped.
    const deps = Object.keys(sup.spec.dependsOn).map((d) => rt.services.get(d)!);
    await new Promise<void>((resolve) => {
      const offs: (() => void)[] = [];
      const check = () => {
        const blocked = deps.some((d) => d.state === 'failed' || d.desired === 'down');
        // A task has settled when it has ended; a service, when it runs.
        const settled = (sup.state === 'running' && !sup.spec.oneshot) || sup.state === 'failed' || sup.state === 'stopped' || sup.state === 'completed';
        if (settled || sup.desired !== 'up' || (sup.state === 'held' && blocked)) {
          offs.forEach((off) => off());
          resolve();
        }
      };
      for (const s of [sup, ...deps]) offs.push(s.onChange.on(check));
      check();
    });
    const s = sup.snapshot();
    const ok = s.state === (sup.spec.oneshot ? 'completed' : 'running');
    const message = ok ? (s.state === 'completed' ? explainService(s) : `running (pid ${s.pid})`) : explainService(s) || s.state;
    return { stack: rt.spec.name, service: name, ok, state: s.state, message };
  }

  /**
   * Stops services, each after the services that depend on it. The dependents
   * of a stopped service are stopped too (they could not run without it); their
   * outcomes say so.
   */
  async stop(stack: string, services?: string[]): Promise<ActionResult> {
    const { rt, names } = this.targets(stack, services);
    const set = new Set(names);
    const because = new Map<string, string>();
    // Dependents first, transitively: a running `api` must not outlive the `redis` it needs.
    for (let grew = true; grew; ) {
      grew = false;
      for (const [n, sup] of rt.services) {
        if (set.has(n)) continue;
        const dep = Object.keys(sup.spec.dependsOn).find((d) => set.has(d));
        if (dep && (sup.desired === 'up' || sup.state !== 'stopped')) {
          set.add(n);
          because.set(n, dep);
          grew = true;
        }
      }
    }
    for (const n of set) rt.services.get(n)!.want('down');
    this.persist();
    const running = new Map<string, Promise<ActionOutcome>>();
    const stopOne = (n: string): Promise<ActionOutcome> => {
      let pr = running.get(n);
      if (pr) return pr;
      const dependents = [...set].filter((d) => d !== n && n in rt.services.get(d)!.spec.dependsOn);
      pr = rt.services.get(n)!.stop(dependents.length > 0 ? Promise.all(dependents.map(stopOne)) : undefined);
      running.set(n, pr);
      return pr;
    };
    const order = rt.spec.services.map((s) => s.name).filter((n) => set.has(n));
    const outcomes = await Promise.all(order.map(stopOne));
    return {
      outcomes: outcomes.map((o) => {
        const dep = because.get(o.service);
        return dep ? { ...o, message: `${o.message} (it depends on ${dep})`, dependentOf: dep } : o;
      }),
    };
  }

  async restart(stack: string, services?: string[]): Promise<ActionResult> {
    const { rt, names } = this.targets(stack, services);
    for (const n of names) rt.services.get(n)!.want('up');
    this.persist();
    const outcomes = await Promise.all(names.map((n) => rt.services.get(n)!.restart()));
    return { outcomes };
  }

  async forceStop(stack: string, service: string): Promise<ActionResult> {
    const sup = this.supervisor(stack, service);
    const o = await sup.forceStop();
    this.persist();
    return { outcomes: [o] };
  }

  /** Ends a foreign port holder, only on explicit confirmation from the user, and only if it still holds the port. */
  async killPortHolder(stack: string, service: string, pid: number): Promise<ActionResult> {
    const sup = this.supervisor(stack, service);
    const holder = sup.portHolder;
    if (!holder || holder.pid !== pid) {
      throw new ConflictError(`Process ${pid} is not the recorded holder of a port of ${service}; refresh and try again.`);
    }
    const current = (await portHolders([holder.port], this.dir.markerPrefix())).find((h) => h.kind === 'foreign' && h.pid === pid);
    if (!current) throw new ConflictError(`Process ${pid} no longer holds port ${holder.port}.`);
    const p = await platform();
    const info = await p.processInfo(pid);
    if (!info) throw new ConflictError(`Process ${pid} is gone already.`);
    const id = { pid, start: info.start, boot: await p.bootId() };
    await p.signalProcess(id, 'SIGTERM');
    const gone = await waitUntil(async () => (await p.processInfo(pid))?.start !== info.start, 5000);
    if (!gone) await p.signalProcess(id, 'SIGKILL');
    this.log(`killed foreign port holder ${pid} (${info.command}) at the user's request`);
    // Forgotten at once: no view may go on offering to stop a process that is gone.
    if (gone || (await p.processInfo(pid))?.start !== info.start) sup.portHolderEnded(pid);
    return { outcomes: [{ stack, service, ok: true, state: sup.state, message: `process ${pid} (${info.command}) ended` }] };
  }

  // ---- snapshot ----

  /** The snapshot; `figures` (from `snapshotWithResources`) stands in for the watched sample. */
  snapshot(figures?: Map<string, ResourceUse>): Snapshot {
    const sampled = figures !== undefined || this.resources.watching > 0;
    const resourcesOf = (sup: ServiceSupervisor): ResourceUse | null => {
      if (!sampled) return null;
      const key = sup.resourceTarget()?.key;
      if (key === undefined) return null;
      return figures ? (figures.get(key) ?? null) : this.resources.current(key);
    };
    const stacks: StackSnapshot[] = [...this.stacks.values()].map((rt) => ({
      name: rt.spec.name,
      file: rt.spec.file,
      services: [...rt.services.values()].map((s) => ({ ...s.snapshot(), resources: resourcesOf(s) })),
      pending:
        rt.fileWatch?.pending((n) => {
          const sup = rt.services.get(n);
          return sup && { desired: sup.desired, running: sup.pid !== null };
        }) ?? null,
    }));
    const owner: OwnerInfo = { pid: process.pid, kind: this.opts.kind, since: this.since, home: this.dir.home };
    if (this.launchAtLogin) owner.launchAtLogin = this.launchAtLogin;
    return { seq: this.seq, owner, stacks, settings: this.getSettings() };
  }

  /** A snapshot with fresh resource figures, for a `status`: the watched sample when recent, else one measured now. */
  async snapshotWithResources(): Promise<Snapshot> {
    return this.snapshot(await this.resources.fresh());
  }

  service(stack: string, name: string): ServiceSnapshot {
    return this.supervisor(stack, name).snapshot();
  }

  private queueSnapshot(): void {
    if (this.snapshotQueued || this.closed) return;
    this.snapshotQueued = true;
    const send = () => {
      this.snapshotQueued = false;
      if (this.closed) return;
      this.lastSnapshotAt = performance.now();
      this.seq++;
      this.emit('snapshot', this.snapshot());
    };
    const wait = this.lastSnapshotAt + SNAPSHOT_GAP_MS - performance.now();
    if (wait <= 0) queueMicrotask(send);
    else setTimeout(send, wait);
  }

  /** One write for the state changes of a turn (a crash loop ending fails one service; a stop of ten leaves ten). */
  private persistSoon(): void {
    if (this.persistQueued || this.closed) return;
    this.persistQueued = true;
    if (this.opening) return; // written once the opening is done
    setImmediate(() => {
      this.persistQueued = false;
      if (!this.closed) this.persist();
    });
  }

  private persist(): void {
    const boot = this.boot;
    const reg: Registry = {
      v: 1,
      stacks: [...this.stacks.values()].map((rt) => {
        const rest = boot === null ? [] : [...rt.services.values()].flatMap((s) => {
          const r = s.restRecord(boot);
          return r ? [[s.name, r] as const] : [];
        });
        return {
          spec: rt.spec,
          desired: Object.fromEntries([...rt.services.values()].map((s) => [s.name, s.desired])),
          ...(rest.length > 0 ? { rest: Object.fromEntries(rest) } : {}),
        };
      }),
    };
    try {
      saveRegistry(this.dir.stacksFile, reg);
    } catch (e) {
      this.log(`warning: cannot save ${this.dir.stacksFile}: ${(e as Error).message}`);
    }
  }

  // ---- settings ----

  /** Read from settings.json once, then kept: only `setSettings` changes it. */
  getSettings(): Settings {
    if (!this.settings) {
      const r = readJson(this.dir.settingsFile, (v) => settingsSchema.partial().parse(v));
      this.settings = { ...DEFAULT_SETTINGS, ...(r.kind === 'ok' ? r.value : {}) };
    }
    return { ...this.settings };
  }

  /** Stores a change and tells everyone: `settings` event (the app applies it) and a new snapshot (every view shows it). */
  setSettings(patch: Partial<Settings>): Settings {
    const next = { ...this.getSettings(), ...patch };
    writeFileAtomic(this.dir.settingsFile, JSON.stringify(next, null, 2) + '\n');
    this.settings = next;
    this.emit('settings', { ...next });
    this.queueSnapshot();
    return { ...next };
  }

  /** The app says whether the OS lets it launch at login; every view can then say so before anyone tries. */
  setLaunchAtLogin(availability: NonNullable<OwnerInfo['launchAtLogin']>): void {
    this.launchAtLogin = availability;
    this.queueSnapshot();
  }

  /**
   * Ends ownership. Services keep running (they are adopted by the next owner)
   * unless `stopServices`, which is awaited up to `timeoutMs`.
   */
  async close(opts: { stopServices: boolean; timeoutMs?: number } = { stopServices: false }): Promise<void> {
    if (this.closed) return;
    if (opts.stopServices) {
      const all = Promise.all([...this.stacks.keys()].map((s) => this.stop(s).catch(() => undefined)));
      await Promise.race([all, new Promise((r) => setTimeout(r, opts.timeoutMs ?? 30_000).unref())]);
      this.persistDesiredAfterQuit();
    }
    // A state reached just now (queued for writing) is not lost with this owner.
    if (this.persistQueued) this.persist();
    this.closed = true;
    this.stopWake?.();
    this.stopRecording?.();
    this.resources.dispose();
    this.logs.close();
    for (const rt of this.stacks.values()) for (const s of rt.services.values()) s.dispose();
    for (const rt of this.stacks.values()) rt.fileWatch?.close();
    this.log(`owner ${this.opts.kind} closed (services ${opts.stopServices ? 'stopped' : 'left running'})`);
    this.lock.release();
    this.removeAllListeners();
  }

  /** Quitting with stop-on-quit should not make the next launch think the user wanted them down. */
  private persistDesiredAfterQuit(): void {
    // Nothing to do: stop() already recorded `down`, which is what the user asked for by quitting that way.
  }
}

/** The owner log's line for a service event: every crash, restart, hold and give-up is written down. */
function eventLine(e: ServiceEvent, sup: ServiceSupervisor): string | null {
  switch (e.type) {
    case 'launched':
      return e.restart > 0 ? `started as pid ${e.pid} (restart ${e.restart})` : `started as pid ${e.pid}`;
    case 'adopted':
      return `adopted pid ${e.pid}`;
    case 'daemonized':
      return `forked into the background as pid ${e.pid} (${e.command}); its first process (pid ${e.leader}) exited 0; Corral follows it`;
    case 'exited':
      return `pid ${e.pid} ${describeExit(e)} after ${formatDuration(e.uptimeMs)} up`;
    case 'restarting':
      return `restarting in ${formatDuration(e.inMs)} (restart ${e.restart})`;
    case 'held':
      return `held: ${explainService(sup.snapshot())}`;
    case 'unhealthy':
      return `unhealthy: ${e.failures} health checks failed in a row (${e.detail})`;
    case 'failed':
      return `failed: ${e.reason}`;
    case 'state':
    case 'healthy':
      return null;
  }
}
