import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MenuItemConstructorOptions } from 'electron';
import { buildTrayMenu, findItem, menuSignature, type TrayActions, type TrayMenuOptions } from '../../electron/app/tray-menu.js';
import { recorder, service, settings, snapshot, stigmerRunning } from './app-fixtures.js';

type Item = MenuItemConstructorOptions;

function setup(over: Partial<TrayMenuOptions> = {}) {
  const { calls, impl } = recorder<TrayActions>();
  const opts: TrayMenuOptions = { actions: impl, launchAtLogin: { available: true }, ...over };
  return { calls, opts };
}

const click = (items: Item[], id: string) => {
  const item = findItem(items, id);
  assert.ok(item, `no menu item ${id}`);
  assert.notEqual(item.enabled, false, `${id} is disabled`);
  (item.click as () => void)();
};
const labels = (items: Item[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));

test('all running: one header per stack, one item per service with its state, then the global items', () => {
  const { opts } = setup();
  const menu = buildTrayMenu(stigmerRunning(), settings(), opts);
  assert.deepEqual(labels(menu), [
    'stigmer — all 4 running',
    '● temporal — Running',
    '● stigmer-server — Running',
    '● workflow-runner — Running',
    '● agent-runner — Running',
    '---',
    'Start All',
    'Stop All',
    '---',
    'Open Corral…',
    'Open App Log',
    'Launch at Login',
    'Stop Services on Quit',
    '---',
    'Quit Corral (Services Keep Running)',
  ]);
  assert.equal(findItem(menu, 'start-all')!.enabled, false, 'nothing to start');
  assert.equal(findItem(menu, 'stop-all')!.enabled, true);
});

test('each service has its state details, start/stop/restart enabled by state, and view logs', () => {
  const { calls, opts } = setup();
  const menu = buildTrayMenu(stigmerRunning(), settings(), opts);
  const sub = findItem(menu, 'service:stigmer/stigmer-server')!.submenu as Item[];
  assert.deepEqual(labels(sub), ['Running · pid 1002 · port 7234', 'adopted from an earlier owner', '---', 'Start', 'Stop', 'Restart', '---', 'View Logs']);
  assert.equal(sub[0]!.enabled, false, 'details are not clickable');
  assert.equal(findItem(menu, 'start:stigmer/stigmer-server')!.enabled, false, 'already running');
  click(menu, 'stop:stigmer/stigmer-server');
  click(menu, 'restart:stigmer/temporal');
  click(menu, 'logs:stigmer/workflow-runner');
  assert.deepEqual(calls, ['stop("stigmer", "stigmer-server")', 'restart("stigmer", "temporal")', 'viewLogs("stigmer", "workflow-runner")']);
});

test('a stopped service can be started, not stopped or restarted', () => {
  const { calls, opts } = setup();
  const menu = buildTrayMenu(snapshot({ demo: [service('api', 'stopped')] }), settings(), opts);
  assert.equal(findItem(menu, 'service:demo/api')!.label, '○ api — Stopped');
  assert.equal(findItem(menu, 'stop:demo/api')!.enabled, false);
  assert.equal(findItem(menu, 'restart:demo/api')!.enabled, false);
  assert.equal(findItem(menu, 'stop-all')!.enabled, false);
  click(menu, 'start:demo/api');
  click(menu, 'start-all');
  assert.deepEqual(calls, ['start("demo", "api")', 'startAll()']);
});

test('a failed service puts "Restart <name>" at the very top, and its reason in its details', () => {
  const { calls, opts } = setup();
  const snap = snapshot({
    stigmer: [
      service('temporal', 'running'),
      service('stigmer-server', 'failed', { reason: 'crashed 5 times in 60 s (exit code 1)', restarts: 5 }),
    ],
  });
  const menu = buildTrayMenu(snap, settings(), opts);
  assert.equal(menu[0]!.label, 'Restart stigmer-server');
  assert.equal(menu[0]!.id, 'restart-failed:stigmer/stigmer-server');
  assert.equal(menu[1]!.type, 'separator');
  assert.equal(findItem(menu, 'service:stigmer/stigmer-server')!.label, '✕ stigmer-server — Failed');
  const details = (findItem(menu, 'service:stigmer/stigmer-server')!.submenu as Item[]).filter((i) => i.enabled === false && i.type !== 'separator');
  assert.deepEqual(details.map((d) => d.label), ['Failed · 5 restarts', 'crashed 5 times in 60 s (exit code 1)']);
  assert.equal(findItem(menu, 'start:stigmer/stigmer-server')!.enabled, true, 'a failed service can be started again');
  click(menu, 'restart-failed:stigmer/stigmer-server');
  assert.deepEqual(calls, ['restart("stigmer", "stigmer-server")']);
});

test('several failed services, in two stacks with a shared service name: the stack disambiguates', () => {
  const { opts } = setup();
  const snap = snapshot({
    a: [service('api', 'failed'), service('db', 'failed')],
    b: [service('api', 'running')],
  });
  const menu = buildTrayMenu(snap, settings(), opts);
  assert.deepEqual(labels(menu).slice(0, 3), ['Restart api (a)', 'Restart db', '---']);
  assert.ok(labels(menu).includes('b — running'));
  assert.equal(labels(menu).filter((l) => l === '---').length, 5, 'stacks are separated');
});

test('port holder and stop survivors are shown in the service details', () => {
  const { opts } = setup();
  const snap = snapshot({
    s: [
      service('temporal', 'failed', { reason: 'port 7233 is held by another program', portHolder: { pid: 999, command: 'nc', port: 7233 } }),
      service('api', 'failed', { reason: 'api: stop left 1 process running: 12 (worker)', survivors: [{ pid: 12, command: 'worker' }] }),
    ],
  });
  const menu = buildTrayMenu(snap, settings(), opts);
  const t = labels(findItem(menu, 'service:s/temporal')!.submenu as Item[]);
  assert.ok(t.includes('Port 7233 is held by nc (pid 999)'), t.join('|'));
  const a = labels(findItem(menu, 'service:s/api')!.submenu as Item[]);
  assert.ok(a.includes('api: stop left 1 process running: 12 (worker)'), a.join('|'));
});

test('stack submenu acts on the whole stack', () => {
  const { calls, opts } = setup();
  const menu = buildTrayMenu(stigmerRunning(), settings(), opts);
  click(menu, 'stop-stack:stigmer');
  click(menu, 'restart-stack:stigmer');
  click(menu, 'logs-stack:stigmer');
  assert.deepEqual(calls, ['stop("stigmer")', 'restart("stigmer")', 'viewLogs("stigmer")']);
  assert.equal(findItem(menu, 'stack-file:stigmer')!.label, '/home/dev/stigmer/corral.yaml');
});

test('no stacks: says so; start all and stop all are disabled', () => {
  const { opts } = setup();
  const menu = buildTrayMenu(snapshot({}), settings(), opts);
  assert.equal(menu[0]!.label, 'No stacks yet: run `corral up` in a project');
  assert.equal(findItem(menu, 'start-all')!.enabled, false);
  assert.equal(findItem(menu, 'stop-all')!.enabled, false);
});

test('launch at login is a checkbox that reflects and toggles the setting', () => {
  const { calls, opts } = setup();
  const off = buildTrayMenu(stigmerRunning(), settings({ launchAtLogin: false }), opts);
  const item = findItem(off, 'launch-at-login')!;
  assert.equal(item.type, 'checkbox');
  assert.equal(item.checked, false);
  click(off, 'launch-at-login');
  const on = buildTrayMenu(stigmerRunning(), settings({ launchAtLogin: true }), opts);
  assert.equal(findItem(on, 'launch-at-login')!.checked, true);
  click(on, 'launch-at-login');
  assert.deepEqual(calls, ['setLaunchAtLogin(true)', 'setLaunchAtLogin(false)']);
});

test('stop services on quit is a checkbox that reflects and toggles the setting', () => {
  const { calls, opts } = setup();
  const off = buildTrayMenu(stigmerRunning(), settings({ stopServicesOnQuit: false }), opts);
  assert.equal(findItem(off, 'stop-on-quit')!.type, 'checkbox');
  assert.equal(findItem(off, 'stop-on-quit')!.checked, false);
  click(off, 'stop-on-quit');
  const on = buildTrayMenu(stigmerRunning(), settings({ stopServicesOnQuit: true }), opts);
  assert.equal(findItem(on, 'stop-on-quit')!.checked, true);
  click(on, 'stop-on-quit');
  assert.deepEqual(calls, ['setStopServicesOnQuit(true)', 'setStopServicesOnQuit(false)']);
});

test('launch at login is disabled, with the reason, in an unpackaged build', () => {
  const { opts } = setup({ launchAtLogin: { available: false, reason: 'packaged app only' } });
  const item = findItem(buildTrayMenu(stigmerRunning(), settings({ launchAtLogin: true }), opts), 'launch-at-login')!;
  assert.equal(item.enabled, false);
  assert.equal(item.checked, false);
  assert.equal(item.label, 'Launch at Login (packaged app only)');
});

test('quit says what happens to the services, and calls quit', () => {
  const { calls, opts } = setup();
  const keep = buildTrayMenu(stigmerRunning(), settings(), opts);
  assert.equal(findItem(keep, 'quit')!.label, 'Quit Corral (Services Keep Running)');
  const stop = buildTrayMenu(stigmerRunning(), settings({ stopServicesOnQuit: true }), opts);
  assert.equal(findItem(stop, 'quit')!.label, 'Quit Corral and Stop Services');
  click(stop, 'quit');
  click(stop, 'open-window');
  click(stop, 'open-app-log');
  assert.deepEqual(calls, ['quit()', 'openWindow()', 'openAppLog()']);
});

test('menu ids are unique', () => {
  const { opts } = setup();
  const snap = snapshot({ a: [service('api', 'failed'), service('db', 'running')], b: [service('api', 'stopped')] });
  const ids: string[] = [];
  const walk = (items: Item[]) => {
    for (const i of items) {
      if (i.id) ids.push(i.id);
      if (Array.isArray(i.submenu)) walk(i.submenu);
    }
  };
  walk(buildTrayMenu(snap, settings(), opts));
  assert.equal(new Set(ids).size, ids.length, ids.filter((id, n) => ids.indexOf(id) !== n).join(', '));
});

test('the signature changes when what is shown changes, and only then', () => {
  const { opts } = setup();
  const a = menuSignature(buildTrayMenu(stigmerRunning(), settings(), opts));
  const b = menuSignature(buildTrayMenu({ ...stigmerRunning(), seq: 99 }, settings(), opts));
  assert.equal(a, b, 'a new snapshot with the same content renders the same menu');
  const failed = stigmerRunning();
  failed.stacks[0]!.services[0] = service('temporal', 'failed');
  assert.notEqual(menuSignature(buildTrayMenu(failed, settings(), opts)), a);
  assert.notEqual(menuSignature(buildTrayMenu(stigmerRunning(), settings({ launchAtLogin: true }), opts)), a);
});

test('a service with an address has Open in its submenu (enabled while it runs); one without has none', () => {
  const { calls, opts } = setup();
  const snap = snapshot({ s: [service('web', 'running', { url: 'http://127.0.0.1:8080/' }), service('docs', 'stopped', { url: 'http://127.0.0.1:9000/' }), service('worker', 'running')] });
  const menu = buildTrayMenu(snap, settings(), opts);
  assert.equal(findItem(menu, 'open:s/web')!.label, 'Open http://127.0.0.1:8080/');
  assert.equal(findItem(menu, 'open:s/docs')!.enabled, false, 'nothing answers a stopped service');
  assert.equal(findItem(menu, 'open:s/worker'), undefined);
  click(menu, 'open:s/web');
  assert.deepEqual(calls, ['open("s", "web")']);
});

test('a changed stack file: "Apply changes to <stack>" near the top says what it restarts, adds and stops; one click applies', () => {
  const { calls, opts } = setup();
  const snap = stigmerRunning();
  snap.stacks[0]!.pending = { at: 1_700_000_000_000, error: null, restart: ['temporal', 'stigmer-server'], add: ['cache'], remove: ['old-worker'] };
  const menu = buildTrayMenu(snap, settings(), opts);
  assert.equal(labels(menu)[0], 'Apply changes to stigmer (restarts temporal, stigmer-server; adds cache; stops old-worker)');
  assert.equal(labels(menu)[1], '---');
  click(menu, 'apply-stack:stigmer');
  assert.deepEqual(calls, ['applyStack("stigmer")']);
  // Nothing pending: no item.
  assert.equal(findItem(buildTrayMenu(stigmerRunning(), settings(), opts), 'apply-stack:stigmer'), undefined);
});

test('a changed stack file that cannot be applied: a disabled item whose tooltip is the error', () => {
  const { opts } = setup();
  const snap = stigmerRunning();
  snap.stacks[0]!.pending = { at: 1_700_000_000_000, error: '/home/dev/stigmer/corral.yaml:4:14: services.temporal.ports[0]: Expected a port number (1-65535), got 0', restart: [], add: [], remove: [] };
  const menu = buildTrayMenu(snap, settings(), opts);
  const item = findItem(menu, 'apply-stack:stigmer')!;
  assert.equal(item.label, 'stigmer: stack file changed, cannot be applied');
  assert.equal(item.enabled, false);
  assert.match(String(item.toolTip), /corral\.yaml:4:14: .*Expected a port number/);
});
