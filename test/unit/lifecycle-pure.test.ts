// The pure parts of the lifecycle: backoff, the state machine, /proc parsers, durations, the aggregate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashTracker, backoffDelay, shouldRestart } from '../../electron/engine/backoff.js';
import { canTransition } from '../../electron/engine/service-state.js';
import { parseProcStat, parseProcNetTcp } from '../../electron/engine/process/platform/linux.js';
import { parseDuration, formatDuration } from '../../shared/duration.js';
import { aggregateState, SERVICE_STATES } from '../../shared/state.js';
import { validateRequest, isCallName } from '../../shared/api.js';
import { parseLineTimestamp, mergeByTime } from '../../electron/engine/logs/log-hub.js';
import { SerialQueue } from '../../electron/engine/serial.js';

const spec = { policy: 'on-failure' as const, backoffMs: 100, maxBackoffMs: 1000, resetAfterMs: 10_000, crashLoopCount: 4, crashLoopWindowMs: 60_000 };

test('backoff: the first restart is immediate, then doubles and is capped', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(spec, n)), [0, 100, 200, 400, 800, 1000, 1000]);
});

test('crash tracker: crash loop within the window gives up; stable uptime resets', () => {
  const t = new CrashTracker(spec);
  assert.deepEqual(t.crash(0, 10), { action: 'restart', delayMs: 0 });
  assert.deepEqual(t.crash(100, 10), { action: 'restart', delayMs: 100 });
  assert.deepEqual(t.crash(200, 10), { action: 'restart', delayMs: 200 });
  assert.deepEqual(t.crash(300, 10), { action: 'give-up', crashes: 4 });
  const u = new CrashTracker(spec);
  u.crash(0, 10);
  u.crash(100, 10);
  // Ran 20 s before this crash: counts start over.
  assert.deepEqual(u.crash(20_200, 20_000), { action: 'restart', delayMs: 0 });
  // Crashes outside the window do not count.
  const w = new CrashTracker({ ...spec, crashLoopCount: 2, crashLoopWindowMs: 1000 });
  w.crash(0, 10);
  assert.equal(w.crash(5000, 10).action, 'restart');
});

test('restart policy', () => {
  assert.equal(shouldRestart('always', { code: 0, signal: null, requested: false }), true);
  assert.equal(shouldRestart('on-failure', { code: 0, signal: null, requested: false }), false);
  assert.equal(shouldRestart('on-failure', { code: 2, signal: null, requested: false }), true);
  assert.equal(shouldRestart('on-failure', { code: null, signal: 'SIGKILL', requested: false }), true);
  assert.equal(shouldRestart('never', { code: 1, signal: null, requested: false }), false);
  assert.equal(shouldRestart('always', { code: 1, signal: null, requested: true }), false);
});

test('state machine: the lifecycle cannot jump from stopping to running or from stopped to backoff', () => {
  assert.equal(canTransition('stopping', 'running'), false);
  assert.equal(canTransition('stopped', 'backoff'), false);
  assert.equal(canTransition('starting', 'running'), true);
  assert.equal(canTransition('running', 'unhealthy'), true);
  assert.equal(canTransition('failed', 'starting'), true);
  for (const s of SERVICE_STATES) assert.equal(canTransition(s, 'stopping') || s === 'stopping', true, `${s} can be stopped`);
});

test('/proc/<pid>/stat parser copes with spaces and parentheses in the command', () => {
  const line = '4242 (my (weird) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 67 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
  const st = parseProcStat(line);
  assert.equal(st.pid, 4242);
  assert.equal(st.comm, 'my (weird) cmd');
  assert.equal(st.state, 'S');
  assert.equal(st.ppid, 1);
  assert.equal(st.pgid, 4242);
  assert.equal(st.sid, 4242);
  assert.equal(st.start, '987654');
  assert.throws(() => parseProcStat('garbage'));
});

test('/proc/net/tcp parser keeps LISTEN rows only', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1C41 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 31338 1 0000000000000000 20 4 30 10 -1',
    '   2: 00000000:1C42 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31339 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(parseProcNetTcp(text), [
    { port: 7233, address: '127.0.0.1', inode: '31337' },
    { port: 7234, address: '0.0.0.0', inode: '31339' },
  ]);
});

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration(1.5), 1500);
  assert.throws(() => parseDuration('ten seconds'), /Expected a duration/);
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(250), '250ms');
});

test('aggregate state for the tray', () => {
  const s = (state: (typeof SERVICE_STATES)[number], desired: 'up' | 'down' = 'up') => ({ state, desired });
  assert.equal(aggregateState([s('running'), s('running')]), 'running');
  assert.equal(aggregateState([s('running'), s('starting')]), 'starting');
  assert.equal(aggregateState([s('running'), s('unhealthy')]), 'degraded');
  assert.equal(aggregateState([s('running'), s('failed')]), 'failed');
  assert.equal(aggregateState([s('stopped', 'down')]), 'stopped');
  assert.equal(aggregateState([]), 'stopped');
});

test('API requests are validated with a clear error', () => {
  assert.equal(isCallName('start'), true);
  assert.equal(isCallName('__proto__'), false);
  const bad = validateRequest('start', { stack: '../etc' });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.error.error.message, /Invalid request for `start` at `stack`/);
  const extra = validateRequest('stop', { stack: 'a', rm: true });
  assert.equal(extra.ok, false);
  assert.equal(validateRequest('killPortHolder', { stack: 'a', service: 'b', pid: 5, confirm: false }).ok, false);
  assert.equal(validateRequest('start', { stack: 'stigmer', services: ['temporal'] }).ok, true);
});

test('log lines: timestamps at the start are parsed; merge is by time, stable per service', () => {
  assert.equal(parseLineTimestamp('2026-11-22T01:02:03.456Z hello'), Date.parse('2026-11-22T01:02:03.456Z'));
  assert.equal(parseLineTimestamp('[2026-11-22 01:02:03,5Z] x'), Date.parse('2026-11-22T01:02:03.5Z'));
  assert.equal(parseLineTimestamp('no time here'), null);
  const l = (service: string, ts: number, seq: number) => ({ stack: 's', service, ts, seq, text: `${service}${seq}` });
  const merged = mergeByTime([
    [l('a', 1, 0), l('a', 3, 1), l('a', 3, 2)],
    [l('b', 2, 0), l('b', 3, 1)],
  ]);
  assert.deepEqual(merged.map((x) => x.text), ['a0', 'b0', 'a1', 'a2', 'b1']);
});

test('serial queue runs commands in order, one at a time, even when one fails', async () => {
  const q = new SerialQueue();
  const order: string[] = [];
  let running = 0;
  const task = (name: string, fail = false) => async () => {
    running++;
    assert.equal(running, 1);
    await new Promise((r) => setImmediate(r));
    order.push(name);
    running--;
    if (fail) throw new Error(name);
  };
  const all = [q.run(task('a')), q.run(task('b', true)).catch(() => 'caught'), q.run(task('c'))];
  await Promise.all(all);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(q.size, 0);
});
