#!/usr/bin/env node
// P7: the log viewer with a 1,000,000-line log, in real Chromium.
//
//   npm run build && npx vite build renderer && node bench/log-viewer.mjs [--lines 1000000] [--owner fake|real] [--runs 3]
//
// Measures, in the page's own clock (performance.now):
//   first lines   opening the log view → the newest lines on screen
//   all lines     → the whole history loaded (status bar shows the count)
//   search        typing a filter → first match on screen, and → scan done
//   scroll        frames per second while scrolling through the whole log
//                 (a steady wheel-like scroll, and random jumps)
// The web UI server runs in a child process (as the owner would), so its work
// does not stall the browser driver. `--owner real` serves a real Owner whose
// service log file has the lines; `fake` (default) an in-memory owner.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    owner: { type: 'string', default: 'fake' },
    runs: { type: 'string', default: '3' },
    serve: { type: 'boolean', default: false },
    renderer: { type: 'string' },
  },
});
const N = Number(args.lines);
const T0 = 1_700_000_000_000;

function lineText(i) {
  if (i % 250_000 === 4321) return `ERROR needle found in request ${i}`;
  if (i % 7 === 0) return `\x1b[33mWARN\x1b[0m slow request ${i} took ${i % 997} ms`;
  return `\x1b[32mINFO\x1b[0m request ${i} served from cache shard ${i % 64} in ${i % 13} ms`;
}

// ---- child: the server ----
if (args.serve) {
  const { startWebUi } = await import(dist('electron/host/web/server.js'));
  let api;
  let cleanup = () => {};
  if (args.owner === 'real') {
    const { Owner } = await import(dist('electron/engine/owner.js'));
    const home = mkdtempSync(join(tmpdir(), 'corral-bench-'));
    cleanup = () => rmSync(home, { recursive: true, force: true });
    const owner = await Owner.open({ home, kind: 'embedded' });
    await owner.addStack({
      version: 1,
      name: 'bench',
      file: '',
      services: [
        {
          name: 'app',
          command: [process.execPath, '-e', 'setInterval(()=>{},1e9)'],
          cwd: root,
          env: {},
          ports: [],
          health: null,
          dependsOn: {},
          restart: { policy: 'never', backoffMs: 100, maxBackoffMs: 1000, resetAfterMs: 1000, crashLoopCount: 5, crashLoopWindowMs: 10000 },
          stop: { signal: 'SIGTERM', graceMs: 1000 },
          startTimeoutMs: 5000,
        },
      ],
    });
    const file = owner.dir.logFile('bench', 'app');
    mkdirSync(dirname(file), { recursive: true });
    const out = createWriteStream(file);
    for (let i = 0; i < N; i += 10_000) {
      let chunk = '';
      for (let j = i; j < Math.min(N, i + 10_000); j++) chunk += lineText(j) + '\n';
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    }
    await new Promise((r) => out.end(r));
    api = owner.api;
    const close = cleanup;
    cleanup = async () => {
      await owner.close({ stopServices: true });
      close();
    };
  } else {
    const { FakeOwner, fakeService } = await import(dist('test/helpers/fake-api.js'));
    const fake = new FakeOwner([{ name: 'bench', file: '', services: [fakeService('bench', 'app', { state: 'running', desired: 'up', pid: process.pid, startedAt: Date.now() })] }]);
    const lines = new Array(N);
    for (let i = 0; i < N; i++) lines[i] = { stack: 'bench', service: 'app', ts: T0 + i, seq: i, text: lineText(i) };
    fake.setLog('bench', 'app', lines);
    api = fake.api;
  }
  const ui = await startWebUi(api, { rendererDir: args.renderer });
  // One sign-in code per page the client opens (each works once; the server keeps 16 outstanding).
  process.stdout.write(JSON.stringify({ urls: Array.from({ length: 16 }, () => ui.openUrl()), port: ui.port }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await ui.close();
    await cleanup();
    process.exit(0);
  });
} else {
  await main();
}

async function main() {
  const { launchBrowser, buildRenderer, removeBuilds } = await import(dist('test/helpers/browser.js'));
  const rendererDir = await buildRenderer();
  const server = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', '--lines', String(N), '--owner', args.owner, '--renderer', rendererDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const { urls } = await new Promise((resolve, reject) => {
    let buf = '';
    server.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(buf.slice(0, nl)));
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const browser = await launchBrowser();
  const runs = [];
  try {
    for (let r = 0; r < Number(args.runs); r++) {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      const page = await context.newPage();
      if (r >= urls.length) throw new Error(`at most ${urls.length} runs (one sign-in code each)`);
      await page.goto(urls[r]);
      await page.getByRole('tab', { name: 'Logs' }).waitFor();
      runs.push(await measure(page));
      await context.close();
      console.error(`run ${r + 1}: ${JSON.stringify(runs[runs.length - 1])}`);
    }
  } finally {
    await browser.close();
    server.stdin.end();
    await new Promise((r) => server.on('exit', r));
    removeBuilds();
  }
  const median = (k) => {
    const v = runs.map((x) => x[k]).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const keys = Object.keys(runs[0]);
  const summary = Object.fromEntries(keys.map((k) => [k, median(k)]));
  const result = {
    date: new Date().toISOString(),
    lines: N,
    owner: args.owner,
    runs: runs.length,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, chromium: browser.version?.() },
    median: summary,
    all: runs,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', `log-viewer-${args.owner}.json`), JSON.stringify(result, null, 2) + '\n');
  console.log(`log viewer, ${N.toLocaleString('en')} lines, ${args.owner} owner, median of ${runs.length} runs (${result.machine.cpu}, ${result.machine.cores} cores)`);
  console.log(`  first lines on screen      ${summary.firstLinesMs} ms`);
  console.log(`  all lines loaded           ${summary.allLinesMs} ms`);
  console.log(`  search: first match shown  ${summary.searchFirstMs} ms`);
  console.log(`  search: whole log scanned  ${summary.searchDoneMs} ms`);
  console.log(`  longest frame in search    ${summary.searchLongestFrameMs} ms`);
  console.log(`  scroll (steady) fps        ${summary.scrollFps} (p95 frame ${summary.scrollP95Ms} ms)`);
  console.log(`  scroll (random jumps) fps  ${summary.jumpFps} (p95 frame ${summary.jumpP95Ms} ms)`);
}

// Everything below runs in the page, timed with the page's clock.
/* global document, location, requestAnimationFrame */
async function measure(page) {
  return page.evaluate(async (N) => {
    const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
    const until = async (cond, limitMs = 120_000) => {
      const start = performance.now();
      for (;;) {
        const v = cond();
        if (v) return performance.now();
        if (performance.now() - start > limitMs) throw new Error('timed out: ' + cond.toString());
        await nextFrame();
      }
    };
    const out = {};
    const t0 = performance.now();
    location.hash = '#/logs/bench/app';
    await until(() => document.querySelector('.log-lines .row'));
    out.firstLinesMs = Math.round(performance.now() - t0);
    const total = N.toLocaleString();
    await until(() => document.querySelector('.log-status')?.textContent.includes(`${total} lines`));
    out.allLinesMs = Math.round(performance.now() - t0);

    // Search: the whole log, while measuring the longest frame.
    const box = document.querySelector('input[type=search]');
    const info = () => document.querySelector('.match-info')?.textContent ?? '';
    let worst = 0;
    let last = performance.now();
    let watching = true;
    const watch = () => {
      const t = performance.now();
      worst = Math.max(worst, t - last);
      last = t;
      if (watching) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
    const s0 = performance.now();
    box.value = 'needle';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    await until(() => document.querySelector('.log-lines mark'));
    out.searchFirstMs = Math.round(performance.now() - s0);
    await until(() => /match/.test(info()) && !/searching/.test(info()));
    out.searchDoneMs = Math.round(performance.now() - s0);
    watching = false;
    out.searchLongestFrameMs = Math.round(worst);
    box.value = '';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    await until(() => !document.querySelector('.log-lines mark'));

    const list = document.querySelector('.log-lines');
    const scrollRun = async (step, ms = 3000) => {
      const times = [];
      let prev = await nextFrame();
      const end = prev + ms;
      while (prev < end) {
        step();
        const t = await nextFrame();
        times.push(t - prev);
        prev = t;
      }
      times.sort((a, b) => a - b);
      return { fps: Math.round((times.length / ms) * 1000), p95: Math.round(times[Math.floor(times.length * 0.95)]) };
    };
    list.scrollTop = 0;
    await nextFrame();
    const steady = await scrollRun(() => {
      list.scrollTop += list.scrollHeight / 180; // the whole log in ~3 s
    });
    out.scrollFps = steady.fps;
    out.scrollP95Ms = steady.p95;
    let seed = 7;
    const jump = await scrollRun(() => {
      seed = (seed * 16807) % 2147483647;
      list.scrollTop = (seed / 2147483647) * list.scrollHeight;
    });
    out.jumpFps = jump.fps;
    out.jumpP95Ms = jump.p95;
    return out;
  }, N);
}
