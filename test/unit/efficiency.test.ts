// What keeps the owner cheap: the contract's validators (no zod on the hot path), the one
// scheduler whose jobs share wakes, the process-tree read, and the shared process-table scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { z } from '../../shared/valid.js';
import { validateRequest } from '../../shared/api.js';
import { Scheduler, every, alignedLatest, GRID_MS } from '../../electron/engine/scheduler.js';
import { takeSnapshot, takeTreeSnapshot } from '../../electron/engine/process/process-scan.js';
import { membersIn } from '../../electron/engine/process/stop.js';

test('contract validators: the first issue with its path; unknown keys refused; objects rebuilt with known keys', () => {
  const name = z.string().min(1).max(8).regex(/^[a-z]+$/, 'lowercase only');
  const s = z.strictObject({ stack: name, services: z.array(name).max(2).optional(), n: z.number().int().positive().optional() });
  assert.deepEqual(s.parse({ stack: 'web', services: ['a'] }), { stack: 'web', services: ['a'] });
  const bad = (v: unknown) => {
    const r = s.safeParse(v);
    assert.equal(r.success, false);
    return r.error!.issues[0]!;
  };
  assert.deepEqual(bad({ stack: 'Web' }), { path: ['stack'], message: 'lowercase only' });
  assert.deepEqual(bad({ stack: 'web', services: ['a', 'UP'] }).path, ['services', 1]);
  assert.match(bad({ stack: 'web', services: ['a', 'b', 'c'] }).message, /<=2 items/);
  assert.match(bad({ stack: 'web', extra: 1 }).message, /Unrecognized key: "extra"/);
  assert.match(bad({ stack: 'web', n: 1.5 }).message, /expected int/);
  assert.match(bad({ stack: 'web', n: 0 }).message, />0/);
  assert.match(bad('web').message, /expected object, received string/);
  // A constraint added later does not change the schema it was made from.
  assert.equal(name.optional().safeParse(undefined).success, true);
  assert.equal(name.safeParse(undefined).success, false);
  // object() drops unknown keys; partial().strict() as settings use it.
  assert.deepEqual(z.object({ a: z.boolean() }).parse({ a: true, b: 1 }), { a: true });
  const settings = z.strictObject({ a: z.boolean(), b: z.boolean() }).partial().strict();
  assert.deepEqual(settings.parse({ b: false }), { b: false });
  assert.equal(settings.safeParse({ c: true }).success, false);
  // refine, record, union, enum, literal.
  const env = z.record(z.string().max(3), z.string()).refine((e) => Object.keys(e).length <= 1, 'one at most');
  assert.deepEqual(env.parse({ A: 'x' }), { A: 'x' });
  assert.equal(env.safeParse({ A: 'x', B: 'y' }).error?.issues[0]?.message, 'one at most');
  assert.deepEqual(env.safeParse({ LONG: 'x' }).error?.issues[0]?.path, ['LONG']);
  const id = z.union([z.number().int().nonnegative(), z.string().min(1)]);
  assert.equal(id.parse(3), 3);
  assert.equal(id.parse('x'), 'x');
  assert.equal(id.safeParse(-1).success, false);
  assert.equal(z.enum(['up', 'down']).safeParse('sideways').success, false);
  assert.equal(z.literal(true).safeParse(false).success, false);
  // Prototype tricks are not objects.
  assert.equal(z.strictObject({}).safeParse(Object.create({ x: 1 })).success, false);
  assert.equal(z.strictObject({}).safeParse([]).success, false);
});

test('the API contract is validated without zod, with the same messages', () => {
  const r = validateRequest('readLogs', { stack: '../etc' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.error.message, 'Invalid request for `readLogs` at `stack`: letters, digits, ".", "_" and "-" only');
  const ok = validateRequest('killPortHolder', { stack: 's', service: 'w', pid: 12, confirm: true });
  assert.deepEqual(ok, { ok: true, value: { stack: 's', service: 'w', pid: 12, confirm: true } });
  assert.equal(validateRequest('killPortHolder', { stack: 's', service: 'w', pid: 12, confirm: false }).ok, false);
});

test('scheduler: jobs with slack share one wake; a job never runs before it is due', async () => {
  const s = new Scheduler();
  const ran: [string, number][] = [];
  const t0 = performance.now();
  await new Promise<void>((done) => {
    let n = 0;
    const mark = (name: string) => () => {
      ran.push([name, performance.now() - t0]);
      if (++n === 3) done();
    };
    // Slack under a grid step (GRID_MS): kept as asked, no alignment (the next test has that).
    s.after(100, mark('a'), { slackMs: GRID_MS - 10 });
    s.after(200, mark('b'), { slackMs: GRID_MS - 10 });
    s.after(300, mark('c'), { slackMs: 0 });
  });
  assert.deepEqual(ran.map(([n]) => n), ['a', 'b', 'c']);
  // All three in the wake of the one without slack (at 300 ms), none before its due time.
  for (const [, at] of ran) assert.ok(at >= 299, `ran at ${at}`);
  assert.ok(ran[2]![1] - ran[0]![1] < 20, `one wake: ${JSON.stringify(ran)}`);
  let cancelled = false;
  const cancel = s.after(10, () => (cancelled = true));
  cancel();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(cancelled, false);
  assert.equal(s.size, 0);
  assert.equal(s.busy, false);
});

test('scheduler: periodic jobs started at different moments fall into one wake per period and stay there', async () => {
  // Three jobs of one period (1 s, up to 500 ms early), started 150 ms apart: each runs on the
  // last grid step of its window and counts its next period from that step, so a job that
  // joined another's wake stays in it. Within a few periods all three run in the same wakes.
  const s = new Scheduler();
  const runs: number[][] = [[], [], []];
  const stops: (() => void)[] = [];
  for (const k of [0, 1, 2]) {
    if (k > 0) await new Promise((r) => setTimeout(r, 150));
    stops.push(every(1000, () => void runs[k]!.push(performance.now()), { slackMs: 500 }, s));
  }
  try {
    await new Promise<void>((done) => {
      const check = setInterval(() => {
        if (runs.every((r) => r.length >= 5)) {
          clearInterval(check);
          done();
        }
      }, 20);
    });
  } finally {
    for (const stop of stops) stop();
  }
  for (const r of runs) {
    // Never more often than the window allows (a period counts from the grid step of the wake
    // that ran it, at most a step before), never much later than the period (room for a late timer).
    for (let i = 1; i < r.length; i++) assert.ok(r[i]! - r[i - 1]! >= 500 - GRID_MS && r[i]! - r[i - 1]! <= 1000 + 500, `gaps ${JSON.stringify(r)}`);
  }
  // The last two rounds: one wake each for all three.
  for (const back of [1, 2]) {
    const at = runs.map((r) => r[r.length - back]!);
    assert.ok(Math.max(...at) - Math.min(...at) < 15, `runs ${JSON.stringify(runs.map((r) => r.map(Math.round)))}`);
  }
  // A window narrower than a grid step is kept as asked; a wider one ends on a grid step.
  assert.equal(alignedLatest(1000.5, 100), 1100.5);
  assert.equal(alignedLatest(1001, GRID_MS * 2) % GRID_MS, 0);
  assert.ok(alignedLatest(1001, GRID_MS) >= 1001);
});

test('process trees: a service read from its own tree is the same as from the whole table', async () => {
  // A shell with two children of its own (one in a new session): the tree holds all three.
  const child = spawn('sh', ['-c', 'sleep 30 & setsid sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  let pids: number[] = [child.pid!];
  try {
    const leader = { pid: child.pid!, start: '', boot: '' };
    let tree = await takeTreeSnapshot([child.pid!]);
    for (let i = 0; i < 100 && tree.procs.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = await takeTreeSnapshot([child.pid!]);
    }
    pids = tree.procs.map((p) => p.pid);
    const self = tree.procs.find((p) => p.pid === child.pid)!;
    Object.assign(leader, { start: self.start, boot: tree.boot });
    const target = { leader, markerPrefix: 'no-such-marker/', ports: [] };
    const fromTree = membersIn(tree, target).map((m) => m.id.pid);
    const fromTable = membersIn(await takeSnapshot(), target).map((m) => m.id.pid);
    assert.equal(fromTree.length, 3, JSON.stringify(tree.procs));
    assert.deepEqual(fromTree, fromTable);
  } finally {
    // The setsid child left the group: each one is ended by its pid (all started by this test).
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await new Promise((r) => child.once('exit', r));
  }
});

test('concurrent scans of the process table share one read, taken after every request', async () => {
  const a = takeSnapshot();
  const b = takeSnapshot();
  assert.equal(a, b);
  const first = await a;
  const c = await takeSnapshot();
  assert.notEqual(c, first);
});
