// The one explanation of a service and the stack's summary (shared/explain.ts):
// what every view prints, so each state's sentence is pinned here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStackLabel, explainService, explainStackChange, serviceLine, summarizeStack } from '../../shared/explain.js';
import { aggregateState, type ExitInfo } from '../../shared/state.js';
import { fakeService } from '../helpers/fake-api.js';

const svc = fakeService.bind(null, 's');
const exit = (over: Partial<ExitInfo>): ExitInfo => ({ code: null, signal: null, at: 1_000, reason: 'crashed', ...over });

test('held: which dependency, the condition, and its state now', () => {
  const s = svc('api', { state: 'held', desired: 'up', held: { dependency: 'db', condition: 'healthy', state: 'failed' } });
  assert.equal(explainService(s), 'waiting for db to be healthy (db is failed)');
  assert.equal(explainService({ ...s, held: { dependency: 'queue', condition: 'started', state: null } }), 'waiting for queue, which is not in this stack');
});

test('stopped: by the user (and what it left holding a port), by its policy, or never started', () => {
  assert.equal(explainService(svc('api', { desired: 'down', lastExit: exit({ reason: 'stopped', signal: 'SIGTERM' }) })), 'stopped by you');
  assert.equal(
    explainService(svc('api', { desired: 'down', lastExit: exit({ reason: 'stopped' }), reason: 'port 80 is still held by process 9 (nginx), which is not ours' })),
    'stopped by you; port 80 is still held by process 9 (nginx), which is not ours',
  );
  assert.equal(explainService(svc('api', { desired: 'up', reason: 'exited with code 0; its restart policy (on-failure) does not restart it' })), 'exited with code 0; its restart policy (on-failure) does not restart it');
  assert.equal(explainService(svc('api', { desired: 'up' })), 'not started yet');
  assert.equal(explainService(svc('api', { desired: 'down' })), '', 'never started, not wanted: nothing to say');
});

test('running: nothing to add, unless adopted or restarted (then the last exit, not only a count)', () => {
  assert.equal(explainService(svc('api', { state: 'running', pid: 4 })), '');
  assert.equal(explainService(svc('api', { state: 'running', pid: 4, adopted: true })), 'adopted from an earlier owner');
  assert.equal(explainService(svc('api', { state: 'running', pid: 4, restarts: 1, lastExit: exit({ signal: 'SIGKILL' }) })), 'restarted once; last exit: was killed by SIGKILL');
  assert.equal(explainService(svc('api', { state: 'running', pid: 4, restarts: 3, lastExit: exit({ code: 1 }) })), 'restarted 3 times; last exit: exited with code 1');
});

test('starting, unhealthy, backoff, failed, completed', () => {
  assert.equal(explainService(svc('api', { state: 'starting', pid: 7 })), 'started as pid 7, waiting until ready');
  assert.equal(explainService(svc('api', { state: 'starting', pid: 7, health: { ok: false, detail: 'http 404 from /healthz', at: 0 } })), 'started as pid 7, waiting until ready; last check: http 404 from /healthz');
  assert.equal(explainService(svc('api', { state: 'unhealthy', pid: 7, reason: '3 health checks failed in a row (http 503)' })), '3 health checks failed in a row (http 503)');
  assert.equal(explainService(svc('api', { state: 'backoff', lastExit: exit({ code: 2, at: 1_000 }), nextRestartAt: 3_000 })), 'exited with code 2; restarting after 2.0s');
  assert.equal(explainService(svc('api', { state: 'failed', reason: 'api crashed 5 times within 1m (last: exited with code 1); not restarting until you do' })), 'api crashed 5 times within 1m (last: exited with code 1); not restarting until you do');
  assert.equal(explainService(svc('api', { state: 'failed', lastExit: exit({ reason: 'vanished' }) })), 'exited (exit code unknown: adopted process)');
  assert.equal(explainService(svc('api', { state: 'failed', survivors: [{ pid: 12, command: 'worker' }] })), 'still running: 12 (worker)');
  assert.equal(explainService(svc('migrate', { state: 'completed', lastExit: exit({ code: 0, reason: 'exited' }) })), 'completed: exited with code 0');
  assert.equal(explainService(svc('api', { state: 'stopping', pid: 7 })), '', 'the state word says it');
});

test('the stack summary counts what runs and names what does not', () => {
  const run = (n: string) => svc(n, { state: 'running', desired: 'up', pid: 1 });
  assert.deepEqual(summarizeStack([run('a'), run('b')]), { aggregate: 'running', text: 'all 2 running' });
  assert.deepEqual(summarizeStack([run('a')]), { aggregate: 'running', text: 'running' });
  const stopped = svc('api', { desired: 'down', lastExit: exit({ reason: 'stopped' }) });
  assert.deepEqual(summarizeStack([run('a'), run('b'), run('c'), run('d'), stopped]), { aggregate: 'partial', text: '4 of 5 running; api stopped' });
  const many = [run('a'), svc('b', { state: 'failed', desired: 'up' }), svc('c', { state: 'held', desired: 'up' }), svc('d', { state: 'backoff', desired: 'up' }), svc('e', { state: 'starting', desired: 'up' })];
  assert.deepEqual(summarizeStack(many), { aggregate: 'failed', text: '1 of 5 running; b failed, c held, d backoff, 1 more' });
  assert.deepEqual(summarizeStack([svc('a'), svc('b')]), { aggregate: 'stopped', text: 'stopped' });
});

test('aggregate: a held service is not up; a user stop is partial, not all running; completed tasks count as up', () => {
  assert.equal(aggregateState([svc('a', { state: 'running', desired: 'up' }), svc('b', { state: 'held', desired: 'up' })]), 'degraded');
  assert.equal(aggregateState([svc('a', { state: 'running', desired: 'up' }), svc('b', { desired: 'down' })]), 'partial');
  assert.equal(aggregateState([svc('a', { state: 'running', desired: 'up' }), svc('m', { state: 'completed', desired: 'up' })]), 'running');
});

test('a service line: name, state and why', () => {
  assert.equal(serviceLine(svc('api', { state: 'held', held: { dependency: 'db', condition: 'started', state: 'stopped' } })), 'api: held (waiting for db to be started (db is stopped))');
  assert.equal(serviceLine(svc('api', { state: 'running', pid: 3 })), 'api: running');
});

test('a changed stack file: what `corral up` would do, or why it cannot be applied; the Apply label', () => {
  const at = 1_000_000;
  const change = { at, error: null, restart: ['api', 'worker'], add: ['cache'], remove: ['old-worker'] };
  assert.equal(explainStackChange('/p/corral.yaml', change, at + 120_000), 'corral.yaml changed 2 min ago: `corral up` would restart api, worker; add cache; stop old-worker');
  assert.equal(explainStackChange('/p/corral.yaml', { ...change, restart: [], add: [], remove: [] }, at + 1000), 'corral.yaml changed just now: nothing running needs a restart; `corral up` or Apply records the new definitions');
  assert.equal(
    explainStackChange('/p/corral.yaml', { ...change, error: '/p/corral.yaml:3:1: bogus: Unknown field "bogus"\n/p/corral.yaml:9:5: services.a.ports[0]: Expected a port', restart: [], add: [], remove: [] }, at + 30_000),
    'corral.yaml changed 30 s ago and cannot be applied: /p/corral.yaml:3:1: bogus: Unknown field "bogus" (and 1 more problem)',
  );
  assert.equal(applyStackLabel('demo', change), 'Apply changes to demo (restarts api, worker; adds cache; stops old-worker)');
  assert.equal(applyStackLabel('demo', { restart: [], add: [], remove: [] }), 'Apply changes to demo');
});

test('running after a restart for changed watched files: says which file', () => {
  const w = { file: 'src/server.js', others: 0, at: 1 };
  assert.equal(explainService(svc('api', { state: 'running', pid: 4, desired: 'up', watchRestart: w })), 'restarted: src/server.js changed');
  assert.equal(explainService(svc('api', { state: 'running', pid: 4, desired: 'up', watchRestart: { ...w, others: 2 } })), 'restarted: src/server.js and 2 other files changed');
});
