#!/usr/bin/env node
// Corral benchmarks, side by side with PM2 and supervisord, on the same
// fixture services and in the same run. `npm run bench` (builds first).
//
//   node bench/run.mjs [--only P1,P3,F] [--runs N] [--skip pm2,supervisord]
//                      [--p5-seconds S] [--p6-lines N] [--p4-procs N] [--no-write]
//                      [--g-sizes 10,50,100,200] [--g-seconds S] [--g-settle S]
//
// Prints a table (median of several runs; Corral / peer ratio, below 1 means
// Corral is faster or smaller) and writes bench/results/latest.json. Not a
// test: nothing passes or fails. Every process it starts is ended by pid, and
// every data directory it creates is removed; survivors are printed.
import { writeFileSync, renameSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem, release, hostname, homedir, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ROOT, RUN_ID, now, round, runCleanups, endSurvivors, removeTemp, benchEnv, run, taggedProcesses, cmdline } from './lib/util.mjs';
import { TOOLS } from './lib/tools.mjs';
import { p1, p2, p3, p4, p5, p6, p8, faults, growth } from './lib/figures.mjs';

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '5' },
    skip: { type: 'string', default: '' },
    'p5-seconds': { type: 'string', default: '60' },
    'p6-lines': { type: 'string', default: '1000000' },
    'p4-procs': { type: 'string', default: '1000' },
    'g-sizes': { type: 'string', default: '10,50,100,200' },
    'g-seconds': { type: 'string', default: '60' },
    'g-settle': { type: 'string', default: '35' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
  console.log(head.slice(0, head.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

const runs = Math.max(1, Number(opts.runs));
const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim().toUpperCase())) : null;
const skip = new Set(opts.skip.split(',').filter(Boolean));
const gSizes = opts['g-sizes'].split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
const log = (s) => console.log(s);
const t0 = now();
let finishing = false;

// ---- machine and versions ----------------------------------------------------

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const pm2Version = (() => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
})();
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  os: `${process.platform} ${release()}`,
  distro: (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
    } catch {
      return null;
    }
  })(),
  node: process.version,
  corral: `${pkg.version} (${sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) ?? '?'}${sh('git', ['-C', ROOT, 'status', '--porcelain']) ? ', uncommitted changes' : ''})`,
  pm2: pm2Version,
  supervisord: sh('supervisord', ['--version']),
  host: hostname(),
};

// ---- which managers ------------------------------------------------------------

// The managers' default data directories must stay untouched: every instance here has a private one.
const defaultHomes = [join(homedir(), '.pm2'), join(homedir(), '.local', 'state', 'corral')];
const preexisting = new Set(defaultHomes.filter((d) => existsSync(d)));

// supervisord comes from the OS: a fresh machine gets it here, so all three managers are measured (one line says so).
if (!skip.has('supervisord') && TOOLS.supervisord.available()) {
  const asRoot = process.getuid?.() === 0;
  const [cmd, args] = asRoot ? ['apt-get', ['install', '-y', '-q', 'supervisor']] : ['sudo', ['-n', 'apt-get', 'install', '-y', '-q', 'supervisor']];
  console.log(`supervisord is missing: running \`${[cmd, ...args].join(' ')}\`…`);
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 });
    // The package starts its system service; the bench uses its own private instances only.
    console.log(TOOLS.supervisord.available() ? 'supervisor installed, but supervisord is still not on PATH' : 'supervisor installed');
  } catch (e) {
    console.log(`could not install supervisor (${String(e.stderr ?? e.message).trim().split('\n').pop()}); supervisord is skipped`);
  }
}

const tools = [];
const skipped = {};
for (const [name, Cls] of Object.entries(TOOLS)) {
  if (skip.has(name)) {
    skipped[name] = 'skipped (--skip)';
    continue;
  }
  const why = Cls.available();
  if (why) skipped[name] = why;
  else tools.push([name, Cls]);
}

console.log(`Corral benchmarks (run ${RUN_ID})`);
console.log(`Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.distro ?? machine.os}, Node ${machine.node}`);
console.log(`Managers: Corral ${machine.corral}; PM2 ${machine.pm2 ?? '-'}; supervisord ${machine.supervisord ?? '-'}`);
for (const [name, why] of Object.entries(skipped)) console.log(`SKIPPED ${name}: ${why}`);
if (!tools.some(([n]) => n === 'corral')) {
  console.error('Corral itself is not available; nothing to compare. Run `npm run build` first.');
  process.exit(2);
}
const loadAtStart = loadavg().map((x) => round(x, 2));
console.log(`Load average at start: ${loadAtStart.join(', ')}${loadAtStart[0] > machine.cores / 2 ? ' (a busy machine: figures will be noisy)' : ''}`);
console.log(`Each figure is the median of ${runs} runs unless its note says otherwise.\n`);

// ---- P7, P9: the window in Chromium, each a script of its own that writes its medians to a JSON file ----

/**
 * Runs bench/<script> (it builds the renderer, drives Chromium) and reads the JSON it wrote in
 * this run: `{ res }`, or `{ skipped }` (one row saying why) when it is missing, Chromium is not
 * installed, or it failed.
 */
async function browserScript({ id, label, script, json, timeoutMs }) {
  const file = join(ROOT, 'bench', script);
  const skippedRow = (why) => {
    log(`  SKIPPED ${id} (${label}): ${why}`);
    return { skipped: [{ id, label, unit: '', skipped: why, values: {}, runs: {}, notes: {}, ratio: false }] };
  };
  if (!existsSync(file)) return skippedRow(`bench/${script} does not exist yet`);
  if (!existsSync(process.env.CORRAL_CHROMIUM ?? '/usr/bin/chromium')) return skippedRow('chromium is not installed (apt-get install chromium)');
  const out = join(ROOT, 'bench', 'results', json);
  const started = Date.now();
  const r = await run(process.execPath, [file, '--runs', String(Math.max(1, Math.min(runs, 3)))], { env: benchEnv(), timeoutMs });
  let res = null;
  try {
    res = JSON.parse(readFileSync(out, 'utf8'));
  } catch {}
  if (r.code !== 0 || !res || Date.parse(res.date) < started - 1000) {
    return skippedRow(`bench/${script} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  }
  return { res };
}

// ---- P7: the log viewer (bench/log-viewer.mjs) -------------------------------------------

const P7_LABELS = {
  firstLinesMs: ['first lines on screen', 'ms', 'lower'],
  allLinesMs: ['all lines loaded', 'ms', 'lower'],
  searchFirstMs: ['search: first match shown', 'ms', 'lower'],
  searchDoneMs: ['search: whole log scanned', 'ms', 'lower'],
  searchLongestFrameMs: ['search: longest frame', 'ms', 'lower'],
  scrollFps: ['scrolling (steady)', 'fps', 'higher'],
  scrollP95Ms: ['scrolling (steady): p95 frame', 'ms', 'lower'],
  jumpFps: ['scrolling (random jumps)', 'fps', 'higher'],
  jumpP95Ms: ['scrolling (random jumps): p95 frame', 'ms', 'lower'],
};

async function p7() {
  const { res, skipped } = await browserScript({ id: 'P7', label: 'log viewer, 1,000,000 lines (Chromium)', script: 'log-viewer.mjs', json: 'log-viewer-fake.json', timeoutMs: 600_000 });
  if (skipped) return skipped;
  return Object.entries(res.median ?? {}).map(([k, v], i) => {
    const [label, unit, better] = P7_LABELS[k] ?? [k, /Fps$/.test(k) ? 'fps' : /Ms$/.test(k) ? 'ms' : '', null];
    return {
      id: `P7${String.fromCharCode(97 + i)}`,
      label: `${i === 0 ? 'log viewer, ' : '  '}${label}`,
      unit,
      better,
      values: { corral: v },
      runs: { corral: (res.all ?? []).map((x) => x[k]) },
      notes: {},
      note: i === 0 ? `Corral only (no peer has a log viewer): ${res.lines?.toLocaleString('en')} lines in headless Chromium ${res.machine?.chromium ?? ''}, median of ${res.runs} runs; see bench/log-viewer.mjs.` : '',
      ratio: false,
    };
  });
}

// ---- P9: the status view with 200 services (bench/status-view.mjs) ----

// The headline figures of each width (the JSON has the rest: script / layout split, scroll's longest frame, …).
const P9_LABELS = {
  allShownMs: ['all services on screen', 'ms', 'lower'],
  updatesFps: ['all change state: fps', 'fps', 'higher'],
  updatesP95Ms: ['all change state: p95 frame', 'ms', 'lower'],
  updatesLongTasks: ['all change state: long tasks', 'count', 'lower'],
  scrollP95Ms: ['scrolling: p95 frame', 'ms', 'lower'],
  resizeP95Ms: ['resizing across the breakpoint: p95 frame', 'ms', 'lower'],
  idleBusyMs: ['idle 10 s: main thread', 'ms', 'lower'],
};

async function p9() {
  const { res, skipped } = await browserScript({ id: 'P9', label: 'status view, 200 services (Chromium)', script: 'status-view.mjs', json: 'status-view.json', timeoutMs: 900_000 });
  if (skipped) return skipped;
  const rows = [];
  // The widths in the script's order (an object's numeric keys would come sorted).
  const widths = (res.widths ?? Object.keys(res.all ?? {})).map(String);
  for (const width of widths) {
    for (const [k, [label, unit, better]] of Object.entries(P9_LABELS)) {
      const i = rows.length;
      rows.push({
        id: `P9${String.fromCharCode(97 + i)}`,
        label: `${i === 0 ? `status view, ${res.services} services, ` : '  '}${width} px: ${label}`,
        unit,
        better,
        values: { corral: res.median?.[`${k}@${width}`] ?? null },
        runs: { corral: res.all[width].map((x) => x[k]) },
        notes: {},
        note:
          i === 0
            ? `Corral only: ${res.services} services in headless Chromium ${res.machine?.chromium ?? ''} at ${widths.join(' and ')} px, median of ${res.runs} runs (load ${res.loadAverage?.start?.[0]} → ${res.loadAverage?.end?.[0]}); 60 fps is a p95 frame of 16.7 ms and no long task; see bench/status-view.mjs.`
            : '',
        ratio: false,
      });
    }
  }
  return rows;
}

// ---- run ----------------------------------------------------------------------------

const plan = [
  ['P1', 'P1 crash → port accepts again', () => p1({ tools, runs, log })],
  ['P2', 'P2 cold start of a 4-service dependency chain', () => p2({ tools, runs, log })],
  ['P3', 'P3 stop of a running stack', () => p3({ tools, runs, log })],
  ['P4', 'P4 owner start with reconcile and sweep among many processes', () => p4({ tools, runs, log, extraProcs: Number(opts['p4-procs']) })],
  ['P5', 'P5 idle manager', () => p5({ tools, log, seconds: Number(opts['p5-seconds']) })],
  ['P6', 'P6 a service writing lines as fast as it can', () => p6({ tools, runs: Math.max(1, Math.min(runs, 3)), log, lines: Number(opts['p6-lines']) })],
  ['P7', 'P7 log viewer (Chromium)', () => p7()],
  ['P8', 'P8 status round trip', () => p8({ tools, runs, log })],
  ['P9', 'P9 status view with 200 services (Chromium)', () => p9()],
  ['F', 'Fault scenarios', () => faults({ tools, runs, log })],
  ['G', 'G growth: N independent services without health checks', () => growth({ tools, log, sizes: gSizes, seconds: Number(opts['g-seconds']), settleS: Number(opts['g-settle']) })],
];

const names = tools.map(([n]) => n);
const peers = names.filter((n) => n !== 'corral');
const rows = [];
const errors = [];
let interrupted = false;
const onSignal = async (sig) => {
  if (interrupted) return;
  interrupted = true;
  console.error(`\n[bench] ${sig}: cleaning up…`);
  await finish(130);
};
const lastResort = (e) => {
  console.error(`[bench] cleanup failed: ${e?.stack ?? e}`);
  process.exit(1);
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => onSignal(sig).catch(lastResort));
process.on('uncaughtException', (e) => {
  console.error(`[bench] unexpected error: ${e?.stack ?? e}`);
  finish(1).catch(lastResort);
});
process.on('unhandledRejection', (e) => {
  console.error(`[bench] unexpected rejection: ${e?.stack ?? e}`);
  finish(1).catch(lastResort);
});

// Processes of an earlier bench run that was killed before it could clean up (they carry its marker): named, not touched
// (another bench may be running right now).
{
  const old = taggedProcesses('BENCH_RUN', '').filter((p) => p.value !== RUN_ID);
  if (old.length > 0) {
    console.log(`NOTE: ${old.length} process(es) of other bench runs are alive (another bench running, or one killed before its cleanup):`);
    for (const p of old.slice(0, 20)) console.log(`  pid ${p.pid} (run ${p.value}): ${cmdline(p.pid)}`);
  }
}

for (const [id, title, fn] of plan) {
  if (only && !only.has(id)) continue;
  if (interrupted) break;
  log(`${title}`);
  const s = now();
  try {
    rows.push(...(await fn()));
  } catch (e) {
    errors.push({ id, error: String(e?.stack ?? e) });
    log(`  ERROR in ${id}: ${e?.stack ?? e}`);
    rows.push({ id, label: title, unit: '', error: String(e?.message ?? e).split('\n')[0], values: {}, runs: {}, notes: {}, ratio: false });
  }
  log(`  (${((now() - s) / 1000).toFixed(0)} s)\n`);
}

// ---- table ------------------------------------------------------------------------------

const fmt = (v, unit) => {
  if (v === null || v === undefined) return '–';
  if (unit === 'lines' || unit === 'count') return Math.round(v).toLocaleString('en');
  if (unit === 's') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  if (unit === 'MB') return v.toFixed(0);
  if (unit === '%') return v.toFixed(2);
  return Math.abs(v) < 10 ? v.toFixed(1) : v.toFixed(0);
};
function ratioOf(r, peer) {
  if (r.ratio === false) return '';
  const a = r.values.corral;
  const b = r.values[peer];
  if (a === null || a === undefined || b === null || b === undefined || b <= 0 || a < 0) return '';
  const x = a / b;
  return `${x < 10 ? x.toFixed(2) : x.toFixed(0)}${r.ratio === 'flag' ? '*' : ''}`;
}

function table() {
  const head = ['Figure', 'unit', ...names.map((n) => (n === 'corral' ? 'Corral' : n === 'pm2' ? 'PM2' : n)), ...peers.map((p) => `Corral/${p === 'pm2' ? 'PM2' : p}`)];
  const body = rows.map((r) => [
    `${r.id} ${r.label}`,
    r.unit,
    ...names.map((n) => (r.error ? (n === 'corral' ? 'error' : '') : r.skipped ? (n === 'corral' ? 'skipped' : '') : fmt(r.values[n], r.unit))),
    ...peers.map((p) => ratioOf(r, p)),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (i < 2 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ')} |`;
  return [line(head), `|${w.map((x, i) => (i < 2 ? ':' + '-'.repeat(x + 1) : '-'.repeat(x + 1) + ':')).join('|')}|`, ...body.map(line)].join('\n');
}

/**
 * The G rows as the growth table: one line per N, up / status / settling CPU / idle CPU / RSS /
 * down per manager, then Corral / peer. Corral's up shows, in brackets, its `ready_after: 0` run,
 * which is what the up ratio compares (the peers do not wait for a service to stay up).
 */
function growthTable() {
  const sizes = [...new Set(rows.map((r) => /^G(\d+)[usckmdr]$/.exec(r.id)?.[1]).filter(Boolean))];
  if (sizes.length === 0) return null;
  const keys = ['u', 's', 'k', 'c', 'm', 'd'];
  const valueOf = (n, k, tool) => rows.find((x) => x.id === `G${n}${k}`)?.values[tool];
  const cell = (n, tool) =>
    keys
      .map((k) => {
        const v = valueOf(n, k, tool);
        const shown = v === null || v === undefined ? '–' : k === 'c' ? `${v.toFixed(2)} %` : v.toFixed(0);
        const r0 = k === 'u' ? valueOf(n, 'r', tool) : undefined;
        return r0 === null || r0 === undefined ? shown : `${shown} (${r0.toFixed(0)})`;
      })
      .join(' / ');
  const ratio = (n, tool) =>
    keys
      .map((k) => {
        const a = k === 'u' ? (valueOf(n, 'r', 'corral') ?? valueOf(n, 'u', 'corral')) : valueOf(n, k, 'corral');
        const b = valueOf(n, k, tool);
        if (a === null || a === undefined || b === null || b === undefined) return '–';
        // Idle CPU near zero makes a ratio meaningless: the difference in % of a core instead.
        if (k === 'c') return `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(2)}`;
        return b > 0 ? (a / b).toFixed(2) : '–';
      })
      .join(' / ');
  const label = (t) => (t === 'corral' ? 'Corral' : t === 'pm2' ? 'PM2' : t);
  const what = 'up ms / status ms / settling CPU ms / idle CPU / RSS MB / down ms';
  const head = ['N', ...names.map((t) => `${label(t)} ${t === 'corral' ? what.replace('up ms', 'up ms (ready_after: 0)') : what}`), ...peers.map((p) => `Corral vs ${label(p)} (÷, CPU as +%)`)];
  const body = sizes.map((n) => [n, ...names.map((t) => cell(n, t)), ...peers.map((p) => ratio(n, p))]);
  const w = head.map((h, i) => Math.max(String(h).length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padStart(w[i])).join(' | ')} |`;
  return ['Growth (G): N independent services, no health checks', line(head), `|${w.map((x) => '-'.repeat(x + 1) + ':').join('|')}|`, ...body.map(line)].join('\n');
}

function notes() {
  const out = [];
  for (const r of rows) {
    const parts = [];
    if (r.note) parts.push(r.note);
    for (const [tool, n] of Object.entries(r.notes ?? {})) if (names.includes(tool)) parts.push(`${tool}: ${n}.`);
    if (r.error) parts.push(`error: ${r.error}`);
    if (r.skipped) parts.push(`skipped: ${r.skipped}`);
    if (parts.length) out.push(`${r.id}: ${parts.join(' ')}`);
  }
  return out;
}

async function finish(code) {
  if (finishing) return;
  finishing = true;
  // Cleanup first, and whatever happens after it, the processes and directories are gone.
  await runCleanups((s) => console.error(s));
  let survivors = [];
  try {
    survivors = await endSurvivors();
  } catch (e) {
    console.error(`[bench] survivor check failed: ${e?.message ?? e}`);
  }
  removeTemp();
  try {
    report(code, survivors);
  } catch (e) {
    console.error(`[bench] report failed: ${e?.stack ?? e}`);
    code = 1;
  }
  process.exit(code);
}

function report(code, survivors) {
  const elapsed = (now() - t0) / 1000;
  if (rows.length > 0) {
    console.log('\n' + table());
    const g = growthTable();
    if (g) console.log('\n' + g);
    console.log(`\nRatio = Corral / peer; below 1 is better for Corral, except for 'lines kept'.${rows.some((r) => r.ratio === 'flag') ? ' *: not comparable, the peer ignores the dependency order (see the note).' : ''}`);
    for (const n of notes()) console.log(`- ${n}`);
  }
  for (const [name, why] of Object.entries(skipped)) console.log(`SKIPPED ${name}: ${why}`);
  if (survivors.length > 0) {
    console.log(`\nSURVIVORS: ${survivors.length} process(es) of this run were still alive at the end and were ended by pid:`);
    for (const s of survivors) console.log(`  pid ${s.pid}: ${s.command}`);
  } else console.log('\nNothing left running: no process carries this run\'s marker.');
  for (const d of defaultHomes.filter((x) => !preexisting.has(x) && existsSync(x))) console.log(`WARNING: ${d} appeared during the run (a manager used its default data directory); remove it.`);
  const loadAtEnd = loadavg().map((x) => round(x, 2));
  console.log(`Total time ${elapsed.toFixed(0)} s; load average at the end ${loadAtEnd.join(', ')}.`);
  const result = {
    schema: 1,
    run: RUN_ID,
    date: new Date().toISOString(),
    elapsedS: round(elapsed, 1),
    machine,
    load: { start: loadAtStart, end: loadAtEnd },
    runs,
    managers: names,
    skipped,
    figures: rows.map((r) => ({ ...r, values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, round(v, 3)])) })),
    errors,
    survivors: survivors.map((s) => ({ pid: s.pid, command: s.command })),
  };
  if (!opts['no-write'] && !interrupted && !only) {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, 'latest.json.tmp');
    writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n');
    renameSync(tmp, join(dir, 'latest.json'));
    console.log('Results written to bench/results/latest.json');
  } else if (!opts['no-write']) {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'partial.json.tmp'), JSON.stringify(result, null, 2) + '\n');
    console.log('Partial run (--only or interrupted): results in bench/results/partial.json.tmp (not committed); latest.json untouched.');
  }
}

await finish(errors.length > 0 ? 1 : 0);
