#!/usr/bin/env node
// The macOS implementation's cost, measured on Linux in darwin mode (the ps,
// lsof, sysctl and netstat of test/darwin-shims, Perl/Node reading /proc), side
// by side with the Linux implementation: a process-table scan with markers, and
// stopping a 4-service stack, with 600 extra processes on the machine.
//   npm run build && node bench/darwin-mode.mjs [--extra 600] [--runs 3]
// The shims are not macOS: a real `ps` costs less per call than a Perl script
// (~10 ms against ~30 ms here), so these are upper bounds for the call count.
// Every process started is ended by pid; the data directory is removed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const ROOT = new URL('..', import.meta.url).pathname;
const SHIMS = join(ROOT, 'test', 'darwin-shims');
const { values: opts } = parseArgs({ options: { extra: { type: 'string', default: '600' }, runs: { type: 'string', default: '3' }, child: { type: 'boolean', default: false } } });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!opts.child) {
  const rows = [];
  for (const mode of ['linux', 'darwin']) {
    const env = { ...process.env };
    if (mode === 'darwin') Object.assign(env, { CORRAL_PLATFORM: 'darwin', PATH: `${SHIMS}:${env.PATH}`, NODE_OPTIONS: `--import=${join(SHIMS, 'xnu-kill.mjs')}` });
    const r = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child', '--extra', opts.extra, '--runs', opts.runs], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${mode} run failed (${r.status})`);
    rows.push({ mode, ...JSON.parse(r.stdout.trim().split('\n').at(-1)) });
  }
  console.log(`${opts.extra} extra processes, median of ${opts.runs}`);
  console.log('mode    processes  scan ms  4-service stop ms');
  for (const r of rows) console.log(`${r.mode.padEnd(7)} ${String(r.procs).padStart(9)}  ${String(r.scanMs).padStart(7)}  ${String(r.stopMs).padStart(17)}`);
  process.exit(0);
}

const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;
const { Owner } = await import(dist('electron/engine/owner.js'));
const { takeSnapshot } = await import(dist('electron/engine/process/process-scan.js'));
const { stack, tcpService } = await import(dist('test/helpers/stack.js'));
const { freePort } = await import(dist('test/helpers/env.js'));

const extra = [];
const home = mkdtempSync(join(tmpdir(), 'corral-bench-darwin-'));
let owner = null;
try {
  for (let i = 0; i < Number(opts.extra); i++) extra.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  await Promise.all(extra.map((c) => new Promise((r) => c.once('spawn', r))));
  const scans = [];
  const stops = [];
  let procs = 0;
  for (let run = 0; run < Number(opts.runs); run++) {
    owner = await Owner.open({ home, kind: 'embedded' });
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    await owner.addStack(stack('bench', ports.map((p, i) => tcpService(`s${i}`, p, ['--children', '1']))));
    const started = await owner.start('bench');
    if (!started.outcomes.every((o) => o.ok)) throw new Error(JSON.stringify(started.outcomes));
    let t = performance.now();
    const snap = await takeSnapshot();
    scans.push(performance.now() - t);
    procs = snap.procs.length;
    t = performance.now();
    const stopped = await owner.stop('bench');
    stops.push(performance.now() - t);
    if (!stopped.outcomes.every((o) => o.ok)) throw new Error(JSON.stringify(stopped.outcomes));
    await owner.close({ stopServices: true });
    owner = null;
  }
  console.log(JSON.stringify({ procs, scanMs: Math.round(median(scans)), stopMs: Math.round(median(stops)) }));
} finally {
  await owner?.close({ stopServices: true }).catch(() => {});
  for (const c of extra) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
}
