// The chaos run, short: one minute of the seeded schedule (seed 1) against the
// built CLI and a real owner, every fault kind at least once (the schedule's
// first round), the invariants checked after settling and at the end. The
// script ends everything it started and removes its temp dir; this test only
// checks that it says so (exit 0, 0 violations) and that nothing of it is left.
// The owner's answer bound is 30 s here (15 s in the long run): CI's 2 cores run
// other suites beside it, and a CLI start alone can take seconds there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.js';

/** Live pids whose environment carries CORRAL_CHAOS_RUN=<id>. */
function chaosPids(id: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`CORRAL_CHAOS_RUN=${id}`)) out.push(Number(name));
    } catch {}
  }
  return out;
}

test('F41 chaos run: 1 minute, seed 1, no invariant violated, nothing left running', { timeout: 10 * 60_000 }, async (t) => {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'chaos.mjs'), '--minutes', '1', '--seed', '1', '--settle-every', '30', '--status-bound', '30'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // The script bounds itself (every CLI call, every settle); this is the test's own last resort.
  const timer = setTimeout(() => child.kill('SIGINT'), 8 * 60_000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(timer);
  for (const line of out.slice(out.indexOf('==== Corral chaos run summary')).split('\n')) if (line) t.diagnostic(line);
  const id = /Corral chaos run ([0-9a-f]{8})/.exec(out)?.[1];
  assert.ok(id, `the run did not start:\n${out}`);
  const result = /CHAOS_RESULT (.*)/.exec(out);
  assert.ok(result, `no summary:\n${out}`);
  const r = JSON.parse(result[1]!) as { violations: number; faults: Record<string, number> };
  assert.equal(r.violations, 0, out);
  assert.equal(code, 0, out);
  // The first round of the schedule injects every kind (the disk kinds need a tmpfs: root only).
  assert.ok(Object.keys(r.faults).length >= 8, `fault kinds injected: ${Object.keys(r.faults).join(', ')}`);
  assert.deepEqual(chaosPids(id), [], 'processes of the chaos run left running');
  assert.ok(!readdirSync('/tmp').some((f) => out.includes(join('/tmp', f, 'home')) && f.startsWith('corral-chaos-')), 'the temp dir was removed');
});
