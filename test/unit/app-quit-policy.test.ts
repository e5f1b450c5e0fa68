import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUIT_TIMEOUT_MS, QuitController, SHUTDOWN_TIMEOUT_MS, quitPlan, windowCloseAction, withBound } from '../../electron/app/quit-policy.js';

test('by default quitting leaves the services running', () => {
  const plan = quitPlan({ stopServicesOnQuit: false }, 'user');
  assert.equal(plan.stopServices, false);
  assert.match(plan.message, /services keep running and are adopted at the next launch/);
});

test('with stopServicesOnQuit, services are stopped, within a bound that is shorter at OS shutdown', () => {
  assert.deepEqual(
    { ...quitPlan({ stopServicesOnQuit: true }, 'user'), message: '' },
    { stopServices: true, timeoutMs: QUIT_TIMEOUT_MS, message: '' },
  );
  assert.equal(quitPlan({ stopServicesOnQuit: true }, 'os-shutdown').timeoutMs, SHUTDOWN_TIMEOUT_MS);
  assert.ok(SHUTDOWN_TIMEOUT_MS < QUIT_TIMEOUT_MS);
});

test('a handover never stops services, whatever the setting', () => {
  assert.equal(quitPlan({ stopServicesOnQuit: true }, 'handover').stopServices, false);
});

test('the quit state machine: close once, ignore repeats while closing, then let Electron quit', () => {
  const q = new QuitController();
  assert.equal(q.quitting, false);
  assert.equal(q.beforeQuit(), 'prevent-and-close');
  assert.equal(q.quitting, true);
  assert.equal(q.beforeQuit(), 'prevent', 'Cmd+Q pressed again while services stop');
  q.closed();
  assert.equal(q.beforeQuit(), 'allow');
  assert.equal(q.state, 'closed');
});

test('closing the window hides it, unless the app is quitting', () => {
  assert.equal(windowCloseAction(false), 'hide');
  assert.equal(windowCloseAction(true), 'close');
});

test('withBound: the work, its error, or the timeout, never a rejection', async () => {
  assert.equal(await withBound(Promise.resolve(1), 1000), 'done');
  const err = new Error('x');
  assert.deepEqual(await withBound(Promise.reject(err), 1000), { error: err });
  const started = Date.now();
  assert.equal(await withBound(new Promise(() => {}), 50), 'timeout');
  assert.ok(Date.now() - started < 1000);
});
