#!/usr/bin/env node
// The chaos run: a seeded, reproducible schedule of faults against the built
// CLI (bin/corral.js, dist/) and its owner, on real processes, in a temporary
// CORRAL_HOME, with the invariants of the fault matrix checked continuously,
// after each settle and at the end. See "Chaos run" in README.md.
//
//   npm run chaos -- --minutes 30 --seed 7
//   node scripts/chaos.mjs --seed 7 --dry-run 40     (print the first 40 actions, run nothing)
//
// Exit 0: no invariant violated; 1: at least one (each is printed with its details); 2: usage.
// Everything it starts is ended by pid (also on Ctrl-C), temp dirs removed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, existsSync, realpathSync, truncateSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'bin', 'corral.js');
const SVC = join(ROOT, 'test', 'fixtures', 'svc.mjs');
const HERE = join(ROOT, 'scripts', 'chaos');

// ---------------------------------------------------------------- options
function usage(msg) {
  if (msg) console.error(msg);
  console.error('Usage: node scripts/chaos.mjs --minutes N --seed S [--dry-run K] [--status-bound S] [--settle-every S] [--no-web] [--no-disk] [--keep]');
  process.exit(2);
}
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) usage(`--${name} needs a value`);
  return v;
};
const flag = (name) => argv.includes(`--${name}`);
const num = (name, dflt) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isFinite(v) || v < 0) usage(`--${name} must be a non-negative number`);
  return v;
};
const MINUTES = num('minutes', 1);
const SEED = Math.floor(num('seed', 1));
const DRY = opt('dry-run', null);
const STATUS_BOUND_MS = num('status-bound', 15) * 1000;
const SETTLE_EVERY_S = num('settle-every', 45);
const SETTLE_BOUND_MS = num('settle-bound', 120) * 1000;

// ---------------------------------------------------------------- the schedule
/** mulberry32: small, seedable, the same numbers on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAIN = 'chaos';
const DISK = 'chaosdisk';
const SERVICES = { [MAIN]: ['writer', 'web1', 'web2', 'flood'], [DISK]: ['diskfill'] };
const FAULTS = [
  ['kill-service', 5],
  ['kill-owner', 2],
  ['kill-owner-mid-up', 2],
  ['stop-owner', 2],
  ['clients', 5],
  ['port-grab', 2],
  ['state-file', 3],
  ['flood', 2],
  ['disk-full', 1],
  ['disk-readonly', 1],
  ['web-clients', 2],
];

/** The schedule as an endless sequence: the same seed gives the same actions, in the same order. */
function* schedule(seed) {
  const r = prng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const total = FAULTS.reduce((s, [, w]) => s + w, 0);
  let t = 0;
  let nextSettle = SETTLE_EVERY_S * 1000;
  // The first round has every kind once (in a seeded order), so a short run meets them all.
  const firstRound = FAULTS.map(([k]) => k);
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j], firstRound[i]];
  }
  for (;;) {
    const gap = int(500, 3000);
    t += gap;
    if (t >= nextSettle) {
      nextSettle += SETTLE_EVERY_S * 1000;
      yield { kind: 'settle', gap, downOne: r() < 0.5 ? pick(['web2', 'flood', 'writer']) : null };
      continue;
    }
    let kind = firstRound.shift();
    if (kind === undefined) {
      let x = r() * total;
      for (const [k, w] of FAULTS) {
        kind = k;
        if (x < w) break;
        x -= w;
      }
    }
    const a = { kind, gap };
    switch (kind) {
      case 'kill-service': {
        a.stack = r() < 0.85 ? MAIN : DISK;
        a.service = pick(SERVICES[a.stack]);
        break;
      }
      case 'kill-owner-mid-up':
        a.stack = pick([MAIN, DISK]);
        a.delayMs = int(0, 1500);
        break;
      case 'stop-owner':
        a.ms = int(200, 3000);
        break;
      case 'clients': {
        a.commands = [];
        const n = int(2, 6);
        for (let i = 0; i < n; i++) {
          const stack = r() < 0.8 ? MAIN : DISK;
          const verb = pick(['up', 'up', 'down', 'restart', 'restart', 'status', 'status', 'logs']);
          const service = r() < 0.7 ? pick(SERVICES[stack]) : null;
          a.commands.push({ verb, stack, service });
        }
        break;
      }
      case 'port-grab':
        a.service = pick(['web1', 'web2']);
        a.holdMs = int(1000, 6000);
        break;
      case 'state-file':
        a.index = int(0, 1000);
        a.how = pick(['delete', 'empty', 'garbage', 'half', 'wrong-shape']);
        break;
      case 'flood':
        a.bytes = int(1, 6) << 20;
        break;
      case 'disk-full':
        a.bytes = 6 << 20;
        break;
      case 'disk-readonly':
        a.ms = int(1000, 5000);
        break;
      case 'web-clients':
        a.idle = int(5, 60);
        a.slow = int(1, 10);
        a.sse = int(1, 4);
        a.holdMs = int(1000, 8000);
        break;
    }
    yield a;
  }
}

if (DRY !== null) {
  const it = schedule(SEED);
  for (let i = 0; i < Number(DRY); i++) console.log(JSON.stringify(it.next().value));
  process.exit(0);
}

// ---------------------------------------------------------------- the run's world
const runId = randomBytes(4).toString('hex');
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'corral-chaos-')));
const home = join(tmp, 'home');
mkdirSync(home, { recursive: true, mode: 0o700 });
const dataId = createHash('sha256').update(realpathSync(home)).digest('hex').slice(0, 12);
const markerOf = (stack, service) => `${dataId}/${stack}/${service}/`;
const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1).padStart(7);
const say = (msg) => console.log(`[${elapsed()}s] ${msg}`);

const faults = new Map();
const countFault = (kind) => faults.set(kind, (faults.get(kind) ?? 0) + 1);
const violations = [];
const notes = [];
function violation(kind, details) {
  violations.push({ at: Number(elapsed()), kind, details });
  say(`VIOLATION ${kind}: ${details}`);
}

const env = { ...process.env, CORRAL_HOME: home, NO_COLOR: '1', CORRAL_CHAOS_RUN: runId, CORRAL_LOG_MAX_BYTES: String(64 << 10), CORRAL_LOG_CHECK_MS: '500', CORRAL_LOG_KEEP: '100000' };
delete env.FORCE_COLOR;
delete env.CORRAL_INSTANCE;
delete env.CORRAL_SOCKET_DIR;

/** Every child this script starts, by pid: ended at the end, by pid. */
const children = new Map();

// ---------------------------------------------------------------- /proc
function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], pgid: Number(rest[2]), start: rest[19] };
  } catch {
    return null;
  }
}
const isLive = (pid) => {
  const s = stat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
};
/** Live processes carrying our data dir's marker or this run's tag. */
function scan() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let e;
    try {
      e = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    } catch {
      continue;
    }
    const marker = e.find((x) => x.startsWith(`CORRAL_INSTANCE=${dataId}/`))?.slice('CORRAL_INSTANCE='.length) ?? null;
    const tagged = e.includes(`CORRAL_CHAOS_RUN=${runId}`);
    if (!marker && !tagged) continue;
    const s = stat(pid);
    if (!s || s.state === 'Z' || s.state === 'X') continue;
    out.push({ pid, marker, tagged, ...s });
  }
  return out;
}
const leadersOf = (procs, stack, service) => procs.filter((p) => p.marker?.startsWith(markerOf(stack, service)) && p.pgid === p.pid);
const markedOf = (procs, stack, service) => procs.filter((p) => p.marker?.startsWith(markerOf(stack, service)));
function ownerPid() {
  try {
    const pid = JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')).pid;
    return Number.isInteger(pid) && isLive(pid) ? pid : null;
  } catch {
    return null;
  }
}
function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function kill(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- the CLI
const cliStats = { runs: 0, byExit: new Map() };
function corral(args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(child.pid, { what: `corral ${args.join(' ')}`, child });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout.length < 1 << 20 ? (stdout += d) : null));
    child.stderr.on('data', (d) => (stderr.length < 1 << 20 ? (stderr += d) : null));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      kill(child.pid, 'SIGKILL');
    }, timeoutMs);
    const done = (code) => {
      clearTimeout(timer);
      children.delete(child.pid);
      cliStats.runs++;
      cliStats.byExit.set(code, (cliStats.byExit.get(code) ?? 0) + 1);
      resolve({ code, stdout, stderr, ms: performance.now() - t0, timedOut });
    };
    child.on('error', () => done(-1));
    child.on('close', (code) => done(code));
  });
}
const background = new Set();
function inBackground(p) {
  background.add(p);
  p.finally(() => background.delete(p));
  return p;
}

// ---------------------------------------------------------------- foreign processes
/** Processes that are not Corral's: none may die unless this script ended it. */
const foreign = new Map();
function startForeign(what, args) {
  const child = spawn(process.execPath, args, { env: { ...env, CORRAL_HOME: join(tmp, 'not-corral') }, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  const f = { what, child, pid: child.pid, endedByUs: false, out: '' };
  child.stdout.on('data', (d) => (f.out.length < 4096 ? (f.out += d) : null));
  child.on('exit', (code, signal) => {
    foreign.delete(f.pid);
    children.delete(f.pid);
    if (!f.endedByUs) violation('foreign-process-signalled', `${what} (pid ${f.pid}) exited (code ${code}, signal ${signal}) without this script ending it`);
  });
  foreign.set(f.pid, f);
  children.set(f.pid, { what, child });
  return f;
}
async function endForeign(f) {
  if (!isLive(f.pid)) return;
  f.endedByUs = true;
  kill(f.pid, 'SIGTERM');
  for (let i = 0; i < 100 && isLive(f.pid); i++) await sleep(20);
  if (isLive(f.pid)) kill(f.pid, 'SIGKILL');
}

// ---------------------------------------------------------------- ports and stack files
async function freePort() {
  for (;;) {
    // Below the ephemeral range: a closed port there can connect to itself (TCP simultaneous open).
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise((res) => {
      const s = createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) return port;
  }
}
const ports = { web1: await freePort(), web2: await freePort() };
while (ports.web2 === ports.web1) ports.web2 = await freePort();
const floodTrigger = join(tmp, 'flood.trigger');
const diskTrigger = join(tmp, 'disk.trigger');
const witness = join(tmp, 'writer-instances.txt');
const restartPolicy = '{ policy: always, backoff: 100ms, max_backoff: 1s, crash_loop: { count: 100000, window: 60s } }';
const node = JSON.stringify(process.execPath);
const mainFile = join(tmp, 'main', 'corral.yaml');
const diskFile = join(tmp, 'disk', 'corral.yaml');
mkdirSync(join(tmp, 'main'));
mkdirSync(join(tmp, 'disk'));
writeFileSync(
  mainFile,
  `version: 1
name: ${MAIN}
services:
  writer:
    command: [${node}, ${JSON.stringify(join(HERE, 'writer.mjs'))}, ${JSON.stringify(witness)}]
    restart: ${restartPolicy}
    stop: { grace: 2s }
  web1:
    command: [${node}, ${JSON.stringify(SVC)}, --port, "${ports.web1}"]
    ports: [${ports.web1}]
    health: { tcp: { port: ${ports.web1} }, interval: 250ms, timeout: 2s, failure_threshold: 3 }
    restart: ${restartPolicy}
    stop: { grace: 2s }
    start_timeout: 30s
  web2:
    command: [${node}, ${JSON.stringify(SVC)}, --port, "${ports.web2}"]
    ports: [${ports.web2}]
    depends_on: { web1: healthy }
    health: { tcp: { port: ${ports.web2} }, interval: 250ms, timeout: 2s, failure_threshold: 3 }
    restart: ${restartPolicy}
    stop: { grace: 2s }
    start_timeout: 30s
  flood:
    command: [${node}, ${JSON.stringify(join(HERE, 'flooder.mjs'))}, ${JSON.stringify(floodTrigger)}]
    restart: ${restartPolicy}
    stop: { grace: 2s }
`,
);
writeFileSync(
  diskFile,
  `version: 1
name: ${DISK}
services:
  diskfill:
    command: [${node}, ${JSON.stringify(join(HERE, 'flooder.mjs'))}, ${JSON.stringify(diskTrigger)}]
    restart: ${restartPolicy}
    stop: { grace: 2s }
`,
);
const fileOf = { [MAIN]: mainFile, [DISK]: diskFile };

// ---------------------------------------------------------------- the log disk (tmpfs)
const diskDir = join(home, 'logs', DISK);
mkdirSync(diskDir, { recursive: true, mode: 0o700 });
let tmpfs = false;
if (!flag('no-disk')) {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', `corral-chaos-${runId}`, diskDir], { encoding: 'utf8' });
  if (r.status === 0) tmpfs = true;
  else notes.push(`the full and read-only log disk faults are skipped: mounting a tmpfs was not allowed (${(r.stderr || r.error?.message || '').trim()})`);
}
// Read-only: a read-only bind mount stacked on the log dir. (Remounting the tmpfs itself read-only is
// refused while a service holds its log open for writing; the stacked mount turns every new open read-only,
// which is what a start needs, while the running writer keeps its descriptor.)
let readOnly = false;
function setReadOnly(on) {
  if (on === readOnly) return { status: 0, stderr: '' };
  if (on) {
    const b = spawnSync('mount', ['--bind', diskDir, diskDir], { encoding: 'utf8' });
    if (b.status !== 0) return b;
    const r = spawnSync('mount', ['-o', 'remount,bind,ro', diskDir], { encoding: 'utf8' });
    readOnly = true;
    if (r.status !== 0) setReadOnly(false);
    return r;
  }
  let u = spawnSync('umount', [diskDir], { encoding: 'utf8' });
  if (u.status !== 0) u = spawnSync('umount', ['-l', diskDir], { encoding: 'utf8' });
  if (u.status === 0) readOnly = false;
  return u;
}

// ---------------------------------------------------------------- cleanup (also on Ctrl-C)
let cleaning = null;
async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    clearInterval(monitorTimer);
    stopProbes = true;
    const o = ownerPid();
    if (o) kill(o, 'SIGCONT');
    for (const s of sockets) s.destroy();
    if (tmpfs) setReadOnly(false);
    for (const f of [...foreign.values()]) await endForeign(f);
    for (const [pid] of children) kill(pid, 'SIGKILL');
    if (ownerPid() !== null || scan().some((p) => p.marker)) await corral(['daemon', 'stop', '--stop-services'], { timeoutMs: 90_000 });
    const o2 = ownerPid();
    if (o2) kill(o2, 'SIGKILL');
    for (let i = 0; i < 50 && scan().length > 0; i++) await sleep(100);
    for (const p of scan()) kill(p.pid, 'SIGKILL');
    if (tmpfs) {
      const u = spawnSync('umount', [diskDir], { encoding: 'utf8' });
      if (u.status !== 0) {
        await sleep(500);
        spawnSync('umount', ['-l', diskDir]);
      }
    }
    if (!flag('keep')) rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`\n${sig}: ending everything this run started…`);
    void cleanup().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- continuous invariants
const owners = new Set();
const rss = { start: null, end: null, peak: 0, samples: 0 };
const stoppedWindows = []; // [from, to] when this script held the owner stopped
const ownerKills = [];
let suspectDup = new Map();
function monitor() {
  const procs = scan();
  const o = ownerPid();
  if (o) {
    owners.add(o);
    const kb = rssKiB(o);
    if (kb) {
      rss.peak = Math.max(rss.peak, kb);
      rss.samples++;
    }
  }
  // At most one instance per service: group leaders carrying its marker. Seen twice in a row (1 s apart) to count.
  const now = new Map();
  for (const [stack, names] of Object.entries(SERVICES)) {
    for (const s of names) {
      const leaders = leadersOf(procs, stack, s);
      if (leaders.length > 1) {
        const key = `${stack}/${s}`;
        const pids = leaders.map((p) => p.pid).sort().join(',');
        now.set(key, pids);
        if (suspectDup.get(key) === pids && !reported.has(`dup:${pids}`)) {
          reported.add(`dup:${pids}`);
          violation('duplicate-instance', `${key}: ${leaders.length} group leaders carry its marker: ${leaders.map((p) => `${p.pid} (${p.marker}, state ${p.state})`).join(', ')}`);
        }
      }
    }
  }
  suspectDup = now;
}
const reported = new Set();
const monitorTimer = setInterval(monitor, 1000);

let stopProbes = false;
const probes = { count: 0, maxMs: 0, exempt: 0 };
async function statusProbes() {
  while (!stopProbes) {
    const before = ownerPid();
    const t0 = Date.now();
    const r = await corral(['status', '--all', '--json'], { timeoutMs: 90_000 });
    const t1 = Date.now();
    const after = ownerPid();
    const stoppedMeanwhile = stoppedWindows.some(([a, b]) => b >= t0 && a <= t1);
    const killedMeanwhile = ownerKills.some((k) => k >= t0 - 1000 && k <= t1);
    if (before === null || before !== after || stoppedMeanwhile || killedMeanwhile) probes.exempt++;
    else {
      probes.count++;
      probes.maxMs = Math.max(probes.maxMs, r.ms);
      if (r.ms > STATUS_BOUND_MS || r.timedOut) violation('owner-slow', `status took ${Math.round(r.ms)} ms (bound ${STATUS_BOUND_MS} ms), owner ${before}, exit ${r.code}: ${r.stderr.slice(0, 300)}`);
    }
    await sleep(3000);
  }
}

// ---------------------------------------------------------------- the faults
const pickIndex = (xs, i) => xs[i % xs.length];
const sockets = new Set();

async function killService(a) {
  const leaders = leadersOf(scan(), a.stack, a.service);
  if (leaders.length === 0) return say(`kill-service ${a.stack}/${a.service}: not running, nothing to kill`);
  for (const p of leaders) kill(p.pid, 'SIGKILL');
  countFault('SIGKILL a service');
  say(`SIGKILL ${a.stack}/${a.service} (pid ${leaders.map((p) => p.pid).join(',')})`);
}
async function killOwner() {
  const o = ownerPid();
  if (!o) return say('kill-owner: no owner running');
  ownerKills.push(Date.now());
  kill(o, 'SIGCONT');
  kill(o, 'SIGKILL');
  countFault('SIGKILL the owner');
  say(`SIGKILL owner ${o}`);
}
async function killOwnerMidUp(a) {
  const up = inBackground(corral(['up', '-f', fileOf[a.stack]]));
  await sleep(a.delayMs);
  const o = ownerPid();
  if (!o) {
    // The `up` may be starting an owner right now: kill that one as soon as it holds the lock.
    for (let i = 0; i < 50 && !ownerPid(); i++) await sleep(20);
  }
  const o2 = ownerPid();
  if (!o2) return say('kill-owner-mid-up: no owner appeared');
  ownerKills.push(Date.now());
  kill(o2, 'SIGKILL');
  countFault('SIGKILL the owner during up');
  say(`SIGKILL owner ${o2} ${a.delayMs} ms into \`up ${a.stack}\``);
  void up;
}
async function stopOwner(a) {
  const o = ownerPid();
  if (!o) return say('stop-owner: no owner running');
  const from = Date.now();
  kill(o, 'SIGSTOP');
  countFault('SIGSTOP/SIGCONT the owner');
  say(`SIGSTOP owner ${o} for ${a.ms} ms`);
  await sleep(a.ms);
  kill(o, 'SIGCONT');
  stoppedWindows.push([from, Date.now() + 200]);
}
function clientArgs(c) {
  const svc = c.service ? [c.service] : [];
  switch (c.verb) {
    case 'up':
      return ['up', ...svc, '-f', fileOf[c.stack]];
    case 'down':
      return ['down', ...svc, '-s', c.stack];
    case 'restart':
      return ['restart', ...svc, '-s', c.stack];
    case 'status':
      return ['status', '-s', c.stack, '--json'];
    case 'logs':
      return ['logs', ...svc, '-s', c.stack, '-n', '200'];
  }
}
async function clients(a) {
  if (background.size > 12) return say(`clients: ${background.size} commands still running, skipped`);
  for (const c of a.commands) {
    const args = clientArgs(c);
    inBackground(corral(args)).then((r) => {
      if (r.timedOut) violation('cli-hang', `corral ${args.join(' ')} did not finish in 120 s`);
      else if (r.code !== 0 && /unexpected error|TypeError|ReferenceError|at .*\.js:\d+/.test(r.stderr)) violation('cli-crash', `corral ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    });
  }
  countFault('concurrent CLI commands');
  say(`${a.commands.length} concurrent clients: ${a.commands.map((c) => `${c.verb} ${c.stack}${c.service ? `/${c.service}` : ''}`).join(', ')}`);
}
async function portGrab(a) {
  const port = ports[a.service];
  const g = startForeign(`port grabber of ${port}`, [join(HERE, 'grabber.mjs'), String(port)]);
  const leaders = leadersOf(scan(), MAIN, a.service);
  for (const p of leaders) kill(p.pid, 'SIGKILL');
  for (let i = 0; i < 150 && !g.out.includes('holding'); i++) await sleep(20);
  countFault('foreign process holds a declared port');
  say(`foreign pid ${g.pid} ${g.out.includes('holding') ? 'holds' : 'waits for'} port ${port} of ${a.service} (service pid ${leaders.map((p) => p.pid).join(',') || 'none'} SIGKILLed) for ${a.holdMs} ms`);
  await sleep(a.holdMs);
  await endForeign(g);
}
async function stateFile(a) {
  const files = [];
  const sdir = join(home, 'state');
  for (const s of existsSync(sdir) ? readdirSync(sdir).sort() : []) {
    try {
      for (const f of readdirSync(join(sdir, s)).sort()) if (f.endsWith('.json')) files.push(join(sdir, s, f));
    } catch {}
  }
  if (files.length === 0) return say('state-file: no state files');
  const f = pickIndex(files, a.index);
  try {
    if (a.how === 'delete') unlinkSync(f);
    else if (a.how === 'empty') writeFileSync(f, '');
    else if (a.how === 'garbage') writeFileSync(f, randomBytes(64));
    else if (a.how === 'half') writeFileSync(f, readFileSync(f, 'utf8').slice(0, 20));
    else writeFileSync(f, JSON.stringify({ v: 99, pid: 'x', stack: 3 }));
  } catch (e) {
    return say(`state-file ${a.how} ${f}: ${e.code}`);
  }
  countFault(a.how === 'delete' ? 'state file deleted' : 'state file corrupted');
  say(`state file ${f.slice(home.length + 1)}: ${a.how}`);
}
function trigger(path, bytes) {
  writeFileSync(`${path}.new`, String(bytes));
  renameSync(`${path}.new`, path);
}
async function flood(a) {
  trigger(floodTrigger, a.bytes);
  countFault('log flood');
  say(`log flood of ${a.bytes >> 20} MiB`);
}
async function diskFull(a) {
  if (!tmpfs) return;
  trigger(diskTrigger, a.bytes);
  countFault('log disk full');
  say(`log flood of ${a.bytes >> 20} MiB onto a 4 MiB log disk`);
}
async function diskReadonly(a) {
  if (!tmpfs) return;
  await Promise.all([...background]);
  const before = leadersOf(scan(), DISK, 'diskfill').map((p) => p.pid);
  const r = setReadOnly(true);
  if (r.status !== 0) return say(`disk-readonly: remount failed: ${r.stderr.trim()}`);
  countFault('log disk read-only');
  say(`log disk read-only for ${a.ms} ms; restart diskfill (pid ${before.join(',') || 'none'})`);
  const res = await corral(['restart', 'diskfill', '-s', DISK]);
  const after = leadersOf(scan(), DISK, 'diskfill').map((p) => p.pid);
  if (res.code !== 0 && before.length === 1 && !(after.length === 1 && after[0] === before[0])) {
    violation('restart-on-readonly-disk', `restart failed (exit ${res.code}) but the running instance ${before[0]} was stopped (now ${after.join(',') || 'none'}): ${res.stderr.slice(0, 300)}`);
  }
  say(`  restart on a read-only log disk: exit ${res.code}${res.code !== 0 ? ` (${(res.stderr + res.stdout).trim().split('\n').pop().slice(0, 200)})` : ''}`);
  await sleep(a.ms);
  setReadOnly(false);
}
function httpJson(port, path, body, headers = {}) {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    const data = JSON.stringify(body);
    let buf = '';
    s.setTimeout(10_000, () => s.destroy());
    s.on('error', () => resolve(null));
    s.on('data', (d) => (buf += d));
    s.on('close', () => {
      const i = buf.indexOf('\r\n\r\n');
      try {
        resolve(JSON.parse(buf.slice(i + 4)));
      } catch {
        resolve(null);
      }
    });
    s.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\nConnection: close\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        `\r\n${data}`,
    );
  });
}
function hold(port, onConnect) {
  const s = createConnection(port, '127.0.0.1');
  sockets.add(s);
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
  s.on('connect', () => onConnect(s));
  return s;
}
let webSkipped = false;
async function webClients(a) {
  if (flag('no-web') || webSkipped) return;
  const r = await corral(['ui', '--no-open', '--json'], { timeoutMs: 60_000 });
  if (r.code !== 0) {
    if (/renderer is not built|build:renderer/.test(r.stderr + r.stdout)) {
      webSkipped = true;
      notes.push('slow and half-open web UI clients skipped: the renderer is not built (npm run build:renderer)');
    }
    return say(`web-clients: corral ui exited ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
  }
  const url = new URL(JSON.parse(r.stdout).url);
  const port = Number(url.port);
  const mine = [];
  // Idle and half-sent requests; half of the half-sent ones also close their sending side.
  for (let i = 0; i < a.idle; i++) {
    mine.push(
      hold(port, (s) => {
        if (i % 3 === 0) return;
        s.write(`GET /api/snapshot HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
        if (i % 3 === 2) s.end();
      }),
    );
  }
  // Slowloris: a header byte every 200 ms.
  for (let i = 0; i < a.slow; i++) {
    mine.push(
      hold(port, (s) => {
        const req = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ${'s'.repeat(500)}\r\n\r\n`;
        let k = 0;
        const t = setInterval(() => (s.destroyed || k >= req.length ? clearInterval(t) : s.write(req[k++])), 200);
        s.on('close', () => clearInterval(t));
      }),
    );
  }
  // Signed in the way the page is (one-time code, then a ticket), an event stream nobody reads.
  const session = (await httpJson(port, '/auth/session', { code: url.searchParams.get('code') }))?.session;
  let sse = 0;
  if (session) {
    for (let i = 0; i < a.sse; i++) {
      const ticket = (await httpJson(port, '/auth/ticket', {}, { Authorization: `Bearer ${session}` }))?.ticket;
      if (!ticket) continue;
      sse++;
      mine.push(
        hold(port, (s) => {
          s.write(`GET /api/events?ticket=${encodeURIComponent(ticket)}&stack=${MAIN}&history=5000 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
          s.pause();
        }),
      );
    }
  }
  countFault('slow and half-open web UI clients');
  say(`web UI on ${port}: ${a.idle} idle/half-sent, ${a.slow} slowloris, ${sse} unread event streams for ${a.holdMs} ms`);
  await sleep(a.holdMs);
  for (const s of mine) s.destroy();
}

// ---------------------------------------------------------------- settling and the checks against /proc
async function upAll() {
  for (const stack of [MAIN, DISK]) {
    let r;
    for (let i = 0; i < 5; i++) {
      r = await corral(['up', '-f', fileOf[stack]]);
      if (r.code === 0) break;
      await sleep(2000);
    }
    if (r.code !== 0) say(`  up ${stack} exited ${r.code}: ${(r.stderr + r.stdout).trim().split('\n').slice(0, 3).join(' | ')}`);
  }
}
async function snapshot() {
  const r = await corral(['status', '--all', '--json'], { timeoutMs: 90_000 });
  if (r.code !== 0) return null;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}
const flat = (snap) => snap.flatMap((st) => st.services.map((s) => ({ stack: st.name, ...s })));
/** Waits until `want(service)` holds for every service in two snapshots in a row with the same pids. */
async function waitStates(want, what) {
  const deadline = Date.now() + SETTLE_BOUND_MS;
  let prev = null;
  let last = null;
  while (Date.now() < deadline) {
    const snap = await snapshot();
    if (snap) {
      last = flat(snap);
      const ok = last.length === 5 && last.every(want);
      const key = last.map((s) => `${s.stack}/${s.name}:${s.state}:${s.pid}`).join(' ');
      if (ok && prev === key) return last;
      prev = ok ? key : null;
    }
    await sleep(1000);
  }
  violation('did-not-settle', `not every service ${what} within ${SETTLE_BOUND_MS / 1000} s: ${last ? last.map((s) => `${s.stack}/${s.name}=${s.state}(${s.pid ?? '-'})${s.reason ? ` ${s.reason}` : ''}`).join(', ') : 'no status'}`);
  return last;
}
/** `status` agrees with /proc: a running service's pid is alive and carries its marker; a stopped one has no marked process. */
async function checkAgainstProc(services, label) {
  const procs = scan();
  for (const s of services) {
    const key = `${s.stack}/${s.name}`;
    const leaders = leadersOf(procs, s.stack, s.name);
    if (s.state === 'running') {
      const p = procs.find((x) => x.pid === s.pid);
      if (!p || !p.marker?.startsWith(markerOf(s.stack, s.name))) violation('status-disagrees', `${label}: ${key} is running with pid ${s.pid}, which ${p ? `carries ${p.marker ?? 'no marker'}` : 'is not alive'}`);
      if (leaders.length !== 1 || leaders[0].pid !== s.pid) violation('status-disagrees', `${label}: ${key} is running as ${s.pid}, but its marked group leaders are ${leaders.map((x) => x.pid).join(',') || 'none'}`);
    } else if (s.state === 'stopped') {
      let marked = markedOf(procs, s.stack, s.name);
      for (let i = 0; i < 30 && marked.length > 0; i++) {
        await sleep(200);
        marked = markedOf(scan(), s.stack, s.name);
      }
      if (marked.length > 0) violation('status-disagrees', `${label}: ${key} is stopped, but marked processes live: ${marked.map((x) => `${x.pid} (${x.marker})`).join(', ')}`);
    }
  }
}
let settles = 0;
async function settle(a) {
  settles++;
  say(`settle #${settles}: waiting for ${background.size} commands, then up`);
  await Promise.all([...background]);
  const o = ownerPid();
  if (o) kill(o, 'SIGCONT');
  for (const f of [...foreign.values()]) if (f.what.startsWith('port grabber')) await endForeign(f);
  if (tmpfs) {
    setReadOnly(false);
    // The user frees the full disk: rotated copies go, the live log is emptied.
    for (const f of readdirSync(diskDir)) if (/\.log\.\d+$/.test(f)) rmSync(join(diskDir, f), { force: true });
    try {
      truncateSync(join(diskDir, 'diskfill.log'), 0);
    } catch {}
  }
  await upAll();
  const services = await waitStates((s) => s.state === 'running' && s.pid, 'running');
  if (services) await checkAgainstProc(services, `settle #${settles}`);
  if (a?.downOne) {
    const r = await corral(['down', a.downOne, '-s', MAIN, '--json']);
    const snap = await snapshot();
    if (r.code === 1) violation('down-left-processes', `down ${a.downOne}: ${r.stderr.slice(0, 300)}`);
    if (snap) await checkAgainstProc(flat(snap).filter((s) => s.name === a.downOne), `after down ${a.downOne}`);
    say(`  down ${a.downOne}: exit ${r.code}`);
  }
  const m = faultsSummary();
  say(`settle #${settles} done; faults so far: ${m}; violations: ${violations.length}`);
}
const faultsSummary = () => [...faults.entries()].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

// ---------------------------------------------------------------- the log check
/** Every line the writer wrote is in its log files once, in order, across rotations. */
function checkWriterLog() {
  const dir = join(home, 'logs', MAIN);
  const rotated = readdirSync(dir)
    .map((f) => /^writer\.log\.(\d+)$/.exec(f))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((x, y) => y - x);
  const files = [...rotated.map((n) => join(dir, `writer.log.${n}`)), join(dir, 'writer.log')];
  const text = files.map((f) => readFileSync(f, 'latin1')).join('');
  const seen = new Map(); // instance -> last n
  const done = new Set();
  let current = null;
  let lines = 0;
  let problems = 0;
  const problem = (msg) => {
    if (problems++ < 20) violation('log-lines', msg);
  };
  for (const line of text.split('\n')) {
    const m = /^w ([0-9a-f]{12}) (\d+) /.exec(line);
    if (!m) continue;
    lines++;
    const [, id, nStr] = m;
    const n = Number(nStr);
    if (id !== current) {
      if (done.has(id)) problem(`instance ${id} reappears after another instance's lines (line ${n}): out of order`);
      if (current) done.add(current);
      current = id;
      if (!seen.has(id) && n !== 1) problem(`instance ${id} starts at line ${n}: lines 1..${n - 1} lost`);
    } else {
      const last = seen.get(id);
      if (n === last) problem(`instance ${id}: line ${n} duplicated`);
      else if (n < last) problem(`instance ${id}: line ${n} after ${last} (duplicated or out of order)`);
      else if (n > last + 1) problem(`instance ${id}: lines ${last + 1}..${n - 1} lost`);
    }
    seen.set(id, Math.max(n, seen.get(id) ?? 0));
  }
  // Every instance that wrote its first line (the witness file says so) has lines in the logs.
  const started = existsSync(witness) ? readFileSync(witness, 'utf8').split('\n').filter(Boolean) : [];
  for (const id of started) if (!seen.has(id)) problem(`instance ${id} wrote lines, none of which is in the log files`);
  if (problems > 20) violation('log-lines', `${problems - 20} more log problems not shown`);
  return { files: files.length, lines, instances: seen.size };
}

// ---------------------------------------------------------------- the run
const bystander = startForeign('bystander (same command as a service, not Corral\'s)', [SVC, '--port', String(await freePort())]);
console.log(`Corral chaos run ${runId}: seed ${SEED}, ${MINUTES} min, home ${home}, ports ${JSON.stringify(ports)}, log disk ${tmpfs ? 'tmpfs 4 MiB' : 'none'}`);
const deadline = started + MINUTES * 60_000;
let summaryLog = null;
let exitCode = 1;
try {
  await upAll();
  await settle(null);
  const o0 = ownerPid();
  rss.start = o0 ? rssKiB(o0) : null;
  void statusProbes();
  const it = schedule(SEED);
  let actions = 0;
  while (Date.now() < deadline) {
    const a = it.next().value;
    actions++;
    await sleep(a.gap);
    if (Date.now() >= deadline) break;
    switch (a.kind) {
      case 'settle':
        await settle(a);
        break;
      case 'kill-service':
        await killService(a);
        break;
      case 'kill-owner':
        await killOwner(a);
        break;
      case 'kill-owner-mid-up':
        await killOwnerMidUp(a);
        break;
      case 'stop-owner':
        await stopOwner(a);
        break;
      case 'clients':
        await clients(a);
        break;
      case 'port-grab':
        await portGrab(a);
        break;
      case 'state-file':
        await stateFile(a);
        break;
      case 'flood':
        await flood(a);
        break;
      case 'disk-full':
        await diskFull(a);
        break;
      case 'disk-readonly':
        await diskReadonly(a);
        break;
      case 'web-clients':
        await webClients(a);
        break;
    }
  }
  say(`schedule: ${actions} actions run; final settle`);
  stopProbes = true;
  await settle(null);
  const o1 = ownerPid();
  rss.end = o1 ? rssKiB(o1) : null;
  if (rss.start && rss.end && rss.end > Math.max(rss.start * 3, rss.start + 200 * 1024)) {
    violation('owner-memory', `owner RSS grew from ${rss.start} KiB to ${rss.end} KiB`);
  }

  // The final down: everything stopped, nothing with our marker left.
  for (const stack of [MAIN, DISK]) {
    const r = await corral(['down', '-s', stack]);
    if (r.code !== 0) violation('final-down', `down ${stack} exited ${r.code}: ${(r.stderr + r.stdout).slice(0, 400)}`);
  }
  const after = await snapshot();
  if (after) {
    const notStopped = flat(after).filter((s) => s.state !== 'stopped');
    if (notStopped.length > 0) violation('final-down', `after down: ${notStopped.map((s) => `${s.stack}/${s.name}=${s.state}`).join(', ')}`);
    await checkAgainstProc(flat(after), 'after the final down');
  }
  const stop = await corral(['daemon', 'stop', '--stop-services'], { timeoutMs: 90_000 });
  if (stop.code !== 0) violation('final-down', `daemon stop exited ${stop.code}: ${stop.stderr.slice(0, 300)}`);
  let left = scan().filter((p) => p.marker || !foreign.has(p.pid));
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await sleep(100);
    left = scan().filter((p) => p.marker || !foreign.has(p.pid));
  }
  if (left.length > 0) violation('left-running', left.map((p) => `${p.pid} (${p.marker ?? 'tagged'}): ${readFileSafe(`/proc/${p.pid}/cmdline`).replace(/\0/g, ' ').slice(0, 120)}`).join('; '));
  if (!isLive(bystander.pid)) violation('foreign-process-signalled', `the bystander ${bystander.pid} is gone`);
  const logs = checkWriterLog();
  say(`writer log: ${logs.lines} lines from ${logs.instances} instances in ${logs.files} files`);
  summaryLog = logs;
  exitCode = violations.length > 0 ? 1 : 0;
} catch (e) {
  violation('chaos-script', e.stack ?? String(e));
}
function readFileSafe(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

await cleanup();
const mib = (kb) => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
console.log('\n==== Corral chaos run summary ====');
console.log(`seed ${SEED}, ${MINUTES} min planned, ${((Date.now() - started) / 60000).toFixed(1)} min run, ${settles} settles, ${cliStats.runs} CLI commands`);
console.log('faults injected by kind:');
for (const [k, v] of [...faults.entries()].sort()) console.log(`  ${k.padEnd(40)} ${v}`);
console.log(`owner restarts: ${Math.max(0, owners.size - 1)} (${owners.size} owner processes; ${ownerKills.length} owner SIGKILLs injected)`);
console.log(`owner RSS: start ${mib(rss.start)}, end ${mib(rss.end)}, peak ${mib(rss.peak || null)} (${rss.samples} samples)`);
console.log(`status probes: ${probes.count} timed (slowest ${Math.round(probes.maxMs)} ms, bound ${STATUS_BOUND_MS} ms), ${probes.exempt} exempt (owner stopped, killed or starting)`);
if (summaryLog) console.log(`writer log: ${summaryLog.lines} numbered lines, ${summaryLog.instances} instances, ${summaryLog.files} files`);
for (const n of notes) console.log(`note: ${n}`);
console.log(`invariant violations: ${violations.length}`);
for (const v of violations) console.log(`  [${v.at}s] ${v.kind}: ${v.details}`);
console.log(`CHAOS_RESULT ${JSON.stringify({ seed: SEED, violations: violations.length, faults: Object.fromEntries(faults), ownerRestarts: Math.max(0, owners.size - 1), rssStartKiB: rss.start, rssEndKiB: rss.end })}`);
process.exit(violations.length > 0 ? 1 : exitCode);
