// The owner: the one process that supervises the stacks of a data directory
// (the tray app, the headless daemon, or a test). It takes the lock, adopts
// what is still running, sweeps orphans, and brings every stack to the state
// the user last asked for.
import { EventEmitter } from 'node:events';
import { appendFileSync, mkdirSync } from 'node:fs';
import type { StackSpec, ServiceSpec } from '../../shared/stack.js';
import type { OwnerInfo, ServiceSnapshot, Snapshot, StackSnapshot } from '../../shared/state.js';
import type { ActionOutcome, ActionResult, CorralApi, LogBatch, LogSubscription, Settings } from '../../shared/api.js';
import { DEFAULT_SETTINGS, settingsSchema } from '../../shared/api.js';
import { DataDir, defaultHome } from './state/paths.js';
import { acquireOwnerLock, type HeldLock, type OwnerKind } from './state/owner-lock.js';
import { ServiceSupervisor } from './supervisor.js';
import { readInstance, removeInstance, listInstanceFiles, writeInstance, knownOfRecord, type InstanceRecord } from './state/state-file.js';
import { loadRegistry, saveRegistry, type Registry } from './state/registry.js';
import { platform, type ProcessInfo } from './process/platform/index.js';
import { stopTarget } from './process/stop.js';
import { takeSnapshot, byMarker, type ProcessSnapshot } from './process/process-scan.js';
import { watchForWake, type WakeInfo } from './wake.js';
import { readJson, writeFileAtomic } from './state/atomic-file.js';
import { waitUntil } from './wait.js';
import { portHolders } from './process/ports.js';
import { LogHub } from './logs/log-hub.js';

/** How long opening waits for adopted services' first probe before serving anyway. */
const ADOPT_WAIT_MS = 2000;
const boundMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

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
  /** Opens a folder for the user (the app: Electron's shell.openPath; the daemon: the desktop's opener); without it nothing is opened. */
  openPath?: (path: string) => Promise<boolean>;
  /** Where warnings and events go besides the owner log. */
  onLog?: (line: string) => void;
}

interface StackRuntime {
  spec: StackSpec;
  services: Map<string, ServiceSupervisor>;
}

export class Owner extends EventEmitter {
  readonly dir: DataDir;
  readonly api: CorralApi;
  readonly logs: LogHub;
  private readonly stacks = new Map<string, StackRuntime>();
  private seq = 0;
  private snapshotQueued = false;
  private reconcileQueued = false;
  private stopWake: (() => void) | null = null;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private recording = false;
  private closed = false;
  /** True until the first reconcile is done: services not yet adopted must not be started over by the reconciler. */
  private opening = true;
  /** The process table read once at the start of `open` (see there); null afterwards. */
  private openingScan: ProcessSnapshot | null = null;
  /** settings.json as last read or written (see `getSettings`). */
  private settings: Settings | null = null;
  private launchAtLogin: OwnerInfo['launchAtLogin'];
  private readonly since = Date.now();

  private constructor(
    dir: DataDir,
    readonly lock: HeldLock,
    private readonly opts: OwnerOptions,
  ) {
    super();
    this.dir = dir;
    this.logs = new LogHub(dir);
    this.api = createApi(this);
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
      owner.openingScan = await takeSnapshot();
      // With the registry unreadable, every running service would look like an orphan of an
      // unknown stack: leave them alone rather than take the user's stack down.
      if (registryLost) owner.log('warning: not sweeping processes of unknown stacks until their stack files are added again');
      else await owner.sweepUnknownStacks();
      const adoptions: Promise<void>[] = [];
      for (const rt of owner.stacks.values()) adoptions.push(...(await owner.reconcileStack(rt)));
      owner.openingScan = null;
      // Usually adopted services answer their first probe in milliseconds; one that does not
      // must not hold the owner (and every CLI call waiting for its socket) for a start timeout.
      await Promise.race([Promise.all(adoptions), boundMs(ADOPT_WAIT_MS)]);
      owner.opening = false;
      owner.stopWake = watchForWake((info) => void owner.onWake(info), { tickMs: opts.wakeTickMs, thresholdMs: opts.wakeThresholdMs });
      owner.snapshotTimer = setInterval(() => void owner.recordDescendants(), opts.descendantSnapshotMs ?? 10_000);
      owner.snapshotTimer.unref();
      owner.kickReconciler();
      return owner;
    } catch (e) {
      owner.lock.release();
      throw e;
    }
  }

  openPath(path: string): Promise<boolean> {
    return this.opts.openPath ? this.opts.openPath(path).catch(() => false) : Promise.resolve(false);
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
    } else {
      const rt = this.installStack(spec, {});
      await Promise.race([Promise.all(await this.reconcileStack(rt)), boundMs(ADOPT_WAIT_MS)]);
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
    this.stacks.delete(name);
    this.persist();
    this.queueSnapshot();
    return result;
  }

  private installStack(spec: StackSpec, desired: Record<string, 'up' | 'down'>): StackRuntime {
    const rt: StackRuntime = { spec, services: new Map() };
    for (const s of spec.services) {
      const sup = this.makeSupervisor(spec.name, s);
      sup.desired = desired[s.name] ?? 'down';
      rt.services.set(s.name, sup);
    }
    this.stacks.set(spec.name, rt);
    return rt;
  }

  private makeSupervisor(stack: string, spec: ServiceSpec): ServiceSupervisor {
    const sup = new ServiceSupervisor(spec, {
      dir: this.dir,
      stack,
      dependencyBlocker: (s) => this.dependencyBlocker(stack, s),
      adoptPollMs: this.opts.adoptPollMs ?? 1000,
      log: (m) => this.log(m),
    });
    sup.on('change', () => {
      this.queueSnapshot();
      this.kickReconciler();
    });
    sup.on('event', (e) => {
      this.emit('service-event', stack, spec.name, e);
      if (e.type === 'failed') {
        this.log(`${stack}/${spec.name} failed: ${e.reason}`);
        this.emit('service-failed', sup.snapshot());
      }
    });
    return sup;
  }

  private dependencyBlocker(stack: string, spec: ServiceSpec): string | null {
    const rt = this.stacks.get(stack);
    for (const [dep, cond] of Object.entries(spec.dependsOn)) {
      const d = rt?.services.get(dep);
      if (!d) return `${dep} (not in stack)`;
      const ok = cond === 'healthy' ? d.state === 'running' : d.pid !== null && (d.state === 'running' || d.state === 'unhealthy' || d.state === 'starting');
      if (!ok) return `${dep} (${cond}; now ${d.state})`;
    }
    return null;
  }

  // ---- reconcile ----

  private cleanState(stack: string, service: string): void {
    try {
      removeInstance(this.dir, stack, service);
    } catch (e) {
      this.log(`warning: cannot remove the state file of ${stack}/${service}: ${(e as Error).message}`);
    }
  }

  /** Adopts live instances, cleans stale state, sweeps orphans (DESIGN "Reconcile"). */
  private async reconcileStack(rt: StackRuntime): Promise<Promise<void>[]> {
    const adoptions: Promise<void>[] = [];
    const p = await platform();
    const boot = await p.bootId();
    const adopted = new Set<string>();
    const names = new Set([...rt.services.keys(), ...listInstanceFiles(this.dir, rt.spec.name)]);
    for (const name of names) {
      const sup = rt.services.get(name);
      const r = readInstance(this.dir, rt.spec.name, name);
      if (r.kind === 'missing') continue;
      if (r.kind === 'corrupt') {
        this.log(`warning: state file of ${rt.spec.name}/${name} is corrupt (${r.reason}); treating it as stale`);
        this.cleanState(rt.spec.name, name);
        continue;
      }
      const rec = r.value;
      if (rec.boot !== boot) {
        // From a previous boot: stale by definition, never signalled (F15).
        this.log(`${rt.spec.name}/${name}: state file from a previous boot, cleaned`);
        this.cleanState(rt.spec.name, name);
        continue;
      }
      const info = await p.processInfo(rec.pid);
      const marker = info ? await p.readMarker(rec.pid) : null;
      // Identity: same start time; and where the marker is readable, it must be this instance's (F09).
      if (!info || info.start !== rec.start || (marker !== null && marker !== rec.marker)) {
        this.log(`${rt.spec.name}/${name}: pid ${rec.pid} is gone or is another process now; state cleaned`);
        // What it left behind and had hidden (recorded descendants) is ended by identity.
        if ((rec.descendants ?? []).length > 0) {
          await stopTarget({ leader: null, markerPrefix: rec.marker, ports: [], known: knownOfRecord(rec) }, { signal: 'SIGTERM', graceMs: sup?.spec.stop.graceMs ?? 5000 });
        }
        this.cleanState(rt.spec.name, name);
        continue;
      }
      if (!sup) continue; // the service left the stack: its processes are swept below
      adopted.add(rec.marker);
      adoptions.push(sup.adopt(rec));
    }
    // Processes carrying our stack's marker that no adopted instance accounts for.
    const found = await this.markedProcesses(this.dir.markerPrefix(rt.spec.name));
    for (const [marker, procs] of found) {
      if (adopted.has(marker)) continue;
      const [, , service] = marker.split('/');
      const sup = service ? rt.services.get(service) : undefined;
      const leader = procs.find((pr) => pr.pid === pr.pgid);
      if (sup && leader && sup.pid === null && sup.desired === 'up') {
        // Its state file was lost (F17), but the leader of its group carries the marker: adopt it.
        const rec: InstanceRecord = {
          v: 1,
          stack: rt.spec.name,
          service: sup.name,
          instance: marker.split('/')[3] ?? 'recovered',
          marker,
          pid: leader.pid,
          pgid: leader.pgid,
          start: leader.start,
          boot,
          command: sup.spec.command,
          ports: sup.spec.ports,
          startedAt: Date.now(),
          restarts: 0,
        };
        this.log(`${rt.spec.name}/${sup.name}: state file missing; re-adopted pid ${leader.pid} by its marker`);
        adopted.add(marker);
        writeInstance(this.dir, rec);
        adoptions.push(sup.adopt(rec));
        continue;
      }
      await this.sweep(marker, procs, sup?.spec.stop.graceMs ?? 5000);
    }
    return adoptions;
  }

  private async sweepUnknownStacks(): Promise<void> {
    const found = await this.markedProcesses(this.dir.markerPrefix());
    for (const [marker, procs] of found) {
      const stack = marker.split('/')[1] ?? '';
      if (!this.stacks.has(stack)) await this.sweep(marker, procs, 5000);
    }
  }

  private async sweep(marker: string, procs: ProcessInfo[], graceMs: number): Promise<void> {
    this.log(`sweeping orphan ${marker}: ${procs.map((p) => `${p.pid} (${p.command})`).join(', ')}`);
    const leader = procs.find((p) => p.pid === p.pgid);
    const boot = await (await platform()).bootId();
    const r = await stopTarget(
      { leader: leader ? { pid: leader.pid, start: leader.start, boot } : null, markerPrefix: marker, ports: [] },
      { signal: 'SIGTERM', graceMs, ...(this.openingScan ? { snapshot: this.openingScan } : {}) },
    );
    if (r.survivors.length > 0) this.log(`warning: orphan sweep left ${r.survivors.map((s) => s.pid).join(', ')}`);
  }

  /** Live processes whose marker starts with `prefix`, grouped by full marker (one instance each). */
  private async markedProcesses(prefix: string): Promise<Map<string, ProcessInfo[]>> {
    return byMarker(this.openingScan ?? (await takeSnapshot()), prefix);
  }

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
          const pendingStart = sup.desired === 'up' && (sup.waiting || (sup.state === 'stopped' && sup.pid === null && sup.lastExit === null));
          if (pendingStart && !sup.busy && this.dependencyBlocker(rt.spec.name, sup.spec) === null) void sup.start();
        }
      }
    });
  }

  /** One read of the process table for every running service's descendant record. */
  private async recordDescendants(): Promise<void> {
    if (this.recording || this.closed) return;
    const sups = [...this.stacks.values()].flatMap((rt) => [...rt.services.values()]).filter((s) => s.pid !== null);
    if (sups.length === 0) return;
    this.recording = true;
    try {
      const snap = await takeSnapshot();
      for (const s of sups) s.recordDescendants(snap);
    } finally {
      this.recording = false;
    }
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
    for (const n of ordered) rt.services.get(n)!.desired = 'up';
    this.persist();
    const outcomes = await Promise.all(ordered.map((n) => this.startAndSettle(rt, n)));
    return { outcomes: outcomes.filter((o) => names.includes(o.service)) };
  }

  private async startAndSettle(rt: StackRuntime, name: string): Promise<ActionOutcome> {
    const sup = rt.services.get(name)!;
    const first = await sup.start();
    if (!first.ok || !sup.waiting) return first;
    // Held for its dependencies: settle when it runs, fails, stops, or what it waits for has failed.
    const deps = Object.keys(sup.spec.dependsOn).map((d) => rt.services.get(d)!);
    await new Promise<void>((resolve) => {
      const check = () => {
        const blocked = deps.some((d) => d.state === 'failed' || d.desired === 'down');
        const settled = !sup.waiting && (sup.state === 'running' || sup.state === 'failed' || sup.state === 'stopped');
        if (settled || sup.desired !== 'up' || (sup.waiting && blocked)) {
          for (const s of [sup, ...deps]) s.off('change', check);
          resolve();
        }
      };
      for (const s of [sup, ...deps]) s.on('change', check);
      check();
    });
    const s = sup.snapshot();
    const ok = s.state === 'running';
    return { stack: rt.spec.name, service: name, ok, state: s.state, message: ok ? `running (pid ${s.pid})` : (s.reason ?? s.state) };
  }

  /** Stops services; a service stops only after its dependents in the same request (reverse order). */
  async stop(stack: string, services?: string[]): Promise<ActionResult> {
    const { rt, names } = this.targets(stack, services);
    const set = new Set(names);
    for (const n of names) rt.services.get(n)!.desired = 'down';
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
    const outcomes = await Promise.all(names.map(stopOne));
    return { outcomes };
  }

  async restart(stack: string, services?: string[]): Promise<ActionResult> {
    const { rt, names } = this.targets(stack, services);
    for (const n of names) rt.services.get(n)!.desired = 'up';
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
    return { outcomes: [{ stack, service, ok: true, state: sup.state, message: `process ${pid} (${info.command}) ended` }] };
  }

  // ---- snapshot ----

  snapshot(): Snapshot {
    const stacks: StackSnapshot[] = [...this.stacks.values()].map((rt) => ({
      name: rt.spec.name,
      file: rt.spec.file,
      services: [...rt.services.values()].map((s) => s.snapshot()),
    }));
    const owner: OwnerInfo = { pid: process.pid, kind: this.opts.kind, since: this.since, home: this.dir.home };
    if (this.launchAtLogin) owner.launchAtLogin = this.launchAtLogin;
    return { seq: this.seq, owner, stacks, settings: this.getSettings() };
  }

  service(stack: string, name: string): ServiceSnapshot {
    return this.supervisor(stack, name).snapshot();
  }

  private queueSnapshot(): void {
    if (this.snapshotQueued || this.closed) return;
    this.snapshotQueued = true;
    queueMicrotask(() => {
      this.snapshotQueued = false;
      this.seq++;
      this.emit('snapshot', this.snapshot());
    });
  }

  private persist(): void {
    const reg: Registry = {
      v: 1,
      stacks: [...this.stacks.values()].map((rt) => ({
        spec: rt.spec,
        desired: Object.fromEntries([...rt.services.values()].map((s) => [s.name, s.desired])),
      })),
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
    this.closed = true;
    this.stopWake?.();
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    this.logs.close();
    for (const rt of this.stacks.values()) for (const s of rt.services.values()) s.dispose();
    this.log(`owner ${this.opts.kind} closed (services ${opts.stopServices ? 'stopped' : 'left running'})`);
    this.lock.release();
    this.removeAllListeners();
  }

  /** Quitting with stop-on-quit should not make the next launch think the user wanted them down. */
  private persistDesiredAfterQuit(): void {
    // Nothing to do: stop() already recorded `down`, which is what the user asked for by quitting that way.
  }
}

export class NotFoundError extends Error {
  readonly code = 'not-found';
}
export class ConflictError extends Error {
  readonly code = 'conflict';
}

function createApi(owner: Owner): CorralApi {
  return {
    snapshot: async () => owner.snapshot(),
    start: async (r) => owner.start(r.stack, r.services),
    stop: async (r) => owner.stop(r.stack, r.services),
    restart: async (r) => owner.restart(r.stack, r.services),
    forceStop: async (r) => owner.forceStop(r.stack, r.service),
    killPortHolder: async (r) => owner.killPortHolder(r.stack, r.service, r.pid),
    readLogs: async (r) => {
      owner.supervisor(r.stack, r.services?.[0] ?? owner.stack(r.stack)?.services[0]?.name ?? '');
      return owner.logs.read(r.stack, r.services ?? owner.stack(r.stack)!.services.map((s) => s.name), {
        ...(r.lines !== undefined ? { lines: r.lines } : {}),
        ...(r.since !== undefined ? { since: r.since } : {}),
        ...(r.before ? { before: r.before } : {}),
      });
    },
    logLocation: async (r) => ({ path: r.service ? owner.dir.logFile(r.stack, r.service) : owner.dir.logDir(r.stack) }),
    openLogFolder: async (r) => {
      if (r.service) owner.supervisor(r.stack, r.service);
      else if (!owner.stack(r.stack)) throw new NotFoundError(`No stack named \`${r.stack}\`.`);
      const path = owner.dir.logDir(r.stack);
      mkdirSync(path, { recursive: true, mode: 0o700 });
      return { path, opened: await owner.openPath(path) };
    },
    getSettings: async () => owner.getSettings(),
    setSettings: async (r) => owner.setSettings(r),
    onSnapshot: (listener) => {
      owner.on('snapshot', listener);
      return () => owner.off('snapshot', listener);
    },
    onLogs: (sub, listener) => owner.followLogs(sub, listener),
  };
}
