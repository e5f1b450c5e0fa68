import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { NotificationConstructorOptions } from 'electron';
import { failureNotice, liveNotifications, notifyFailure } from '../../electron/app/notifications.js';
import { service } from './app-fixtures.js';

const failed = service('stigmer-server', 'failed', {
  reason: 'crashed 5 times in 60 s; supervision stopped',
  lastLogLines: ['starting', 'panic: listen tcp :7234: bind: address already in use', ''],
});

test('the notice names the service and stack, says why, and shows the last log line', () => {
  const n = failureNotice(failed, 'linux');
  assert.equal(n.options.title, 'stigmer-server failed (stigmer)');
  assert.equal(n.options.body, 'crashed 5 times in 60 s; supervision stopped\npanic: listen tcp :7234: bind: address already in use\nClick to restart and see the logs.');
  assert.deepEqual(n.onClick, ['restart', 'open-logs'], 'no action buttons off macOS: the click also opens the logs');
  assert.equal(n.options.actions, undefined);
});

test('macOS: click restarts, the "View Logs" button opens the logs', () => {
  const n = failureNotice(failed, 'darwin');
  assert.deepEqual(n.onClick, ['restart']);
  assert.deepEqual(n.options.actions, [{ type: 'button', text: 'View Logs' }]);
  assert.deepEqual(n.onAction, ['open-logs']);
});

test('without a reason the last exit is described; long lines are clipped', () => {
  const s = service('api', 'failed', { lastExit: { code: 1, signal: null, at: 0, reason: 'crashed' }, lastLogLines: ['x'.repeat(500)] });
  const body = failureNotice(s, 'linux').options.body!;
  assert.match(body, /^exited with code 1\nx{159}…\n/);
});

class FakeNotification extends EventEmitter {
  static supported = true;
  static made: FakeNotification[] = [];
  static isSupported() {
    return FakeNotification.supported;
  }
  shown = false;
  constructor(readonly options: NotificationConstructorOptions) {
    super();
    FakeNotification.made.push(this);
  }
  show() {
    this.shown = true;
  }
}

test('clicking the notification restarts the service (and opens its logs off macOS)', () => {
  const calls: string[] = [];
  const handlers = { restart: (st: string, s: string) => calls.push(`restart ${st}/${s}`), openLogs: (st: string, s: string) => calls.push(`logs ${st}/${s}`) };
  assert.equal(notifyFailure(FakeNotification as never, failed, 'linux', handlers), true);
  const n = FakeNotification.made.at(-1)!;
  assert.equal(n.shown, true);
  n.emit('click');
  assert.deepEqual(calls, ['restart stigmer/stigmer-server', 'logs stigmer/stigmer-server']);

  calls.length = 0;
  notifyFailure(FakeNotification as never, failed, 'darwin', handlers);
  const mac = FakeNotification.made.at(-1)!;
  mac.emit('action', {}, 0);
  mac.emit('action', {}, 7);
  assert.deepEqual(calls, ['logs stigmer/stigmer-server']);
  mac.emit('click');
  assert.deepEqual(calls, ['logs stigmer/stigmer-server', 'restart stigmer/stigmer-server']);
});

test('where notifications are unsupported, nothing is shown', () => {
  FakeNotification.supported = false;
  const before = FakeNotification.made.length;
  assert.equal(notifyFailure(FakeNotification as never, failed, 'linux', { restart: () => {}, openLogs: () => {} }), false);
  assert.equal(FakeNotification.made.length, before);
  FakeNotification.supported = true;
});

test('a notification the OS refuses (`failed`: unsigned macOS build) falls back and is not kept', () => {
  const calls: string[] = [];
  const handlers = {
    restart: () => calls.push('restart'),
    openLogs: () => calls.push('logs'),
    fallback: (st: string, s: string, why: string) => calls.push(`fallback ${st}/${s}: ${why}`),
  };
  const before = liveNotifications();
  assert.equal(notifyFailure(FakeNotification as never, failed, 'darwin', handlers), true);
  assert.equal(liveNotifications(), before + 1);
  FakeNotification.made.at(-1)!.emit('failed', {}, 'Notifications are not allowed for this application');
  assert.deepEqual(calls, ['fallback stigmer/stigmer-server: Notifications are not allowed for this application']);
  assert.equal(liveNotifications(), before, 'a failed notification is let go');

  // Unsupported: the fallback too.
  FakeNotification.supported = false;
  calls.length = 0;
  assert.equal(notifyFailure(FakeNotification as never, failed, 'linux', handlers), false);
  assert.equal(calls.length, 1);
  FakeNotification.supported = true;
});
