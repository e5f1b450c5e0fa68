// The figures. Each one runs every available manager on the same fixture
// services (test/fixtures/svc.mjs), several times, and returns rows:
//   { id, label, unit, better: 'lower' | 'higher' | null, values: { tool: median },
//     runs: { tool: [samples] }, notes: { tool: text }, note: text, ratio: bool }
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, openSync, readSync, closeSync, existsSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import {
  NODE,
  SVC,
  benchEnv,
  now,
  sleep,
  median,
  freePort,
  freePorts,
  waitPort,
  waitPorts,
  waitPortClosed,
  isLive,
  procStat,
  cpuSeconds,
  rssMb,
  waitUntil,
  waitGone,
  killIfSame,
  intrinsicStart,
  atEnd,
  run,
} from './util.mjs';
import { reapTagged } from './tools.mjs';

/** Runs `fn` with a fresh tool instance and always shuts it down; reports what its shutdown left (then ends it by pid). */
export async function withTool(Cls, label, opts, fn, log) {
  const t = new Cls(label, opts);
  const off = atEnd(async () => {
    await t.shutdown();
    await reapTagged(t);
  });
  try {
    return await fn(t);
  } finally {
    await t.shutdown();
    const left = await reapTagged(t);
    if (left > 0) log?.(`    note: ${t.name} left ${left} process(es) of its services after its own shutdown; ended by pid`);
    off();
  }
}

const row = (id, label, unit, extra = {}) => ({ id, label, unit, better: 'lower', values: {}, runs: {}, notes: {}, note: '', ratio: true, ...extra });
const setVal = (r, tool, samples, transform = (x) => x) => {
  r.runs[tool] = samples.map((s) => (s === null ? null : Math.round(transform(s) * 1000) / 1000));
  const m = median(samples);
  r.values[tool] = m === null ? null : transform(m);
};

/** Processes of a stack that are alive right now (pid + start time). */
const liveOf = (procs) => procs.filter((p) => isLive(p.pid, p.start));

// ---- P1 ---------------------------------------------------------------------

export async function p1({ tools, runs, log }) {
  // The service's own start time is measured right before each crash (the machine's speed drifts), and subtracted from that run.
  const ownPort = await freePort();
  const own = [];
  // The median of three: one sample of a ~120 ms Node start varies by tens of ms, as much as what is measured.
  const ownNow = async () => {
    const three = [];
    for (let k = 0; k < 3; k++) three.push(await intrinsicStart(['--port', String(ownPort)], ownPort));
    const ms = median(three);
    own.push(ms);
    return ms;
  };
  const r = row('P1', 'crash → port accepts again, minus own start', 'ms');
  const r0 = row('P1z', '  same, Corral with restart.backoff: 0', 'ms', { note: 'Corral only: the default restart backoff (500 ms) set to 0, to show what the mechanism costs beyond the policy delay.' });
  const variants = [];
  for (const [name, Cls] of tools) {
    variants.push({ name, Cls, opts: {}, target: r });
    if (name === 'corral') variants.push({ name, Cls, opts: { restart: { backoff: '0ms' } }, target: r0 });
  }
  for (const v of variants) {
    const samples = await withTool(
      v.Cls,
      'p1',
      v.opts,
      async (t) => {
        const port = await freePort();
        const stack = { name: 'p1', services: [{ name: 'web', args: ['--port', String(port)], port }] };
        const up = await t.up(stack);
        if ((await waitPort(port, 30_000)) === null) throw new Error(`${t.name}: p1 service never listened: ${up.stdout}${up.stderr}`);
        const out = [];
        for (let i = 0; i < runs; i++) {
          // Past supervisord's startsecs and PM2's min_uptime: a crash of a service that had started fine.
          await sleep(1000);
          const ownMs = await ownNow();
          await sleep(500);
          const leader = t.servicePid('p1', 'web');
          if (!leader) throw new Error(`${t.name}: p1 service has no process`);
          const t0 = now();
          process.kill(leader.pid, 'SIGKILL');
          // Its listening socket closes with it: only then can "accepts again" mean the new instance.
          // The old listener must be gone first (a killed leader can be a zombie while its threads still hold the socket).
          const tGone = await waitPortClosed(port, 10_000, 1);
          const t1 = await waitPort(port, 60_000, 2);
          out.push(t1 === null ? null : t1 - t0 - ownMs);
          if (process.env.BENCH_DEBUG) log(`    killed ${leader.pid}, gone after ${(tGone - t0).toFixed(1)} ms, accepts after ${(t1 - t0).toFixed(1)} ms; now ${JSON.stringify(t.processes('p1'))}`);
          // Reset each manager's crash counters and backoff, the same way for all: an explicit restart.
          await t.restart(stack, 'web');
          await waitPort(port, 30_000);
        }
        return out;
      },
      log,
    );
    setVal(v.target, v.name, samples);
    log(`  ${v.name}${v.opts.restart ? ' (backoff 0)' : ''}: ${samples.map((s) => (s === null ? 'timeout' : s.toFixed(0))).join(', ')} ms`);
  }
  const ownMs = median(own);
  log(`  the service's own start time (spawn → port accepts), measured before each crash: median ${ownMs.toFixed(0)} ms`);
  r.extra = { ownStartMs: ownMs, ownStartRunsMs: own.map((x) => Math.round(x)) };
  r.note = `Own start (node svc.mjs alone, until its port accepts; median of three measured right before each crash, subtracted from that run) = ${ownMs.toFixed(0)} ms median. Each manager with its default restart policy: Corral restarts at once after a first crash (backoff only for consecutive ones), PM2 (restart_delay 0) at once, supervisord after its own delay.`;
  return [r, r0];
}

// ---- P2 ---------------------------------------------------------------------

/**
 * Where Corral's cold start time goes, from the owner's own records: the owner log (lock taken,
 * control socket up), each service's start and first healthy probe (status --json), and the
 * moments the bench saw each port accept and the command return.
 */
async function corralStartBreakdown(t, e0, t0, accepts, cmdAt) {
  const epoch = (x) => e0 + (x - t0);
  const log = readFileSync(join(t.home, 'owner.log'), 'utf8').trim().split('\n');
  const at = (re) => {
    const l = log.find((x) => re.test(x));
    return l ? Date.parse(l.slice(0, 24)) : NaN;
  };
  const st = await t.status();
  const svcs = JSON.parse(st.stdout)[0].services;
  const by = Object.fromEntries(svcs.map((s) => [s.name, s]));
  const acc = accepts.map(epoch);
  const out = {
    'CLI start → owner has the lock': at(/ owner \w+ started \(pid/) - e0,
    'lock → control socket': at(/ control socket /) - at(/ owner \w+ started \(pid/),
    'socket → s1 spawned': by.s1.startedAt - at(/ control socket /),
  };
  const lag = [];
  const launch = [];
  const own = [];
  for (let k = 1; k <= 4; k++) {
    const s = by[`s${k}`];
    own.push(acc[k - 1] - s.startedAt);
    lag.push(s.health.at - acc[k - 1]);
    if (k > 1) launch.push(s.startedAt - by[`s${k - 1}`].health.at);
  }
  out['spawn → port accepts (each, median)'] = median(own);
  out['port accepts → probe sees it (each, median)'] = median(lag);
  out['dependency healthy → dependent spawned (median)'] = median(launch);
  out['s4 healthy → command returned'] = epoch(cmdAt) - by.s4.health.at;
  return out;
}

export async function p2({ tools, runs, log }) {
  // One service's own start (300 ms delay included) is measured right before each run; the critical path is 4 × that.
  const p = await freePort();
  const own = [];
  const raw = row('P2', 'cold start, 4-service chain, until all healthy', 'ms');
  const over = row('P2o', '  same, minus the critical path', 'ms');
  for (const [name, Cls] of tools) {
    const samples = [];
    const stages = [];
    const breakdown = [];
    const critical = [];
    for (let i = 0; i < runs; i++) {
      const ms = await withTool(
        Cls,
        'p2',
        {},
        async (t) => {
          const ports = await freePorts(4);
          const stack = {
            name: 'p2',
            services: ports.map((port, k) => ({ name: `s${k + 1}`, args: ['--port', String(port), '--start-delay', '300'], port, dependsOn: k > 0 ? `s${k}` : null })),
          };
          const one = await intrinsicStart(['--port', String(p), '--start-delay', '300'], p);
          own.push(one);
          critical.push(4 * one);
          await sleep(200);
          const e0 = Date.now();
          const t0 = now();
          const upDone = t.up(stack).then((res) => ({ res, at: now() }));
          const each = await Promise.all(ports.map((port) => waitPort(port, 60_000, 5)));
          const { res, at } = await upDone;
          if (each.some((x) => x === null)) throw new Error(`${name}: p2 stack never became healthy: ${res.stdout}${res.stderr}`);
          if (name === 'corral') breakdown.push(await corralStartBreakdown(t, e0, t0, each, at));
          if (process.env.BENCH_DEBUG) log(`    ${name}: command ${(at - t0).toFixed(0)} ms; ports at ${each.map((x) => (x - t0).toFixed(0)).join(', ')} ms`);
          stages.push(each.map((x, k) => x - (k === 0 ? t0 : each[k - 1])));
          return Math.max(at, ...each) - t0;
        },
        log,
      );
      samples.push(ms);
    }
    setVal(raw, name, samples);
    setVal(over, name, samples.map((x, i) => x - critical[i]));
    raw.extra ??= {};
    // Median time from the previous service accepting (or the command, for s1) to this one accepting.
    raw.extra[`${name}StageMs`] = [0, 1, 2, 3].map((k) => Math.round(median(stages.map((st) => st[k]))));
    if (breakdown.length > 0) {
      const b = Object.fromEntries(Object.keys(breakdown[0]).map((k) => [k, Math.round(median(breakdown.map((x) => x[k])))]));
      raw.extra.corralBreakdownMs = b;
      log(`  corral, where the time goes (medians): ${Object.entries(b).map(([k, v]) => `${k} ${v}`).join(', ')} ms`);
    }
    log(`  ${name}: ${samples.map((s) => s.toFixed(0)).join(', ')} ms`);
  }
  const one = median(own);
  const criticalMs = 4 * one;
  log(`  one service (300 ms delay) starts in ${one.toFixed(0)} ms alone (median); the chain's critical path is ${criticalMs.toFixed(0)} ms`);
  Object.assign(raw.extra, { oneServiceMs: one, criticalPathMs: criticalMs });
  raw.note = `Chain s1 ← s2 ← s3 ← s4, each listens 300 ms after it starts; manager not running before (fresh data dir), until the start command has returned and all four ports accept. Critical path = 4 × one service's own start, measured alone right before each run (median ${one.toFixed(0)} ms, so ${criticalMs.toFixed(0)} ms).`;
  raw.notes = {
    pm2: 'no dependency ordering: starts all four at once, so s2–s4 run before what they depend on is up',
    supervisord: 'no dependency ordering: `priority` sets the start order but does not wait for readiness; all four start at once',
  };
  over.notes = { pm2: 'below zero: order not honoured', supervisord: 'below zero: order not honoured' };
  raw.ratio = 'flag';
  over.ratio = false;
  return [raw, over];
}

// ---- P3 ---------------------------------------------------------------------

async function stopRuns(Cls, name, runs, withIgnorer, log) {
  return withTool(
    Cls,
    withIgnorer ? 'p3b' : 'p3',
    {},
    async (t) => {
      const ports = await freePorts(4);
      const stack = {
        name: 'p3',
        services: ports.map((port, k) => ({
          name: `s${k + 1}`,
          args: ['--port', String(port), ...(withIgnorer && k === 3 ? ['--ignore-term'] : [])],
          port,
          dependsOn: k > 0 ? `s${k}` : null,
          graceMs: 2000,
        })),
      };
      const out = [];
      const leftAtReturn = [];
      for (let i = 0; i < runs; i++) {
        await t.up(stack);
        if ((await waitPorts(ports, 30_000)) === null) throw new Error(`${name}: p3 stack did not start`);
        await sleep(1200);
        const procs = t.processes('p3');
        const t0 = now();
        const res = await t.stop(stack);
        const tCmd = now();
        leftAtReturn.push(liveOf(procs).length + t.processes('p3').filter((p) => !procs.some((q) => q.pid === p.pid)).length);
        await waitGone(procs, 30_000, 2);
        // Anything started meanwhile (a restart during the stop) counts too.
        const late = t.processes('p3');
        if (late.length > 0) await waitGone(late, 30_000, 5);
        const tGone = now();
        if (res.code !== 0) log(`    ${name} stop exited ${res.code}: ${(res.stdout + res.stderr).trim().slice(-300)}`);
        out.push(Math.max(tCmd, tGone) - t0);
      }
      return { out, leftAtReturn };
    },
    log,
  );
}

export async function p3({ tools, runs, log }) {
  const a = row('P3', 'stop 4 services (SIGTERM honoured), until none left', 'ms');
  const b = row('P3b', 'stop with one SIGTERM-ignorer (grace 2 s)', 'ms');
  const bo = row('P3bo', '  same, minus the 2 s grace', 'ms', { ratio: false });
  for (const [name, Cls] of tools) {
    const ra = await stopRuns(Cls, name, runs, false, log);
    setVal(a, name, ra.out);
    log(`  ${name}: ${ra.out.map((s) => s.toFixed(0)).join(', ')} ms (processes still alive when the command returned: ${ra.leftAtReturn.join(', ')})`);
    if (ra.leftAtReturn.some((n) => n > 0)) a.notes[name] = `the stop command returned while ${median(ra.leftAtReturn)} process(es) still ran (median)`;
    const rb = await stopRuns(Cls, name, Math.max(3, Math.ceil(runs / 2)), true, log);
    setVal(b, name, rb.out);
    setVal(bo, name, rb.out, (x) => x - 2000);
    log(`  ${name} (one ignores SIGTERM): ${rb.out.map((s) => s.toFixed(0)).join(', ')} ms (alive at return: ${rb.leftAtReturn.join(', ')})`);
    if (rb.leftAtReturn.some((n) => n > 0)) b.notes[name] = `the stop command returned while ${median(rb.leftAtReturn)} process(es) still ran (median)`;
  }
  a.note = 'Same chain as P2 (Corral stops dependents first, one after the other); from the stop command until it has returned and no process of the stack is left. The manager keeps running.';
  b.note = 'As P3, the last service of the chain ignores SIGTERM; every manager is set to SIGKILL after 2 s (Corral stop.grace, PM2 kill_timeout, supervisord stopwaitsecs).';
  return [a, b, bo];
}

// ---- P4 ---------------------------------------------------------------------

/** Starts `n` `sleep 600` processes (unrelated to any manager); returns a function that ends them by pid. */
async function spawnSleepers(n) {
  const kids = [];
  for (let i = 0; i < n; i++) {
    const c = spawn('sleep', ['600'], { stdio: 'ignore', env: benchEnv() });
    kids.push(c);
    if (i % 100 === 99) await sleep(0);
  }
  for (const c of kids) c.on('error', () => {});
  await sleep(200);
  const procs = kids.filter((c) => c.pid).map((c) => ({ pid: c.pid, start: procStat(c.pid)?.start }));
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    for (const p of procs) killIfSame(p.pid, p.start, 'SIGKILL');
    await waitGone(procs, 20_000, 20);
  };
  return { count: procs.length, end };
}

function ownerLogSpan(home) {
  // The owner logs "owner daemon started" when it has the lock, and "control socket …" once reconcile and sweep are done.
  let lines;
  try {
    lines = readFileSync(join(home, 'owner.log'), 'utf8').trim().split('\n');
  } catch {
    return null;
  }
  let start = null;
  let end = null;
  for (const l of lines) {
    const at = Date.parse(l.slice(0, 24));
    if (/ owner \w+ started \(pid/.test(l)) {
      start = at;
      end = null;
    } else if (/ control socket /.test(l) && start !== null) end = at;
  }
  return start !== null && end !== null ? { ms: end - start, start, end } : null;
}

/** Connects to a Unix socket once: true when accepted. */
const unixAccepts = (path) =>
  new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

export async function p4({ tools, runs, log, extraProcs = 1000 }) {
  const w = row('P4', `owner start + reconcile + sweep, ${extraProcs.toLocaleString('en')} extra processes`, 'ms');
  const w0 = row('P4z', '  same, without the extra processes', 'ms');
  const inner = row('P4i', '  Corral owner-internal reconcile + sweep (owner log)', 'ms', { ratio: false });
  const inner0 = row('P4i0', '    same, without the extra processes', 'ms', { ratio: false });
  // Each manager in turn, both conditions, the sleepers started once for all.
  const plans = [];
  for (const [name, Cls] of tools) plans.push({ name, Cls });
  const results = {};
  const sessions = [];
  try {
    for (const pl of plans) {
      if (pl.name === 'corral') {
        // withTool cannot span both conditions here; manage the instance directly.
        const t = new pl.Cls('p4');
        const off = atEnd(async () => {
          await t.shutdown();
          await reapTagged(t);
        });
        sessions.push({ t, off });
        const { DataDir } = await import('../../dist/electron/engine/state/paths.js');
        const dataId = new DataDir(t.home).id;
        const ports = await freePorts(4);
        const stack = { name: 'p4', services: ports.map((port, k) => ({ name: `s${k + 1}`, args: ['--port', String(port)], port })) };
        const up = await t.up(stack);
        if (up.code !== 0) throw new Error(`corral up (p4) failed: ${up.stdout}${up.stderr}`);
        pl.measure = async () => {
          const wall = [];
          const internal = [];
          const swept = [];
          const phases = [];
          for (let i = 0; i < runs; i++) {
            await t.stopDaemon();
            const orphan = spawn(NODE, [SVC], {
              detached: true,
              stdio: 'ignore',
              env: benchEnv({ CORRAL_INSTANCE: `${dataId}/p4/s1/orphan-${Date.now()}-${i}`, BENCH_SVC: t.tag('p4', 'orphan') }),
            });
            orphan.unref();
            await waitUntil(() => isLive(orphan.pid), 5000, 2);
            await sleep(50);
            const o = { pid: orphan.pid, start: procStat(orphan.pid)?.start };
            const e0 = Date.now();
            const r = await t.startDaemon();
            const e1 = Date.now();
            if (r.code !== 0) throw new Error(`corral daemon start failed: ${r.stdout}${r.stderr}`);
            wall.push(r.ms);
            const span = ownerLogSpan(t.home);
            internal.push(span?.ms ?? null);
            if (span) phases.push({ 'CLI start → owner has the lock': span.start - e0, 'lock → socket (reconcile + sweep)': span.ms, 'socket → CLI returned': e1 - span.end });
            swept.push(!isLive(o.pid, o.start));
            killIfSame(o.pid, o.start, 'SIGKILL');
            const alive = ['s1', 's2', 's3', 's4'].filter((s) => t.servicePid('p4', s)).length;
            if (alive < 4) log(`    warning: only ${alive} of 4 services alive after the owner restarted`);
          }
          const ph = Object.fromEntries(Object.keys(phases[0] ?? {}).map((k) => [k, Math.round(median(phases.map((x) => x[k])))]));
          return { wall, internal, swept, phases: ph };
        };
      } else if (pl.name === 'pm2') {
        const t = new pl.Cls('p4');
        sessions.push({ t, off: atEnd(() => t.shutdown()) });
        pl.measure = async () => {
          const wall = [];
          for (let i = 0; i < runs; i++) {
            const r = await t.startDaemon();
            if (r.code !== 0) throw new Error(`pm2 ping failed: ${r.stdout}${r.stderr}`);
            wall.push(r.ms);
            await t.stopDaemon();
          }
          return { wall };
        };
      } else if (pl.name === 'supervisord') {
        const t = new pl.Cls('p4');
        sessions.push({ t, off: atEnd(() => t.shutdown()) });
        t.writeConf();
        pl.measure = async () => {
          const wall = [];
          for (let i = 0; i < runs; i++) {
            const t0 = now();
            const r = await t.startDaemon();
            if (r.code !== 0) throw new Error(`supervisord failed: ${r.stdout}${r.stderr}`);
            await waitUntil(() => unixAccepts(t.sock), 20_000, 2);
            wall.push(now() - t0);
            await t.stopDaemon();
          }
          return { wall };
        };
      }
    }
    for (const pl of plans) results[pl.name] = { base: await pl.measure() };
    log(`  starting ${extraProcs} sleep processes…`);
    const sleepers = await spawnSleepers(extraProcs);
    const offS = atEnd(sleepers.end);
    try {
      log(`  ${sleepers.count} extra processes running`);
      for (const pl of plans) results[pl.name].loaded = await pl.measure();
    } finally {
      await sleepers.end();
      offS();
    }
  } finally {
    for (const s of sessions) {
      await s.t.shutdown();
      const left = await reapTagged(s.t);
      if (left > 0) log(`    note: ${s.t.name} left ${left} process(es) after its shutdown; ended by pid`);
      s.off();
    }
  }
  for (const [name, res] of Object.entries(results)) {
    setVal(w, name, res.loaded.wall);
    setVal(w0, name, res.base.wall);
    if (res.loaded.internal) {
      w.extra = { corralPhasesMs: { without: res.base.phases, with: res.loaded.phases } };
      log(`  corral phases (medians), without: ${JSON.stringify(res.base.phases)}; with: ${JSON.stringify(res.loaded.phases)}`);
      setVal(inner, name, res.loaded.internal);
      setVal(inner0, name, res.base.internal);
      const sw = [...res.base.swept, ...res.loaded.swept];
      if (sw.some((x) => !x)) w.notes[name] = `orphan not swept in ${sw.filter((x) => !x).length} of ${sw.length} runs`;
    }
    log(`  ${name}: ${res.base.wall.map((x) => x.toFixed(0)).join(', ')} ms without, ${res.loaded.wall.map((x) => x.toFixed(0)).join(', ')} ms with extra processes${res.loaded.internal ? `; owner-internal ${res.base.internal.join(', ')} / ${res.loaded.internal.join(', ')} ms` : ''}`);
  }
  w.note = `Corral: \`corral daemon start\` (CLI spawns the owner, which takes the lock, adopts the 4 running services, sweeps one planted orphan, then answers on its socket). PM2: \`pm2 ping\` starting its daemon; supervisord: \`supervisord -c\` until its socket accepts. Neither peer reconciles or sweeps: after a restart they cannot adopt what runs.`;
  w.notes.pm2 = 'daemon start only: PM2 has no reconcile or sweep';
  w.notes.supervisord = 'daemon start only: no reconcile or sweep';
  return [w, w0, inner, inner0];
}

/** Each manager runs a stack `label` of `count` listening services (recorded in `insts` for shutdown), all ports accepting. */
async function upEverywhere(tools, label, count, insts) {
  for (const [name, Cls] of tools) {
    const t = new Cls(label);
    insts.push({ name, t, off: atEnd(() => t.shutdown()) });
    const ports = await freePorts(count);
    const stack = { name: label, services: ports.map((port, k) => ({ name: `s${k + 1}`, args: ['--port', String(port)], port })) };
    const up = await t.up(stack);
    if ((await waitPorts(ports, 60_000)) === null) throw new Error(`${name}: ${label} stack did not start: ${up.stdout}${up.stderr}`);
    insts[insts.length - 1].ports = ports;
  }
}

const FLOOR = join(dirname(new URL(import.meta.url).pathname), 'floor.mjs');

/** `node bench/lib/floor.mjs probes PORT…` running (marked with the run's id), and its stop. */
function floorProbes(ports) {
  const child = spawn(NODE, [FLOOR, 'probes', ...ports.map(String)], { env: benchEnv(), stdio: 'ignore' });
  const start = procStat(child.pid)?.start;
  const end = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    killIfSame(child.pid, start, 'SIGKILL');
    await gone;
  };
  return { pid: child.pid, end };
}

// ---- P5 ---------------------------------------------------------------------

export async function p5({ tools, log, seconds = 60, windowS = 10, settleS = 35 }) {
  const cpu = row('P5', `idle manager CPU, 10 services, ${seconds} s`, 's');
  const rss = row('P5m', '  idle manager RSS', 'MB');
  const floor = row('P5n', '  floor: bare Node, the same 10 connections', 's', { ratio: false });
  const insts = [];
  let bare = null;
  try {
    await upEverywhere(tools, 'p5', 10, insts);
    // The runtime's own cost of Corral's probes: a bare Node loop connecting to Corral's ten services every 5 s.
    const corral = insts.find((i) => i.name === 'corral');
    if (corral) bare = floorProbes(corral.ports);
    // Settled first: V8's memory reducer collects what the start left 8-25 s later, a cost of the start, not of idling.
    log(`  settling ${settleS} s after the start…`);
    await sleep(settleS * 1000);
    const pids = insts.map((i) => ({ ...i, pid: i.t.daemonPid() }));
    if (bare) pids.push({ name: 'bare node', pid: bare.pid });
    for (const p of pids) if (!p.pid) throw new Error(`${p.name}: no daemon pid for P5`);
    log(`  sampling ${pids.map((p) => `${p.name} pid ${p.pid}`).join(', ')} every ${windowS} s for ${seconds} s (all at once)…`);
    const samples = pids.map(() => ({ cpu: [], rss: [] }));
    for (let k = 0; k <= seconds / windowS; k++) {
      if (k > 0) await sleep(windowS * 1000);
      pids.forEach((p, i) => {
        samples[i].cpu.push(cpuSecondsFine(p.pid));
        samples[i].rss.push(rssMb(p.pid));
      });
    }
    pids.forEach((p, i) => {
      const c = samples[i].cpu;
      const deltas = c.slice(1).map((x, j) => x - c[j]);
      const scale = seconds / windowS;
      if (p.name === 'bare node') setVal(floor, 'corral', deltas, (x) => x * scale);
      else {
        setVal(cpu, p.name, deltas, (x) => x * scale);
        setVal(rss, p.name, samples[i].rss);
      }
      cpu.extra ??= {};
      cpu.extra[p.name] = { totalCpuS: c[c.length - 1] - c[0] };
      log(`  ${p.name}: CPU ${(c[c.length - 1] - c[0]).toFixed(3)} s over ${seconds} s (windows: ${deltas.map((d) => d.toFixed(3)).join(', ')}), RSS ${samples[i].rss.map((x) => x.toFixed(0)).join('/')} MB`);
    });
  } finally {
    await bare?.end();
    for (const i of insts) {
      await i.t.shutdown();
      await reapTagged(i.t);
      i.off();
    }
  }
  floor.note = 'A bare `node` process that opens and politely closes a TCP connection to each of the ten services every 5 s, as Corral\'s probes do, sampled in the same windows: what the runtime and the kernel cost for these probes before any of Corral\'s own work.';
  cpu.note = `Owner / daemon process only (CPU time from /proc/<pid>/task/*/schedstat, in ns: utime+stime count 10 ms ticks, too coarse here), after ${settleS} s of settling, median of ${seconds / windowS} windows of ${windowS} s scaled to ${seconds} s; all managers measured at the same time. Corral runs a TCP probe on each service every 5 s; PM2 and supervisord have no health probes.`;
  cpu.notes = { pm2: 'no health probes', supervisord: 'no health probes' };
  rss.note = 'VmRSS of the owner / daemon, median of the samples.';
  return [cpu, rss, floor];
}

// ---- P6 ---------------------------------------------------------------------

function tail(path, n = 64) {
  let fd;
  try {
    fd = openSync(path, 'r');
    const size = statSync(path).size;
    const len = Math.min(n, size);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The log file and its rotated siblings (file.1, file.2…, file.1.gz is not counted). */
function withRotated(path) {
  const dir = dirname(path);
  const base = basename(path);
  try {
    return readdirSync(dir)
      .filter((f) => f === base || (f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1))))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function countLines(files) {
  let n = 0;
  for (const f of files) {
    const text = readFileSync(f, 'latin1');
    const re = /^line \d+$/gm;
    while (re.exec(text) !== null) n++;
  }
  return n;
}

function logFilesOf(t, stack, svc) {
  if (t.name === 'corral') return [join(t.home, 'logs', stack, `${svc}.log`)];
  return t.logFiles(stack, svc);
}

export async function p6({ tools, runs, log, lines = 1_000_000 }) {
  const kept = row('P6', `log lines kept of ${lines.toLocaleString('en')} written`, 'lines', { better: 'higher' });
  const cpu = row('P6c', '  manager CPU while logging them', 's');
  for (const [name, Cls] of tools) {
    const res = await withTool(
      Cls,
      'p6',
      {},
      async (t) => {
        const r = await t.startDaemon();
        if (t.name === 'supervisord') await t.waitAnswering();
        else if (r.code !== 0) throw new Error(`${name}: daemon start failed: ${r.stdout}${r.stderr}`);
        const out = { kept: [], cpu: [], wall: [] };
        for (let i = 0; i < runs; i++) {
          const stackName = `chatty${i + 1}`;
          const stack = { name: stackName, services: [{ name: 'chatty', args: ['--lines', String(lines)] }] };
          const pid = t.daemonPid();
          const c0 = cpuSeconds(pid);
          const t0 = now();
          const up = await t.up(stack);
          if (up.code !== 0 && t.name !== 'supervisord') log(`    ${name} up exited ${up.code}: ${(up.stdout + up.stderr).trim().slice(-300)}`);
          const files = logFilesOf(t, stackName, 'chatty');
          const done = await waitUntil(() => files.some((f) => tail(f).includes('chatty done')), 180_000, 20);
          // Then until the files stop growing (a manager may still be copying).
          let last = -1;
          await waitUntil(() => {
            const size = files.flatMap(withRotated).reduce((s, f) => s + (existsSync(f) ? statSync(f).size : 0), 0);
            const same = size === last;
            last = size;
            return same;
          }, 30_000, 250);
          const t1 = now();
          const c1 = cpuSeconds(pid);
          const n = countLines(files.flatMap(withRotated));
          out.kept.push(n);
          out.cpu.push(c1 - c0);
          out.wall.push((t1 - t0) / 1000 - 0.25);
          if (!done) log(`    ${name}: "chatty done" never reached the log`);
          await t.stop(stack);
        }
        return out;
      },
      log,
    );
    setVal(kept, name, res.kept);
    setVal(cpu, name, res.cpu);
    kept.extra ??= {};
    kept.extra[`${name}SecondsUntilLogComplete`] = res.wall.map((x) => Math.round(x * 100) / 100);
    log(`  ${name}: kept ${res.kept.join(', ')} lines; manager CPU ${res.cpu.map((x) => x.toFixed(2)).join(', ')} s; ${res.wall.map((x) => x.toFixed(1)).join(', ')} s`);
  }
  kept.note = 'A service writes numbered lines as fast as it can (respecting back-pressure), then "chatty done"; lines counted in its log file(s) once the file stops growing.';
  cpu.note = 'utime+stime of the owner / daemon from the start command until the log is complete. Corral services write straight to their file (no pipe through the owner); PM2 and supervisord read every line through a pipe and write it themselves.';
  return [kept, cpu];
}

// ---- P8 ---------------------------------------------------------------------

export async function p8({ tools, runs, log }) {
  const r = row('P8', 'status round trip (CLI, 4 running services)', 'ms');
  const o = row('P8o', '  same, minus `node -e 0`', 'ms', { ratio: false });
  const n = Math.max(runs * 2, 10);
  const insts = [];
  try {
    await upEverywhere(tools, 'p8', 4, insts);
    await sleep(1500);
    const times = Object.fromEntries([['node', []], ...insts.map((i) => [i.name, []])]);
    for (let k = 0; k < n; k++) {
      times.node.push((await run(NODE, ['-e', '0'], { env: benchEnv() })).ms);
      for (const i of insts) {
        const res = await i.t.status();
        if (res.code !== 0 && !(i.name === 'supervisord' && res.code === 3)) log(`    ${i.name} status exited ${res.code}`);
        times[i.name].push(res.ms);
      }
    }
    const base = median(times.node);
    for (const i of insts) {
      setVal(r, i.name, times[i.name]);
      setVal(o, i.name, times[i.name], (x) => x - base);
    }
    r.extra = { nodeDashE0Ms: base };
    r.note = `Wall time of \`corral status --json\`, \`pm2 jlist\`, \`supervisorctl status\` (median of ${n}); a bare \`node -e 0\` takes ${base.toFixed(0)} ms here.`;
    log(`  node -e 0: ${base.toFixed(0)} ms; ${insts.map((i) => `${i.name} ${median(times[i.name]).toFixed(0)} ms`).join(', ')}`);
  } finally {
    for (const i of insts) {
      await i.t.shutdown();
      await reapTagged(i.t);
      i.off();
    }
  }
  return [r, o];
}

// ---- fault scenarios ----------------------------------------------------------
// Counts, not times: the managers run these side by side (each on its own ports and data directory).

async function f1Orphans(Cls, name, n, log) {
  // The service starts a grandchild in a new session (setsid) that holds a second port.
  return withTool(
    Cls,
    'f1',
    {},
    async (t) => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const [p, q] = await freePorts(2);
        const stack = { name: `esc${i + 1}`, services: [{ name: 'esc', args: ['--port', String(p), '--escape-port', String(q)], port: p }] };
        await t.up(stack);
        if ((await waitPorts([p, q], 30_000)) === null) throw new Error(`${name}: escaper did not start`);
        await sleep(1200);
        await t.stop(stack);
        await sleep(1000);
        const left = t.processes(stack.name);
        out.push(left.length);
        for (const x of left) killIfSame(x.pid, x.start, 'SIGKILL');
        await waitGone(left, 5000, 10);
      }
      return out;
    },
    log,
  );
}

async function f2Duplicates(Cls, name, log) {
  // Two quiet workers and a server; the manager process is SIGKILLed, then the stack is started again as a user would.
  return withTool(
    Cls,
    'f2',
    {},
    async (t) => {
      const p = await freePort();
      const stack = {
        name: 'dup',
        services: [
          { name: 'w1', args: [] },
          { name: 'w2', args: [] },
          { name: 'web', args: ['--port', String(p)], port: p },
        ],
      };
      await t.up(stack);
      if ((await waitPort(p, 30_000)) === null) throw new Error(`${name}: f2 stack did not start`);
      await sleep(1500);
      const before = stack.services.map((s) => t.servicePid('dup', s.name)).filter(Boolean);
      const pid = t.daemonPid();
      const st = procStat(pid);
      killIfSame(pid, st?.start, 'SIGKILL');
      await waitUntil(() => !isLive(pid, st?.start), 5000, 5);
      await sleep(1000);
      const died = before.filter((x) => !isLive(x.pid, x.start)).length;
      await t.up(stack);
      await sleep(3000);
      let extra = 0;
      for (const s of stack.services) {
        const procs = t.processes('dup', s.name);
        const pids = new Set(procs.map((x) => x.pid));
        extra += Math.max(0, procs.filter((x) => !pids.has(x.ppid)).length - 1);
      }
      return { extra, died };
    },
    log,
  );
}

async function f3Storm(Cls, name, stormSeconds, log) {
  // A foreign process holds the service's port; every start attempt is counted by a wrapper.
  const p = await freePort();
  const holder = spawn(NODE, ['-e', `require('net').createServer().listen(${p}, '127.0.0.1')`], { stdio: 'ignore', env: benchEnv() });
  const off = atEnd(() => holder.kill('SIGKILL'));
  try {
    if ((await waitPort(p, 10_000)) === null) throw new Error('the foreign port holder did not listen');
    return await withTool(
      Cls,
      'f3',
      {},
      async (t) => {
        const counter = join(t.dir, 'spawns');
        const stack = { name: 'storm', services: [{ name: 'web', command: ['/bin/sh', '-c', `echo x >> ${counter}; exec ${NODE} ${SVC} --port ${p}`], port: p }] };
        const t0 = now();
        await t.up(stack);
        await sleep(Math.max(0, stormSeconds * 1000 - (now() - t0)));
        const count = existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0;
        await t.stop(stack);
        return count;
      },
      log,
    );
  } finally {
    const gone = new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r() : holder.once('exit', r)));
    holder.kill('SIGKILL');
    await gone;
    off();
  }
}

export async function faults({ tools, runs, log, stormSeconds = 10 }) {
  const orphans = row('F1', 'orphans after stop (setsid grandchild)', 'count');
  const died = row('F2a', 'services killed by a manager SIGKILL (of 3)', 'count');
  const dups = row('F2', 'duplicates after manager SIGKILL + start again', 'count');
  const storm = row('F3', `spawns into a foreign-held port in ${stormSeconds} s`, 'count');
  for (const r of [orphans, died, dups, storm]) r.ratio = false;
  const n = Math.max(1, Math.min(runs, 3));
  await Promise.all(
    tools.map(async ([name, Cls]) => {
      const o = await f1Orphans(Cls, name, n, log);
      const d = [];
      for (let i = 0; i < n; i++) d.push(await f2Duplicates(Cls, name, log));
      const s = [];
      for (let i = 0; i < Math.max(1, Math.min(n, 2)); i++) s.push(await f3Storm(Cls, name, stormSeconds, log));
      setVal(orphans, name, o);
      setVal(died, name, d.map((x) => x.died));
      setVal(dups, name, d.map((x) => x.extra));
      setVal(storm, name, s);
      log(`  ${name}: orphans ${o.join(', ')}; killed with the manager ${d.map((x) => x.died).join(', ')}; duplicates ${d.map((x) => x.extra).join(', ')}; spawns into a held port ${s.join(', ')}`);
    }),
  );
  orphans.note = 'svc.mjs --escape-port: the service starts a grandchild with setsid (new session) holding a second port. Processes of the service alive 1 s after the stop command returned. supervisord is set to stopasgroup/killasgroup (not its default).';
  died.note = 'Two quiet workers and a server run; the manager process (Corral owner, PM2 God daemon, supervisord) is SIGKILLed; services of the stack dead 1 s later.';
  dups.note = 'Then the stack is started again the usual way (`corral up`, `pm2 start <ecosystem>`, `supervisord -c`): extra instances alive 3 s later.';
  storm.note = `A foreign process listens on the service's port; each start attempt is counted (a wrapper appends to a file, then execs the service). Window ${stormSeconds} s from the start command. The managers run these scenarios at the same time.`;
  return [orphans, died, dups, storm];
}

// ---- G: growth ------------------------------------------------------------------

/**
 * CPU time of a process in seconds, to the nanosecond: the sum over its threads of
 * /proc/<pid>/task/<tid>/schedstat (the first field is time on a CPU, in ns). utime +
 * stime count in 10 ms ticks, too coarse for an idle owner (0.02 % of a core over 30 s
 * is 6 ms). Threads that exited during the window are not counted (an idle owner keeps its threads).
 */
export function cpuSecondsFine(pid) {
  let total = 0;
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tids) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {}
  }
  return total / 1e9;
}

const SLEEP_SECONDS = '1000000';

/**
 * N independent `sleep` services without health checks, for each N: up (until the command
 * has returned and all N run), status, the CPU a manager spends settling after them, idle CPU
 * and RSS once settled, down (until the command has returned and none is left). For each N
 * the managers start one after the other, settle and idle at the same time, then stop one
 * after the other. Corral's `up` waits until each service has stayed up for `ready_after`
 * (1 s by default), which the peers do not wait for: a second Corral with `ready_after: 0`
 * starts the same services first (alone, then stopped) to compare like with like.
 */
export async function growth({ tools, log, sizes = [10, 50, 100, 200], seconds = 60, settleS = 35, statusRuns = 5 }) {
  const rows = [];
  const figure = (n, key, label, unit) => row(`G${n}${key}`, `${label}`, unit);
  const corralTool = tools.find(([name]) => name === 'corral')?.[1];
  for (const n of sizes) {
    const up = figure(n, 'u', `${n} services: up, until all run`, 'ms');
    const up0 = figure(n, 'r', '  up with ready_after: 0', 'ms');
    const floorUp = figure(n, 'b', '  floor: bare Node spawning them', 'ms');
    floorUp.ratio = false;
    const st = figure(n, 's', '  status round trip', 'ms');
    const settle = figure(n, 'k', `  CPU settling in the ${settleS} s after`, 'ms');
    const cpu = figure(n, 'c', '  idle manager CPU (% of a core)', '%');
    const rss = figure(n, 'm', '  idle manager RSS', 'MB');
    const down = figure(n, 'd', '  down, until none left', 'ms');
    const stackOf = (name) => ({ name, services: Array.from({ length: n }, (_, k) => ({ name: `s${k + 1}`, command: ['sleep', SLEEP_SECONDS], graceMs: 2000 })) });
    {
      // What spawning N processes costs a Node process on this machine: the floor under any Node manager's `up`.
      const r = await run(NODE, [FLOOR, 'spawn', String(n), SLEEP_SECONDS], { timeoutMs: 120_000 });
      const ms = r.code === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()).ms : null;
      if (ms !== null) setVal(floorUp, 'corral', [ms]);
      log(`  N=${n} bare Node spawning ${n} sleep processes: ${ms === null ? `failed: ${r.stderr.trim()}` : `${ms.toFixed(0)} ms`}`);
      floorUp.note = 'A bare `node` process spawning the same N `sleep` processes (own session, output discarded) one after the other, until the last has started: the runtime\'s and the kernel\'s cost of N process starts on this machine, under any Node process manager.';
    }
    if (corralTool) {
      // Alone, cold (its own data directory, no owner yet), then stopped before the others start.
      const t = new corralTool(`g${n}r`, { readyAfter: '0s' });
      const off = atEnd(async () => {
        await t.shutdown();
        await reapTagged(t);
      });
      try {
        const stack = stackOf(`g${n}r`);
        const t0 = now();
        const res = await t.up(stack);
        const tCmd = now();
        const all = await waitUntil(() => t.processes(stack.name).length >= n, 120_000, 20);
        const tAll = now();
        if (!all) throw new Error(`corral (ready_after: 0): ${n} services never all ran: ${res.stdout}${res.stderr}`);
        setVal(up0, 'corral', [Math.max(tCmd, tAll) - t0]);
        log(`  N=${n} corral with ready_after: 0: up ${(Math.max(tCmd, tAll) - t0).toFixed(0)} ms (command returned after ${(tCmd - t0).toFixed(0)} ms)`);
      } finally {
        await t.shutdown();
        await reapTagged(t);
        off();
      }
    }
    const insts = [];
    try {
      for (const [name, Cls] of tools) {
        const t = new Cls(`g${n}`);
        const inst = { name, t, off: atEnd(async () => {
          await t.shutdown();
          await reapTagged(t);
        }) };
        insts.push(inst);
        const stack = stackOf(`g${n}`);
        inst.stack = stack;
        const t0 = now();
        const res = await t.up(stack);
        const tCmd = now();
        const all = await waitUntil(() => t.processes(stack.name).length >= n, 120_000, 20);
        const tAll = now();
        if (!all) throw new Error(`${name}: ${n} services never all ran: ${res.stdout}${res.stderr}`);
        setVal(up, name, [Math.max(tCmd, tAll) - t0]);
        if (name === 'supervisord') await t.waitAnswering();
        const times = [];
        for (let k = 0; k < statusRuns; k++) times.push((await t.status()).ms);
        setVal(st, name, times);
        inst.pid = t.daemonPid();
        if (!inst.pid) throw new Error(`${name}: no daemon pid for G${n}`);
        log(`  N=${n} ${name}: up ${(Math.max(tCmd, tAll) - t0).toFixed(0)} ms (command returned after ${(tCmd - t0).toFixed(0)} ms), status ${median(times).toFixed(0)} ms`);
      }
      // Settling: what a manager does once after a burst of work (V8's memory reducer
      // collects the heap the start left; Corral records each new service's processes three
      // times, 10 s apart). Counted apart from the idle window that follows.
      const s0 = insts.map((i) => cpuSecondsFine(i.pid));
      await sleep(settleS * 1000);
      const s1 = insts.map((i) => cpuSecondsFine(i.pid));
      insts.forEach((i, k) => setVal(settle, i.name, [(s1[k] - s0[k]) * 1000]));
      const load = loadavg()[0];
      const c0 = insts.map((i) => cpuSecondsFine(i.pid));
      const w0 = now();
      await sleep(seconds * 1000);
      const c1 = insts.map((i) => cpuSecondsFine(i.pid));
      const wall = (now() - w0) / 1000;
      insts.forEach((i, k) => {
        setVal(cpu, i.name, [((c1[k] - c0[k]) / wall) * 100]);
        setVal(rss, i.name, [rssMb(i.pid)]);
      });
      cpu.extra = { loadAverage1m: Math.round(load * 100) / 100 };
      log(`  N=${n} settling ${settleS} s: ${insts.map((i, k) => `${i.name} ${((s1[k] - s0[k]) * 1000).toFixed(0)} ms`).join(', ')}`);
      log(`  N=${n} idle over ${seconds} s (load ${load.toFixed(2)}): ${insts.map((i, k) => `${i.name} ${(((c1[k] - c0[k]) / wall) * 100).toFixed(3)} % / ${rssMb(i.pid)?.toFixed(0)} MB`).join(', ')}`);
      for (const i of insts) {
        const procs = i.t.processes(i.stack.name);
        const t0 = now();
        const res = await i.t.stop(i.stack);
        const tCmd = now();
        await waitGone(procs, 60_000, 5);
        const tGone = now();
        if (res.code !== 0 && !(i.name === 'supervisord' && res.code === 3)) log(`    ${i.name} down exited ${res.code}: ${(res.stdout + res.stderr).trim().slice(-300)}`);
        setVal(down, i.name, [Math.max(tCmd, tGone) - t0]);
        log(`  N=${n} ${i.name}: down ${(Math.max(tCmd, tGone) - t0).toFixed(0)} ms (command returned after ${(tCmd - t0).toFixed(0)} ms)`);
      }
    } finally {
      for (const i of insts) {
        await i.t.shutdown();
        const left = await reapTagged(i.t);
        if (left > 0) log(`    note: ${i.name} left ${left} process(es) after its shutdown; ended by pid`);
        i.off();
      }
    }
    rows.push(up, up0, floorUp, st, settle, cpu, rss, down);
  }
  const first = rows[0];
  if (first) {
    first.note = `N independent \`sleep ${SLEEP_SECONDS}\` services, no health checks, one run per N. Up: from the start command until it has returned and all N processes run (supervisord's \`supervisord -c\` returns before its programs start); Corral's \`up\` also waits until each service has stayed up for \`ready_after\` (1 s by default): the "ready_after: 0" row is a second Corral, started alone and cold before the others, that does not. Status: \`corral status --json\`, \`pm2 jlist\`, \`supervisorctl status\`, median of ${statusRuns}. Settling: CPU time of the owner / daemon in the ${settleS} s after the status calls (once after a burst of work). Idle CPU: the ${seconds} s after that, all managers at the same time (CPU time from /proc/<pid>/task/*/schedstat, in ns). Down: from the stop command until it has returned and no process of the stack is left.`;
  }
  return rows;
}
