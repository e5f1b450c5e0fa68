// describeService's parts that need no process: the history ring, the command
// as written, the health check in words, and the request's validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_SIZE, ServiceHistory } from '../../electron/engine/service-history.js';
import { commandAsWritten, healthCheckText } from '../../electron/host/operations/describe-service.js';
import { dispatchCall, type ApiHandlers } from '../../electron/host/dispatch.js';
import type { ExitInfo } from '../../shared/state.js';

test('the history keeps the last exits and health results, each once, newest first', () => {
  const h = new ServiceHistory();
  const exits: ExitInfo[] = Array.from({ length: HISTORY_SIZE + 3 }, (_, i) => ({ code: 1, signal: null, at: i, reason: 'crashed' }));
  for (const e of exits) {
    h.exit(e);
    h.exit(e); // the same exit set again (a state change that keeps it) is not a new exit
    h.exit(null);
  }
  assert.deepEqual(h.exits.newestFirst().map((e) => e.at), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
  const ok = { ok: true, detail: 'tcp ok', at: 1 };
  h.healthResult(ok);
  h.healthResult(ok);
  h.healthResult({ ok: false, detail: 'refused', at: 2 });
  assert.deepEqual(h.health.newestFirst().map((r) => r.detail), ['refused', 'tcp ok']);
});

test('the command reads as the stack file has it', () => {
  assert.equal(commandAsWritten(['/bin/sh', '-c', 'npm run dev -- --port 3000']), 'npm run dev -- --port 3000');
  assert.equal(commandAsWritten(['node', 'server.js', '--name', 'my app', "it's"]), `node server.js --name 'my app' 'it'\\''s'`);
  assert.equal(
    healthCheckText({ check: { kind: 'http', url: 'http://127.0.0.1:7300/healthz', status: [200, 399] }, intervalMs: 5000, timeoutMs: 1000, failureThreshold: 3 }),
    'http http://127.0.0.1:7300/healthz (status 200–399), every 5.0s',
  );
  assert.equal(healthCheckText({ check: { kind: 'log', pattern: 'ready' }, intervalMs: 5000, timeoutMs: 1000, failureThreshold: 3 }), 'a log line matching /ready/ (readiness only)');
});

test('describeService is validated like every call: a bad request reaches no handler', async () => {
  let called = 0;
  const handlers = { describeService: async () => (called++, {}) } as unknown as ApiHandlers;
  for (const bad of [{ stack: 'demo' }, { stack: 'demo', service: '../etc' }, { stack: 'demo', service: 'api', extra: 1 }]) {
    const r = await dispatchCall(handlers, 'describeService', bad);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.error.code, 'bad-request');
  }
  assert.equal(called, 0);
  assert.equal((await dispatchCall(handlers, 'describeService', { stack: 'demo', service: 'api' })).ok, true);
});
