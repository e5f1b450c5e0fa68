// The three process managers behind one small interface, each in its own
// private data directory: Corral (its CLI, as a user runs it), PM2 (a
// devDependency, private PM2_HOME) and supervisord (from the OS, private
// config, socket, pidfile and log dir).
//
// A stack is described once, neutrally:
//   { name, services: [{ name, args, port?, dependsOn?, graceMs?, command? }] }
// `args` are svc.mjs flags; `command` (an argv) replaces `node svc.mjs args`.
// Every service gets BENCH_SVC=<tool id>/<stack>/<service> in its environment,
// which is how the bench finds its processes, whichever manager started them.
import { writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, SVC, NODE, RUN_ID, benchEnv, run, tempDir, isLive, procStat, serviceProcesses, waitUntil, killIfSame, waitGone, sleep } from './util.mjs';

let seq = 0;
const CORRAL_CLI = join(ROOT, 'bin', 'corral.js');
const CORRAL_MAIN = join(ROOT, 'dist', 'electron', 'cli', 'main.js');
const PM2_JS = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

const argvOf = (svc) => svc.command ?? [NODE, SVC, ...svc.args];

class Tool {
  constructor(name, label) {
    this.name = name;
    this.id = `${RUN_ID}/${name}${++seq}`;
    this.dir = tempDir(`${name}-${label}`);
  }
  /** BENCH_SVC prefix of a stack's (or one service's) processes. */
  tag(stack, service) {
    return service ? `${this.id}/${stack}/${service}` : `${this.id}/${stack}/`;
  }
  /** Live processes of a stack (or one service). */
  processes(stack, service) {
    return serviceProcesses(service ? `${this.tag(stack, service)}` : this.tag(stack)).filter((p) => !service || p.value === this.tag(stack, service));
  }
  /** The leader process of a service: the tagged process whose parent is not tagged with the same service. */
  servicePid(stack, service) {
    const procs = this.processes(stack, service);
    const pids = new Set(procs.map((p) => p.pid));
    return procs.find((p) => !pids.has(p.ppid)) ?? null;
  }
  daemonCpuPid() {
    return this.daemonPid();
  }
}

// ---- Corral ---------------------------------------------------------------

export class Corral extends Tool {
  static available() {
    return existsSync(CORRAL_MAIN) ? null : `not built (${CORRAL_MAIN} missing): run \`npm run build\``;
  }
  constructor(label, { restart, readyAfter } = {}) {
    super('corral', label);
    this.home = join(this.dir, 'home');
    this.env = benchEnv({ CORRAL_HOME: this.home });
    this.restartSpec = restart;
    this.readyAfter = readyAfter;
    this.files = new Map();
  }
  cli(args, opts = {}) {
    if (this.env.CORRAL_HOME !== this.home) throw new Error('bench bug: Corral without its private CORRAL_HOME');
    return run(NODE, [CORRAL_CLI, ...args], { env: this.env, cwd: this.dir, timeoutMs: opts.timeoutMs ?? 120_000 });
  }
  fileOf(stack) {
    let f = this.files.get(stack.name);
    if (f) return f;
    const d = join(this.dir, stack.name);
    mkdirSync(d, { recursive: true });
    f = join(d, 'corral.yaml');
    const services = {};
    for (const s of stack.services) {
      services[s.name] = {
        command: argvOf(s),
        env: { BENCH_SVC: this.tag(stack.name, s.name) },
        ...(s.port ? { ports: [s.port], health: { tcp: { port: s.port }, interval: '5s' } } : {}),
        ...(s.dependsOn ? { depends_on: { [s.dependsOn]: 'healthy' } } : {}),
        stop: { grace: `${s.graceMs ?? 2000}ms` },
        ...(this.restartSpec ? { restart: this.restartSpec } : {}),
        ...(this.readyAfter !== undefined ? { ready_after: this.readyAfter } : {}),
      };
    }
    // JSON is YAML: no quoting questions.
    writeFileSync(f, JSON.stringify({ version: 1, name: stack.name, services }, null, 2) + '\n');
    this.files.set(stack.name, f);
    return f;
  }
  up(stack) {
    return this.cli(['up', '-f', this.fileOf(stack)]);
  }
  stop(stack) {
    return this.cli(['down', '-f', this.fileOf(stack)]);
  }
  restart(stack, service) {
    return this.cli(['restart', service, '-f', this.fileOf(stack)]);
  }
  status() {
    return this.cli(['status', '--json']);
  }
  lock() {
    try {
      return JSON.parse(readFileSync(join(this.home, 'owner.lock'), 'utf8'));
    } catch {
      return null;
    }
  }
  daemonPid() {
    const l = this.lock();
    return l && isLive(l.pid, l.start) ? l.pid : null;
  }
  startDaemon() {
    return this.cli(['daemon', 'start']);
  }
  stopDaemon() {
    return this.cli(['daemon', 'stop']);
  }
  /** Stops every service and the owner; whatever remains is ended by pid. */
  async shutdown() {
    if (!existsSync(CORRAL_MAIN)) return;
    if (this.daemonPid() === null && serviceProcesses(`${this.id}/`).length > 0) await this.cli(['daemon', 'start'], { timeoutMs: 60_000 });
    if (this.daemonPid() !== null) await this.cli(['daemon', 'stop', '--stop-services'], { timeoutMs: 120_000 });
    const pid = this.daemonPid();
    if (pid !== null) {
      const st = procStat(pid);
      killIfSame(pid, st?.start, 'SIGKILL');
      await waitUntil(() => !isLive(pid), 5000, 20);
    }
  }
}

// ---- PM2 ------------------------------------------------------------------

export class Pm2 extends Tool {
  static available() {
    return existsSync(PM2_JS) ? null : `not installed (${PM2_JS} missing): run \`npm install\``;
  }
  constructor(label) {
    super('pm2', label);
    this.home = join(this.dir, 'pm2');
    // Corral and supervisord stop with SIGTERM; PM2's default is SIGINT, set for its daemon only by this variable.
    this.env = benchEnv({ PM2_HOME: this.home, PM2_KILL_SIGNAL: 'SIGTERM' });
    this.files = new Map();
    this.logDir = join(this.dir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
  }
  pm2(args, opts = {}) {
    if (this.env.PM2_HOME !== this.home) throw new Error('bench bug: PM2 without its private PM2_HOME');
    return run(NODE, [PM2_JS, ...args], { env: this.env, cwd: this.dir, timeoutMs: opts.timeoutMs ?? 120_000 });
  }
  appName(stack, svc) {
    return `${stack}-${svc}`;
  }
  logFiles(stack, svc) {
    return [join(this.logDir, `${this.appName(stack, svc)}.out.log`), join(this.logDir, `${this.appName(stack, svc)}.err.log`)];
  }
  fileOf(stack) {
    let f = this.files.get(stack.name);
    if (f) return f;
    f = join(this.dir, `${stack.name}.config.cjs`);
    const apps = stack.services.map((s) => {
      const [out, err] = this.logFiles(stack.name, s.name);
      const base = {
        name: this.appName(stack.name, s.name),
        env: { BENCH_SVC: this.tag(stack.name, s.name) },
        kill_timeout: s.graceMs ?? 2000,
        autorestart: true,
        out_file: out,
        error_file: err,
      };
      // The natural PM2 form for a Node script: `script: svc.mjs` (fork mode).
      if (s.command) return { ...base, script: s.command[0], args: s.command.slice(1), interpreter: 'none' };
      return { ...base, script: SVC, args: s.args };
    });
    writeFileSync(f, `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
    this.files.set(stack.name, f);
    return f;
  }
  up(stack) {
    return this.pm2(['start', this.fileOf(stack)]);
  }
  stop(stack) {
    return this.pm2(['stop', this.fileOf(stack)]);
  }
  restart(stack, service) {
    return this.pm2(['restart', this.appName(stack.name, service)]);
  }
  status() {
    return this.pm2(['jlist']);
  }
  daemonPid() {
    try {
      const pid = Number(readFileSync(join(this.home, 'pm2.pid'), 'utf8').trim());
      return pid > 0 && isLive(pid) && readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`PM2_HOME=${this.home}`) ? pid : null;
    } catch {
      return null;
    }
  }
  startDaemon() {
    return this.pm2(['ping']);
  }
  stopDaemon() {
    return this.pm2(['kill']);
  }
  async shutdown() {
    if (!existsSync(PM2_JS)) return;
    if (this.daemonPid() !== null) await this.pm2(['kill'], { timeoutMs: 60_000 });
    const pid = this.daemonPid();
    if (pid !== null) {
      killIfSame(pid, procStat(pid)?.start, 'SIGKILL');
      await waitUntil(() => !isLive(pid), 5000, 20);
    }
  }
}

// ---- supervisord ----------------------------------------------------------

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** supervisord splits `command=` like a shell (shlex); `%` starts an expansion. */
const shq = (a) => (/^[\w@+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'"'"'`)}'`).replaceAll('%', '%%');

export class Supervisord extends Tool {
  static available() {
    if (!which('supervisord') || !which('supervisorctl')) return 'not installed (supervisord/supervisorctl not on PATH; `apt-get install -y supervisor`)';
    return null;
  }
  constructor(label) {
    super('supervisord', label);
    this.conf = join(this.dir, 'supervisord.conf');
    this.sock = join(this.dir, 's.sock');
    this.pidfile = join(this.dir, 'supervisord.pid');
    this.logDir = join(this.dir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    this.stacks = new Map();
    this.running = new Set();
    this.env = benchEnv();
  }
  program(stack, svc) {
    return `${stack}_${svc}`;
  }
  logFiles(stack, svc) {
    return [join(this.logDir, `${this.program(stack, svc)}.log`)];
  }
  writeConf() {
    const lines = [
      '[unix_http_server]',
      `file=${this.sock}`,
      'chmod=0700',
      '[supervisord]',
      `pidfile=${this.pidfile}`,
      `logfile=${join(this.dir, 'supervisord.log')}`,
      `childlogdir=${this.logDir}`,
      'nodaemon=false',
      'loglevel=info',
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${this.sock}`,
    ];
    for (const stack of this.stacks.values()) {
      lines.push(`[group:${stack.name}]`, `programs=${stack.services.map((s) => this.program(stack.name, s.name)).join(',')}`);
      stack.services.forEach((s, i) => {
        lines.push(
          `[program:${this.program(stack.name, s.name)}]`,
          `command=${argvOf(s).map(shq).join(' ')}`,
          `environment=BENCH_SVC="${this.tag(stack.name, s.name)}",BENCH_RUN="${RUN_ID}"`,
          `directory=${this.dir}`,
          // Dependency order as far as supervisord goes: start priority (it does not wait for readiness).
          `priority=${100 + i}`,
          'autostart=true',
          'autorestart=true',
          'stopsignal=TERM',
          `stopwaitsecs=${Math.max(1, Math.round((s.graceMs ?? 2000) / 1000))}`,
          // The recommended setting for programs that fork; not the default.
          'stopasgroup=true',
          'killasgroup=true',
          'redirect_stderr=true',
          `stdout_logfile=${this.logFiles(stack.name, s.name)[0]}`,
        );
      });
    }
    writeFileSync(this.conf, lines.join('\n') + '\n');
  }
  ctl(args, opts = {}) {
    return run('supervisorctl', ['-c', this.conf, ...args], { env: this.env, cwd: this.dir, timeoutMs: opts.timeoutMs ?? 120_000 });
  }
  async up(stack) {
    const known = this.stacks.has(stack.name);
    if (!known) {
      this.stacks.set(stack.name, stack);
      this.writeConf();
    }
    if (this.daemonPid() === null) {
      this.running = new Set(this.stacks.keys());
      return this.startDaemon();
    }
    this.running.add(stack.name);
    // A new group: `update` adds it and starts its programs; a known one: start it again.
    return known ? this.ctl(['start', `${stack.name}:*`]) : this.ctl(['update']);
  }
  stop(stack) {
    this.running.delete(stack.name);
    return this.ctl(['stop', `${stack.name}:*`]);
  }
  restart(stack, service) {
    return this.ctl(['restart', `${stack.name}:${this.program(stack.name, service)}`]);
  }
  status() {
    return this.ctl(['status']);
  }
  daemonPid() {
    try {
      const pid = Number(readFileSync(this.pidfile, 'utf8').trim());
      return pid > 0 && isLive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.conf) ? pid : null;
    } catch {
      return null;
    }
  }
  async startDaemon() {
    if (!existsSync(this.conf)) this.writeConf();
    const r = await run('supervisord', ['-c', this.conf], { env: this.env, cwd: this.dir });
    return r;
  }
  /** Waits until the control socket answers (supervisord returns from forking before that). */
  async waitAnswering(timeoutMs = 20_000) {
    return waitUntil(async () => (await this.ctl(['pid'])).code === 0, timeoutMs, 20);
  }
  async stopDaemon() {
    const pid = this.daemonPid();
    const r = await this.ctl(['shutdown']);
    if (pid !== null) await waitUntil(() => !isLive(pid), 30_000, 10);
    return r;
  }
  async shutdown() {
    let pid = this.daemonPid();
    if (pid !== null) {
      // End it by the pid in its pidfile: SIGTERM stops its programs (stopwaitsecs), then it exits.
      const start = procStat(pid)?.start;
      killIfSame(pid, start, 'SIGTERM');
      if (!(await waitUntil(() => !isLive(pid, start), 30_000, 20))) killIfSame(pid, start, 'SIGKILL');
    }
    // Programs left by a SIGKILLed supervisord are ended by pid (our tag).
    const left = serviceProcesses(`${this.id}/`);
    for (const p of left) killIfSame(p.pid, p.start, 'SIGKILL');
    await waitGone(left, 5000, 20);
    pid = this.daemonPid();
    if (pid !== null) killIfSame(pid, procStat(pid)?.start, 'SIGKILL');
  }
}

export const TOOLS = { corral: Corral, pm2: Pm2, supervisord: Supervisord };

/** Ends every tagged process of a tool instance by pid (used after scenarios that leave orphans on purpose). */
export async function reapTagged(tool) {
  const left = serviceProcesses(`${tool.id}/`);
  for (const p of left) killIfSame(p.pid, p.start, 'SIGKILL');
  await waitGone(left, 5000, 10);
  await sleep(0);
  return left.length;
}
