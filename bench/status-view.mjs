#!/usr/bin/env node
// P9: the status view with 200 services, in real Chromium.
//
//   npm run build && node bench/status-view.mjs [--services 200] [--runs 3] [--idle-seconds 10] [--no-build]
//
// A real headless owner (`corral up -f` of a stack of N independent `sleep`
// services, its own CORRAL_HOME) serves the web UI; headless Chromium opens
// its status view at 1280 px (a table) and at 640 px (a card per service).
// In the page's own clock (performance.now) it measures:
//   all on screen   opening the page → all N rows in the document
//   updates         frames while all N services change state twice
//                   (`corral down`, then `corral up`, the page watching the
//                   live snapshots), until every row shows the new state
//   scroll          frames while scrolling the list top to bottom in ~3 s
//   resize          frames while the window is resized to and fro across the
//                   table/card breakpoint (~1000 px), 20 times
//   idle            10 s with no state change (resource samples still arrive):
//                   main-thread time the page spent (Chromium's TaskDuration,
//                   and the script, style and layout in it), long tasks and
//                   DOM mutations
// A frame is the time between two requestAnimationFrame callbacks; a long
// task is one the page's PerformanceObserver ('longtask', ≥ 50 ms) reports.
// For each phase: fps (1000 / the median frame), p95 and longest frame, long tasks (count and
// total ms), main-thread busy ms, and the snapshots the page received (the
// SSE messages, from Chromium's network events). The renderer is built into
// renderer/dist first (what the owner serves), unless --no-build.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, NODE, benchEnv, run, tempDir, removeTemp, endSurvivors, waitUntil, cpuSeconds, isLive, round, median } from './lib/util.mjs';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '10' },
    'no-build': { type: 'boolean', default: false },
  },
});
const N = Number(args.services);
const RUNS = Math.max(1, Number(args.runs));
const IDLE_S = Number(args['idle-seconds']);
const WIDTHS = [1280, 640];
const CLI = join(ROOT, 'bin', 'corral.js');
const dist = (p) => join(ROOT, 'dist', p);

const dir = tempDir('status-view');
const env = benchEnv({ CORRAL_HOME: join(dir, 'home') });
const stackFile = join(dir, 'corral.yaml');
const corral = async (...a) => {
  const r = await run(NODE, [CLI, ...a], { env, cwd: dir, timeoutMs: 120_000 });
  if (r.code === 0) return r;
  const why = `corral ${a.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-500)}`;
  // `up` says 1 when a service is not running yet as it returns (a restart in backoff): the page waits for all to run.
  if (a[0] === 'up' && r.code === 1) console.error(`[bench] ${why}`);
  else throw new Error(why);
  return r;
};
const ownerPid = () => {
  try {
    const l = JSON.parse(readFileSync(join(dir, 'home', 'owner.lock'), 'utf8'));
    return isLive(l.pid) ? l.pid : null;
  } catch {
    return null;
  }
};

let browser = null;
let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(e?.stack ?? String(e));
} finally {
  await browser?.close().catch(() => {});
  const owner = ownerPid();
  if (owner !== null) {
    await run(NODE, [CLI, 'daemon', 'stop', '--stop-services'], { env, cwd: dir, timeoutMs: 120_000 });
    await waitUntil(() => !isLive(owner), 10_000, 20);
  }
  const left = await endSurvivors();
  for (const p of left) console.error(`[bench] ended a survivor: ${p.pid} ${p.command}`);
  removeTemp();
}
process.exit(failed ? 1 : 0);

async function main() {
  if (!args['no-build']) {
    // What the owner serves (electron/host/web/server.ts defaultRendererDir): the renderer of this checkout.
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), root: join(ROOT, 'renderer'), logLevel: 'warn' });
  }
  const services = {};
  for (let i = 0; i < N; i++) services[`svc-${String(i).padStart(3, '0')}`] = { command: ['sleep', '1000000'], stop: { grace: '2s' } };
  writeFileSync(stackFile, JSON.stringify({ version: 1, name: 'many', services }, null, 2) + '\n');
  await corral('up', '-f', stackFile);

  const { launchBrowser } = await import(dist('test/helpers/browser.js'));
  browser = await launchBrowser();
  const load0 = loadavg().map((x) => round(x, 2));
  const runs = { 1280: [], 640: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const width of WIDTHS) {
      const one = await measureRun(width);
      runs[width].push(one);
      console.error(`run ${r + 1} at ${width} px: ${JSON.stringify(one)}`);
    }
  }
  const load1 = loadavg().map((x) => round(x, 2));

  const summary = {};
  for (const width of WIDTHS) {
    const keys = [...new Set(runs[width].flatMap((x) => Object.keys(x)))];
    for (const k of keys) summary[`${k}@${width}`] = median(runs[width].map((x) => x[k]));
  }
  const result = {
    date: new Date().toISOString(),
    services: N,
    widths: WIDTHS,
    runs: RUNS,
    idleSeconds: IDLE_S,
    loadAverage: { start: load0, end: load1 },
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, chromium: browser.version() },
    median: summary,
    all: runs,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'status-view.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`status view, ${N} services, median of ${RUNS} runs (${result.machine.cpu}, ${result.machine.cores} cores; load ${load0.join(', ')} → ${load1.join(', ')})`);
  for (const width of WIDTHS) {
    const m = (k) => summary[`${k}@${width}`];
    console.log(`  ${width} px: all ${N} on screen ${m('allShownMs')} ms`);
    for (const phase of ['updates', 'scroll', 'resize']) {
      if (m(`${phase}Fps`) === null || m(`${phase}Fps`) === undefined) continue;
      console.log(`    ${phase.padEnd(8)} ${m(`${phase}Fps`)} fps, p95 frame ${m(`${phase}P95Ms`)} ms, longest ${m(`${phase}MaxMs`)} ms, long tasks ${m(`${phase}LongTasks`)} (${m(`${phase}LongTaskMs`)} ms), main thread ${m(`${phase}BusyMs`)} ms (script ${m(`${phase}ScriptMs`)}, style+layout ${m(`${phase}StyleLayoutMs`)}), ${m(`${phase}Snapshots`)} snapshots`);
    }
    console.log(`    idle ${IDLE_S} s: main thread ${m('idleBusyMs')} ms (script ${m('idleScriptMs')}, style+layout ${m('idleStyleLayoutMs')}), long tasks ${m('idleLongTasks')}, DOM mutations ${m('idleMutations')}, ${m('idleSnapshots')} snapshots (${m('idleSnapshotKb')} kB), owner CPU ${m('idleOwnerCpuPct')} % of a core`);
  }
}

/** One page at `width`: load, updates, scroll, resize, idle. */
async function measureRun(width) {
  const { url } = JSON.parse((await corral('ui', '--no-open', '--json')).stdout);
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Network.enable');
  const sse = { count: 0, bytes: 0 };
  cdp.on('Network.eventSourceMessageReceived', (e) => {
    if (e.eventName === 'snapshot') {
      sse.count++;
      sse.bytes += e.data.length;
    }
  });
  // Chromium's own counters of the page's main thread: all its tasks, and the script, style and layout in them (seconds).
  const busy = async () => {
    const m = new Map((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value * 1000]));
    return { all: m.get('TaskDuration') ?? 0, script: m.get('ScriptDuration') ?? 0, style: m.get('RecalcStyleDuration') ?? 0, layout: m.get('LayoutDuration') ?? 0 };
  };
  const busySince = async (b0, name) => {
    const b1 = await busy();
    out[`${name}BusyMs`] = Math.round(b1.all - b0.all);
    out[`${name}ScriptMs`] = Math.round(b1.script - b0.script);
    out[`${name}StyleLayoutMs`] = Math.round(b1.style - b0.style + b1.layout - b0.layout);
  };
  // Long tasks from the first script on, and a frame recorder the phases switch on and off.
  await page.addInitScript(installRecorder);
  const out = {};
  await page.goto(url);
  out.allShownMs = await page.evaluate(async (n) => {
    for (;;) {
      if (document.querySelectorAll('.svc[data-service]').length >= n) return Math.round(performance.now());
      await new Promise((r) => requestAnimationFrame(r));
    }
  }, N);
  await page.waitForFunction((n) => document.querySelectorAll('.svc.state-running').length >= n, N, { timeout: 60_000 });

  const phase = async (name, drive) => {
    await page.evaluate(() => window.__bench.start());
    const b0 = await busy();
    const s0 = sse.count;
    await drive();
    const st = await page.evaluate(() => window.__bench.stop());
    out[`${name}Fps`] = st.fps;
    out[`${name}P95Ms`] = st.p95;
    out[`${name}MaxMs`] = st.max;
    out[`${name}LongTasks`] = st.longTasks;
    out[`${name}LongTaskMs`] = st.longTaskMs;
    await busySince(b0, name);
    out[`${name}Snapshots`] = sse.count - s0;
  };

  // (a) every service changes state: all stop, then all start again.
  await phase('updates', async () => {
    const pids = await page.evaluate(() => [...document.querySelectorAll('.svc .m-pid .v')].map((e) => e.textContent).join(','));
    await corral('down', '-f', stackFile);
    await page.waitForFunction((n) => document.querySelectorAll('.svc.state-stopped').length >= n, N, { timeout: 60_000 });
    await corral('up', '-f', stackFile);
    await page.waitForFunction(
      ({ n, before }) => document.querySelectorAll('.svc.state-running').length >= n && [...document.querySelectorAll('.svc .m-pid .v')].map((e) => e.textContent).join(',') !== before,
      { n: N, before: pids },
      { timeout: 60_000 },
    );
  });

  // (b) the list scrolled from top to bottom in about 3 s, a step a frame.
  await phase('scroll', () =>
    page.evaluate(async () => {
      const list = document.querySelector('main');
      list.scrollTop = 0;
      const end = performance.now() + 3000;
      while (performance.now() < end) {
        list.scrollTop += list.scrollHeight / 180;
        await new Promise((r) => requestAnimationFrame(r));
      }
    }),
  );

  // (c) to and fro across the table/card breakpoint.
  await phase('resize', async () => {
    for (let i = 0; i < 20; i++) {
      await page.setViewportSize({ width: i % 2 ? 1100 : 900, height: 800 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    await page.setViewportSize({ width, height: 800 });
  });

  // Idle: nothing changes but the clock and the resource samples. No frame recorder (it would make frames itself).
  await page.evaluate(() => window.__bench.watchMutations());
  const b0 = await busy();
  const s0 = sse.count;
  const k0 = sse.bytes;
  const owner = ownerPid();
  const c0 = owner ? cpuSeconds(owner) : null;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const idle = await page.evaluate(() => window.__bench.stopMutations());
  const dt = (performance.now() - t0) / 1000;
  await busySince(b0, 'idle');
  out.idleLongTasks = idle.longTasks;
  out.idleMutations = idle.mutations;
  out.idleSnapshots = sse.count - s0;
  out.idleSnapshotKb = round((sse.bytes - k0) / 1024, 1);
  out.idleOwnerCpuPct = owner && c0 !== null ? round(((cpuSeconds(owner) - c0) / dt) * 100, 2) : null;
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
  await context.close();
  return out;
}

// Runs in the page before its own scripts.
/* global window, document, requestAnimationFrame, MutationObserver */
function installRecorder() {
  const longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  let frames = null;
  let since = 0;
  let mutations = 0;
  let mo = null;
  window.__bench = {
    start() {
      frames = [];
      since = performance.now();
      let last = since;
      const tick = (t) => {
        if (!frames) return;
        frames.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    },
    stop() {
      const f = frames.slice(1).sort((a, b) => a - b); // the first is from start() to a frame
      frames = null;
      const lt = longTasks.filter((t) => t.start >= since);
      // fps from the median frame: headless Chromium sometimes runs rAF callbacks faster than 60 Hz (while scrolling, resizing), which a count would take for frames.
      return {
        fps: f.length ? Math.round(1000 / f[f.length >> 1]) : null,
        p95: f.length ? Math.round(f[Math.floor(f.length * 0.95)] * 10) / 10 : null,
        max: f.length ? Math.round(f[f.length - 1] * 10) / 10 : null,
        longTasks: lt.length,
        longTaskMs: Math.round(lt.reduce((s, t) => s + t.ms, 0)),
      };
    },
    watchMutations() {
      mutations = 0;
      since = performance.now();
      mo = new MutationObserver((list) => (mutations += list.length));
      mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    },
    stopMutations() {
      mo.disconnect();
      return { mutations, longTasks: longTasks.filter((t) => t.start >= since).length };
    },
  };
}
