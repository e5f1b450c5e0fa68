// App Nap (macOS): the shell holds a 'prevent-app-suspension' blocker exactly
// while some service has a process; the fake's powerSaveBlocker follows
// Electron's rules (after ready only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppNapGuard } from '../../electron/app/app-nap.js';
import { app, powerSaveBlocker, state } from './app-fake-electron.js';
import type { Snapshot } from '../../shared/state.js';

const snap = (pids: (number | null)[]): Snapshot =>
  ({ stacks: [{ name: 's', services: pids.map((pid, i) => ({ name: `svc${i}`, pid })) }] }) as unknown as Snapshot;

test('macOS: the app is kept out of App Nap while services run, and only then', async () => {
  assert.throws(() => powerSaveBlocker.start('prevent-app-suspension'), /before the app is ready/);
  await app.whenReady();
  const guard = new AppNapGuard(powerSaveBlocker, 'darwin');
  guard.update(snap([null]));
  assert.equal(state.blockers.size, 0);
  guard.update(snap([null, 4242]));
  assert.deepEqual([...state.blockers.values()], ['prevent-app-suspension']);
  guard.update(snap([4242, 4243]));
  assert.equal(state.blockersEverStarted, 1, 'one blocker, not one per snapshot');
  guard.update(snap([null, null]));
  assert.equal(state.blockers.size, 0);
  guard.update(snap([7]));
  guard.dispose();
  assert.equal(state.blockers.size, 0, 'released when the app quits');
});

test('Linux and Windows: no blocker (no App Nap; on Linux it would inhibit suspend)', async () => {
  await app.whenReady();
  const guard = new AppNapGuard(powerSaveBlocker, 'linux');
  const before = state.blockersEverStarted;
  guard.update(snap([4242]));
  assert.equal(state.blockersEverStarted, before);
});
