// An in-memory CorralApi: states change when asked, logs are arrays. For the
// web server's unit tests (which check what the server lets through, not what
// an owner does) and for renderer tests and benchmarks that need states a real
// stack makes hard to reach on cue (survivors, a million lines).
import type { ActionOutcome, ActionResult, CallName, CorralApi, LogBatch, LogLine, LogSubscription, ServiceDetail, Settings } from '../../shared/api.js';
import { DEFAULT_SETTINGS } from '../../shared/api.js';
import type { OwnerInfo, ServiceSnapshot, Snapshot, StackSnapshot } from '../../shared/state.js';

export function fakeService(stack: string, name: string, over: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return {
    stack,
    name,
    state: 'stopped',
    desired: 'down',
    pid: null,
    adopted: false,
    restarts: 0,
    ports: [],
    startedAt: null,
    lastExit: null,
    health: null,
    reason: null,
    held: null,
    nextRestartAt: null,
    logMissing: false,
    daemonized: false,
    url: null,
    lastLogLines: [],
    survivors: [],
    portHolder: null,
    logFile: `/tmp/corral-fake/logs/${stack}/${name}.log`,
    dependsOn: {},
    oneshot: false,
    resources: null,
    ...over,
  };
}

export class FakeOwner {
  /** Every call that reached the API, in order (what a refused request must not add to). */
  readonly calls: { name: CallName; req: unknown }[] = [];
  /** Every log subscription asked for, in order. */
  readonly logSubscriptions: LogSubscription[] = [];
  stacks: StackSnapshot[];
  settings: Settings = { ...DEFAULT_SETTINGS };
  /** Which owner the page believes it talks to (launch at login is the app's alone). */
  kind: 'app' | 'daemon' = 'daemon';
  /** What the app says about launch at login (only sent when set, like the real owner). */
  launchAtLogin: OwnerInfo['launchAtLogin'];
  seq = 1;
  readonly since = Date.now();
  private readonly logs = new Map<string, LogLine[]>();
  private readonly logSeq = new Map<string, number>();
  private readonly snapshotListeners = new Set<(s: Snapshot) => void>();
  private readonly logListeners = new Set<{ sub: LogSubscription; listener: (batch: LogBatch) => void }>();
  /** Makes the next call of that name throw this. */
  readonly failNext = new Map<CallName, unknown>();
  /** What `describeService` answers beyond its defaults (the command `node NAME.js`, the leader alone, the latest exit and health), per `stack/service`. */
  readonly details = new Map<string, Partial<ServiceDetail>>();
  /** Delays every action call (to see pending states). */
  actionDelayMs = 0;
  readonly api: CorralApi;

  constructor(stacks?: StackSnapshot[]) {
    this.stacks = stacks ?? [
      {
        name: 'demo',
        file: '/home/dev/demo/corral.yaml',
        services: [fakeService('demo', 'api', { ports: [7300] }), fakeService('demo', 'worker')],
        pending: null,
      },
    ];
    this.api = this.makeApi();
  }

  get listenerCounts(): { snapshot: number; logs: number } {
    return { snapshot: this.snapshotListeners.size, logs: this.logListeners.size };
  }

  snapshot(): Snapshot {
    return {
      seq: this.seq,
      owner: { pid: process.pid, kind: this.kind, since: this.since, home: '/tmp/corral-fake', ...(this.launchAtLogin ? { launchAtLogin: this.launchAtLogin } : {}) },
      stacks: structuredClone(this.stacks),
      settings: { ...this.settings },
    };
  }

  emit(): void {
    this.seq++;
    const s = this.snapshot();
    for (const l of [...this.snapshotListeners]) l(s);
  }

  service(stack: string, name: string): ServiceSnapshot {
    const st = this.stacks.find((s) => s.name === stack);
    const svc = st?.services.find((s) => s.name === name);
    if (!svc) throw Object.assign(new Error(`Stack \`${stack}\` has no service \`${name}\`.`), { code: 'not-found' });
    return svc;
  }

  update(stack: string, name: string, patch: Partial<ServiceSnapshot>): void {
    Object.assign(this.service(stack, name), patch);
    this.emit();
  }

  /** Appends lines to a service's log and pushes them to followers. */
  log(stack: string, service: string, texts: string | string[], ts = Date.now()): LogLine[] {
    const key = `${stack}/${service}`;
    const list = this.logs.get(key) ?? [];
    this.logs.set(key, list);
    let seq = this.logSeq.get(key) ?? 0;
    const lines = (Array.isArray(texts) ? texts : [texts]).map((text) => ({ stack, service, ts, seq: seq++, text }));
    this.logSeq.set(key, seq);
    for (const l of lines) list.push(l);
    for (const { sub, listener } of [...this.logListeners]) {
      if (sub.stack !== stack || (sub.services && !sub.services.includes(service))) continue;
      listener({ lines });
    }
    return lines;
  }

  /** Replaces a service's whole log (benchmarks: a million lines at once, not pushed). */
  setLog(stack: string, service: string, lines: LogLine[]): void {
    this.logs.set(`${stack}/${service}`, lines);
    this.logSeq.set(`${stack}/${service}`, lines.length);
  }

  private servicesOf(stack: string, services?: string[]): string[] {
    const st = this.stacks.find((s) => s.name === stack);
    if (!st) throw Object.assign(new Error(`No stack named \`${stack}\`.`), { code: 'not-found' });
    const names = services && services.length > 0 ? services : st.services.map((s) => s.name);
    for (const n of names) this.service(stack, n);
    return names;
  }

  private async act(stack: string, services: string[] | undefined, fn: (s: ServiceSnapshot) => ActionOutcome): Promise<ActionResult> {
    if (this.actionDelayMs > 0) await new Promise((r) => setTimeout(r, this.actionDelayMs));
    const outcomes = this.servicesOf(stack, services).map((n) => fn(this.service(stack, n)));
    this.emit();
    return { outcomes };
  }

  private makeApi(): CorralApi {
    const record = (name: CallName, req: unknown) => {
      this.calls.push({ name, req });
      const fail = this.failNext.get(name);
      if (fail !== undefined) {
        this.failNext.delete(name);
        throw fail;
      }
    };
    let nextPid = 40_000;
    const run = (s: ServiceSnapshot, restart: boolean): ActionOutcome => {
      s.state = 'running';
      s.desired = 'up';
      s.pid = nextPid++;
      s.startedAt = Date.now();
      s.reason = null;
      s.lastLogLines = [];
      if (restart) s.restarts++;
      return { stack: s.stack, service: s.name, ok: true, state: 'running', message: `running (pid ${s.pid})` };
    };
    return {
      snapshot: async (req) => (record('snapshot', req), this.snapshot()),
      start: async (req) => (record('start', req), this.act(req.stack, req.services, (s) => run(s, false))),
      restart: async (req) => (record('restart', req), this.act(req.stack, req.services, (s) => run(s, true))),
      stop: async (req) => {
        record('stop', req);
        return this.act(req.stack, req.services, (s) => {
          s.desired = 'down';
          if (s.survivors.length > 0) return { stack: s.stack, service: s.name, ok: false, state: s.state, message: `${s.survivors.length} process(es) survived`, survivors: s.survivors };
          s.state = 'stopped';
          s.pid = null;
          s.startedAt = null;
          return { stack: s.stack, service: s.name, ok: true, state: 'stopped', message: 'stopped' };
        });
      },
      forceStop: async (req) => {
        record('forceStop', req);
        return this.act(req.stack, [req.service], (s) => {
          s.survivors = [];
          s.state = 'stopped';
          s.pid = null;
          return { stack: s.stack, service: s.name, ok: true, state: 'stopped', message: 'force-stopped', forced: true };
        });
      },
      killPortHolder: async (req) => {
        record('killPortHolder', req);
        return this.act(req.stack, [req.service], (s) => {
          const pid = s.portHolder?.pid;
          s.portHolder = null;
          s.reason = null;
          return { stack: s.stack, service: s.name, ok: true, state: s.state, message: `process ${pid} ended` };
        });
      },
      readLogs: async (req) => {
        record('readLogs', req);
        const names = this.servicesOf(req.stack, req.services);
        const lists = names.map((n) => this.logs.get(`${req.stack}/${n}`) ?? []);
        let all = lists.length === 1 ? lists[0]! : lists.flat().sort((a, b) => a.ts - b.ts || (a.service === b.service ? a.seq - b.seq : a.service < b.service ? -1 : 1));
        if (req.since !== undefined) all = all.filter((l) => l.ts >= req.since!);
        if (req.before) all = all.filter((l) => req.before![l.service] === undefined || l.seq < req.before![l.service]!);
        const n = req.lines ?? 200;
        return all.length > n ? all.slice(all.length - n) : all.slice();
      },
      logLocation: async (req) => {
        record('logLocation', req);
        this.servicesOf(req.stack, req.service ? [req.service] : undefined);
        return { path: req.service ? `/tmp/corral-fake/logs/${req.stack}/${req.service}.log` : `/tmp/corral-fake/logs/${req.stack}` };
      },
      openLogFolder: async (req) => {
        record('openLogFolder', req);
        this.servicesOf(req.stack, req.service ? [req.service] : undefined);
        return { path: `/tmp/corral-fake/logs/${req.stack}`, opened: false };
      },
      openService: async (req) => {
        record('openService', req);
        this.servicesOf(req.stack, [req.service]);
        const url = this.service(req.stack, req.service).url;
        if (!url) throw Object.assign(new Error(`${req.service} has no address to open`), { code: 'bad-request' });
        return { url, opened: false };
      },
      applyStack: async (req) => {
        record('applyStack', req);
        const st = this.stacks.find((x) => x.name === req.stack);
        if (!st) throw Object.assign(new Error(`No stack named \`${req.stack}\`.`), { code: 'not-found' });
        const change = st.pending;
        if (change?.error) throw Object.assign(new Error(change.error), { code: 'bad-request' });
        const restart = change?.restart ?? [];
        const outcomes = restart.length > 0 ? (await this.act(req.stack, restart, (s) => run(s, true))).outcomes : [];
        st.pending = null;
        this.emit();
        return { stack: req.stack, outcomes, recreated: restart };
      },
      describeService: async (req) => {
        record('describeService', req);
        const s = this.service(req.stack, req.service);
        return {
          stack: req.stack,
          service: req.service,
          command: `node ${req.service}.js`,
          cwd: `/home/dev/${req.stack}`,
          healthCheck: null,
          processes: s.pid === null ? [] : [{ pid: s.pid, ppid: 1, command: `node ${req.service}.js`, role: 'leader', depth: 0 }],
          exits: s.lastExit ? [s.lastExit] : [],
          healthResults: s.health ? [s.health] : [],
          ...this.details.get(`${req.stack}/${req.service}`),
        };
      },
      getSettings: async (req) => (record('getSettings', req), { ...this.settings }),
      setSettings: async (req) => {
        record('setSettings', req);
        this.settings = { ...this.settings, ...req };
        this.emit();
        return { ...this.settings };
      },
      onSnapshot: (listener) => {
        this.snapshotListeners.add(listener);
        return () => void this.snapshotListeners.delete(listener);
      },
      onLogs: (sub, listener) => {
        this.logSubscriptions.push(sub);
        // As the owner does: the first batch at once, with the history asked for and the cursor.
        const names = this.servicesOf(sub.stack, sub.services);
        const cursor = Object.fromEntries(names.map((n) => [n, this.logSeq.get(`${sub.stack}/${n}`) ?? 0]));
        let history = names
          .flatMap((n) => (this.logs.get(`${sub.stack}/${n}`) ?? []).filter((l) => sub.from?.[n] === undefined || l.seq >= sub.from[n]!))
          .sort((a, b) => a.ts - b.ts || (a.service === b.service ? a.seq - b.seq : a.service < b.service ? -1 : 1));
        if (!sub.from) history = sub.history ? history.slice(-(sub.history.lines ?? 200)) : [];
        listener({ lines: history, cursor });
        const entry = { sub, listener };
        this.logListeners.add(entry);
        return () => void this.logListeners.delete(entry);
      },
    };
  }
}
