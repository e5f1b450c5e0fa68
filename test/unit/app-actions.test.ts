import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionResult, Settings } from '../../shared/api.js';
import { createTrayActions, type ActionDeps } from '../../electron/app/actions.js';
import { createSettingsSync } from '../../electron/app/settings-sync.js';
import type { Autostart } from '../../electron/app/autostart.js';
import { service, settings, snapshot } from './app-fixtures.js';

function deps(over: Partial<ActionDeps> = {}) {
  const log: string[] = [];
  const result = (stack: string, ok = true, message = 'done'): ActionResult => ({ outcomes: [{ stack, service: 'api', ok, state: ok ? 'running' : 'failed', message }] });
  const d: ActionDeps = {
    api: {
      start: async (r) => (log.push(`start ${JSON.stringify(r)}`), result(r.stack)),
      stop: async (r) => (log.push(`stop ${JSON.stringify(r)}`), result(r.stack)),
      restart: async (r) => (log.push(`restart ${JSON.stringify(r)}`), result(r.stack, false, 'port 7234 is held by nc (pid 9): stop it or change the port')),
      openService: async (r) => (log.push(`openService ${JSON.stringify(r)}`), { url: 'http://127.0.0.1:8080/', opened: r.service !== 'headless' }),
      applyStack: async (r) => {
        log.push(`applyStack ${JSON.stringify(r)}`);
        if (r.stack === 'broken') throw new Error('corral.yaml:3:5: services.api.command: Expected a command');
        return { stack: r.stack, outcomes: [{ stack: r.stack, service: 'worker', ok: false, state: 'failed', message: 'worker exited with code 1 during startup' }], recreated: ['worker'] };
      },
    },
    snapshot: () => snapshot({ a: [service('api', 'stopped')], b: [service('db', 'running')] }),
    settings: () => settings(),
    setSettings: async (p) => (log.push(`setSettings ${JSON.stringify(p)}`), { ...settings(), ...p }),
    showWindow: (route) => log.push(`show ${JSON.stringify(route ?? null)}`),
    openAppLog: () => log.push('openAppLog'),
    quit: () => log.push('quit'),
    report: (title, message) => log.push(`report ${title}: ${message}`),
    ...over,
  };
  return { d, log };
}

test('menu actions become owner calls: one service, a whole stack, every stack', async () => {
  const { d, log } = deps();
  const a = createTrayActions(d);
  a.start('a', 'api');
  a.stop('b');
  a.startAll();
  await a.pending();
  assert.deepEqual(log, ['start {"stack":"a","services":["api"]}', 'stop {"stack":"b"}', 'start {"stack":"a"}', 'start {"stack":"b"}']);
});

test('a refused action is reported with the owner message, not swallowed', async () => {
  const { d, log } = deps();
  const a = createTrayActions(d);
  a.restart('a', 'api');
  await a.pending();
  assert.equal(log.at(-1), 'report Could not restart api: port 7234 is held by nc (pid 9): stop it or change the port');
});

test('a thrown error is reported too, never an unhandled rejection', async () => {
  const { d, log } = deps({
    api: {
      start: async () => {
        throw new Error('No stack named `zzz`.');
      },
      stop: async () => ({ outcomes: [] }),
      restart: async () => ({ outcomes: [] }),
      openService: async () => ({ url: 'http://127.0.0.1:8080/', opened: true }),
      applyStack: async (r) => ({ stack: r.stack, outcomes: [], recreated: [] }),
    },
    setSettings: async () => {
      throw new Error('Launch at login is only available in the packaged app');
    },
  });
  const a = createTrayActions(d);
  a.start('zzz');
  a.setLaunchAtLogin(true);
  await a.pending();
  assert.deepEqual(log, ['report Could not start zzz: No stack named `zzz`.', 'report Could not change launch at login: Launch at login is only available in the packaged app']);
});

test('window, logs, app log and quit', async () => {
  const { d, log } = deps();
  const a = createTrayActions(d);
  a.viewLogs('a', 'api');
  a.viewLogs('a');
  a.openWindow();
  a.openAppLog();
  a.quit();
  assert.deepEqual(log, ['show {"view":"logs","stack":"a","service":"api"}', 'show {"view":"logs","stack":"a"}', 'show null', 'openAppLog', 'quit']);
});

function fakeAutostart(available = true, enabled = false) {
  const calls: boolean[] = [];
  const a: Pick<Autostart, 'availability' | 'isEnabled' | 'setEnabled'> = {
    availability: available ? { available: true } : { available: false, reason: 'packaged app only' },
    isEnabled: () => enabled,
    setEnabled: (on) => {
      if (on && !available) throw Object.assign(new Error('Launch at login is only available in the packaged app'), { code: 'conflict' });
      calls.push(on);
      enabled = on;
    },
  };
  return { a, calls, isOn: () => enabled };
}

function store(initial: Settings, failSet = false) {
  let s = initial;
  return {
    get: async () => s,
    set: async (p: Partial<Settings>) => {
      if (failSet) throw new Error('disk full');
      s = { ...s, ...p };
      return s;
    },
    now: () => s,
  };
}

/** The settings sync over a fake OS and store; `changes` (when given) hears every change. */
function syncOver(os: ReturnType<typeof fakeAutostart>, st: ReturnType<typeof store>, changes?: Settings[]) {
  return createSettingsSync({ get: st.get, set: st.set, autostart: os.a, onChange: (s) => void changes?.push(s) });
}

test('settings: launch at login goes to the OS first, then is stored; listeners hear the change', async () => {
  const os = fakeAutostart();
  const st = store(settings());
  const changes: Settings[] = [];
  const sync = syncOver(os, st, changes);
  await sync.load();
  const next = await sync.set({ launchAtLogin: true });
  assert.equal(next.launchAtLogin, true);
  assert.equal(os.isOn(), true);
  assert.equal(st.now().launchAtLogin, true);
  assert.deepEqual(changes.map((c) => c.launchAtLogin), [false, true]);
  await sync.set({ stopServicesOnQuit: true });
  assert.deepEqual(os.calls, [true], 'other settings do not touch the OS');
});

test('settings: an unpackaged build refuses launch at login and stores nothing', async () => {
  const os = fakeAutostart(false);
  const st = store(settings());
  const sync = syncOver(os, st);
  await sync.load();
  await assert.rejects(sync.set({ launchAtLogin: true }), /only available in the packaged app/);
  assert.equal(st.now().launchAtLogin, false);
  assert.equal((await sync.set({ launchAtLogin: false })).launchAtLogin, false, 'turning it off is always fine');
});

test('settings: if storing fails, the OS change is rolled back', async () => {
  const os = fakeAutostart();
  const st = store(settings(), true);
  const sync = syncOver(os, st);
  await assert.rejects(sync.set({ launchAtLogin: true }), /disk full/);
  assert.deepEqual(os.calls, [true, false]);
  assert.equal(os.isOn(), false);
});

test('settings: at load the OS is the truth for launch at login (the user removed the login item)', async () => {
  const os = fakeAutostart(true, false);
  const st = store(settings({ launchAtLogin: true }));
  const sync = syncOver(os, st);
  assert.equal((await sync.load()).launchAtLogin, false);
  assert.equal(st.now().launchAtLogin, false);
  assert.deepEqual(os.calls, [], 'not re-registered behind the user\'s back');

  const on = fakeAutostart(true, true);
  const st2 = store(settings({ launchAtLogin: true }));
  await syncOver(on, st2).load();
  assert.deepEqual(on.calls, [true], 'an enabled entry is rewritten, in case the app moved');
});

test('settings: a change made elsewhere (the web UI) reaches the OS and the tray; a refusal is put back', async () => {
  const os = fakeAutostart();
  const st = store(settings());
  const changes: Settings[] = [];
  const sync = syncOver(os, st, changes);
  await sync.load();
  await sync.changedElsewhere(settings({ launchAtLogin: true, notifyOnFailure: false }));
  assert.equal(os.isOn(), true);
  assert.equal(sync.current().notifyOnFailure, false);
  assert.equal(changes.at(-1)?.launchAtLogin, true);
  // The app's own change arrives as an event too: the OS already agrees, nothing is done twice.
  await sync.set({ launchAtLogin: false });
  await sync.changedElsewhere(st.now());
  assert.deepEqual(os.calls, [true, false]);

  const refusing = fakeAutostart(false);
  const st2 = store(settings());
  const sync2 = syncOver(refusing, st2);
  await sync2.load();
  await sync2.changedElsewhere(settings({ launchAtLogin: true }));
  assert.equal(st2.now().launchAtLogin, false, 'stored back to what the OS has');
  assert.equal(sync2.current().launchAtLogin, false);
});

test('Open: an owner call; where nothing could be opened, the address is reported', async () => {
  const { d, log } = deps();
  const a = createTrayActions(d);
  a.open('a', 'api');
  a.open('a', 'headless');
  await a.pending();
  assert.deepEqual(log, ['openService {"stack":"a","service":"api"}', 'openService {"stack":"a","service":"headless"}', 'report Could not open headless: Open http://127.0.0.1:8080/ in your browser.']);
});

test('apply changes: one owner call; a refusal or a service that did not start is reported', async () => {
  const { d, log } = deps();
  const a = createTrayActions(d);
  a.applyStack('a');
  a.applyStack('broken');
  await a.pending();
  assert.deepEqual(log, [
    'applyStack {"stack":"a"}',
    'applyStack {"stack":"broken"}',
    'report Applied a, but worker did not start: worker exited with code 1 during startup',
    'report Could not apply the changes to broken: corral.yaml:3:5: services.api.command: Expected a command',
  ]);
});
