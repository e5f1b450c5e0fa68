// main.ts cannot run without Electron, and there is no Electron binary on
// every machine. So the shipped bundle (dist-electron/main.js, `npm run
// build:electron`) runs here in plain Node with `electron` (and electron-log)
// resolved to a recording fake that enforces Electron 45's rules, against a
// real owner: the glue's wiring (order, handlers, quit sequence) is executed,
// not only type-checked, and any unhandled rejection fails the test. The real
// thing runs in test/electron where a binary exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import './fake-electron-loader.js';
import type { Snapshot } from '../../shared/state.js';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { readOwnerLock } from '../../electron/engine/state/owner-lock.js';
import { ControlClient } from '../../electron/host/control/client.js';
import type { state as FakeState, app as FakeApp, BrowserWindow as FakeWindow, Tray as FakeTray } from './app-fake-electron.js';
import { REPO_ROOT, fixture, freePort, tempHome, waitFor } from '../helpers/env.js';

type Fake = { app: typeof FakeApp; state: typeof FakeState; powerMonitor: NodeJS.EventEmitter & { shutdown(): boolean } };

const BUNDLE = join(REPO_ROOT, 'dist-electron', 'main.js');
const LOADER = join(REPO_ROOT, 'dist', 'test', 'unit', 'fake-electron-loader.js');

function requireBundle(): void {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`npm run build:electron\` first (npm test does)`);
}
type Reply = { value?: unknown; error?: { code: string; message: string } };
type MenuItem = { id?: string; label?: string; click?: () => void; submenu?: MenuItem[] };

const labels = (items: MenuItem[]): string[] => items.flatMap((i) => [i.label ?? '', ...(i.submenu ? labels(i.submenu) : [])]);
const lastMenu = (tray: FakeTray) => (tray.menus.at(-1)?.template ?? []) as MenuItem[];
const imagePath = (tray: FakeTray) => (tray.images.at(-1) as { path: string }).path;

test('main.ts wires owner, tray, window, IPC, settings and quit together (fake Electron, real owner)', async (t) => {
  const { home, cleanup } = tempHome('app-main');
  const saved = { env: { ...process.env }, argv: process.argv };
  // When an assertion fails mid-way the app still runs (owner, socket, timers): quit it, or the run hangs.
  let quitIfRunning: () => Promise<void> = async () => {};
  // And the services it left running (quit leaves them by design): ended by an owner of the same data, by their markers.
  let stopLeftServices: () => Promise<void> = async () => {};
  t.after(async () => {
    await quitIfRunning();
    await stopLeftServices().catch(() => {});
    process.env = saved.env;
    process.argv = saved.argv;
    cleanup();
  });

  requireBundle();
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => void rejections.push(e);
  process.on('unhandledRejection', onRejection);
  t.after(() => void process.off('unhandledRejection', onRejection));

  const port = await freePort();
  const stackFile = join(home, 'corral.yaml');
  writeFileSync(
    stackFile,
    `version: 1\nname: smoke\nservices:\n  web:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture('http-server.mjs'))}, --port, "${port}"]\n    ports: [${port}]\n    health: { http: { url: "http://127.0.0.1:${port}/healthz" } }\n`,
  );
  const data = join(home, 'data');
  stopLeftServices = async () => {
    const left = await Owner.open({ home: data, kind: 'embedded' });
    await left.close({ stopServices: true });
  };
  Object.assign(process.env, { CORRAL_HOME: data, XDG_CONFIG_HOME: join(home, 'cfg'), SHELL: '/bin/sh', CORRAL_E2E: '1' });
  process.argv = [process.execPath, BUNDLE, '--stack', stackFile];

  await import(pathToFileURL(BUNDLE).href);
  const { app, state, powerMonitor } = (globalThis as unknown as { __fakeElectron: Fake }).__fakeElectron;
  quitIfRunning = async () => {
    if (app.quitted) return;
    app.quit();
    await waitFor(() => app.quitted, 20_000, 'the app to quit after a failure').catch(() => {});
  };
  await waitFor(() => (globalThis as { __corralE2E?: unknown }).__corralE2E || state.errors.length > 0, 15_000, 'main.ts start()');
  assert.deepEqual(state.errors, [], 'start() reported an error');
  const hook = (globalThis as unknown as { __corralE2E: { clickTray(id: string): boolean; snapshot(): Snapshot; resourceWatches(): string[] } }).__corralE2E;

  // The custom scheme, served from renderer/dist with the CSP.
  assert.deepEqual(state.schemes, [{ scheme: 'corral-app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  const page = await state.protocolHandlers.get('corral-app')!(new Request('corral-app://app/index.html'));
  assert.ok([200, 404].includes(page.status), `index.html: ${page.status}`);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);

  // The window: secure options, our preload, the status view, hardened.
  assert.equal(state.windows.length, 1);
  const win = state.windows[0] as FakeWindow;
  const wp = win.options.webPreferences as Record<string, unknown>;
  assert.deepEqual([wp.contextIsolation, wp.sandbox, wp.nodeIntegration], [true, true, false]);
  assert.equal(wp.preload, join(REPO_ROOT, 'dist-electron', 'preload.cjs'));
  assert.equal(win.webContents.url, 'corral-app://app/index.html');
  assert.equal(win.visible, true, 'shown at a manual launch');
  assert.deepEqual(win.webContents.openHandler!({ url: 'https://example.com' }), { action: 'deny' });
  assert.equal(typeof state.permissionHandlers.request, 'function');

  // The tray: icon and menu for the stack added with --stack.
  const tray = state.trays[0]!;
  assert.match(imagePath(tray), /build\/tray\/tray-stopped\.png$/);
  assert.ok(labels(lastMenu(tray)).includes('○ web — Stopped'), labels(lastMenu(tray)).join(' | '));
  assert.ok(labels(lastMenu(tray)).includes('Launch at Login (packaged app only)'));

  // IPC: a stranger is refused; the window's calls reach the owner.
  const invoke = state.ipc.get('corral:invoke') as unknown as (e: unknown, ...a: unknown[]) => Promise<Reply>;
  const trusted = { senderFrame: { url: 'corral-app://app/index.html', parent: null }, sender: win.webContents };
  const stranger = { senderFrame: { url: 'https://evil.example/', parent: null }, sender: win.webContents };
  assert.equal((await invoke(stranger, 'stop', { stack: 'smoke' })).error?.code, 'unauthorized');
  const snap = (await invoke(trusted, 'snapshot', {})).value as Snapshot;
  assert.deepEqual(snap.stacks.map((s) => s.name), ['smoke']);
  // Every view (this window, a web UI page) learns up front why launch at login is off.
  assert.equal(snap.owner.launchAtLogin?.available, false);
  assert.match(snap.owner.launchAtLogin?.available === false ? snap.owner.launchAtLogin.reason : '', /only available in the packaged app/);
  const refused = await invoke(trusted, 'setSettings', { launchAtLogin: true });
  assert.equal(refused.error?.code, 'conflict');
  assert.match(refused.error!.message, /only available in the packaged app/);

  // A setting changed elsewhere (the web UI, here through the control socket) reaches the tray.
  const { live } = await readOwnerLock(new DataDir(data).lockFile);
  const client = await ControlClient.connect(live!.socket!, 3000);
  try {
    await client.call('setSettings', { stopServicesOnQuit: true });
    await waitFor(() => labels(lastMenu(tray)).includes('Quit Corral and Stop Services'), 5000, 'the tray to follow the change');
    await client.call('setSettings', { stopServicesOnQuit: false });
    await waitFor(() => labels(lastMenu(tray)).includes('Quit Corral (Services Keep Running)'), 5000, 'and back');
  } finally {
    client.close();
  }

  // Start through IPC: the window gets snapshots, the tray follows.
  const started = (await invoke(trusted, 'start', { stack: 'smoke', services: ['web'] })) as { value: { outcomes: { ok: boolean; message: string }[] } };
  assert.ok(started.value.outcomes[0]!.ok, started.value.outcomes[0]!.message);
  await waitFor(() => labels(lastMenu(tray)).includes('● web — Running'), 10_000, 'tray shows web running');
  assert.match(imagePath(tray), /tray-running\.png$/);
  assert.ok(win.webContents.sent.some(([channel, s]) => channel === 'corral:snapshot' && (s as Snapshot).stacks[0]?.services[0]?.state === 'running'));

  // Resources: the visible window watches, so the tray tooltip carries figures; hidden, it watches no more
  // and the figures go (never shown stale); the open tray menu watches too.
  assert.deepEqual(hook.resourceWatches(), ['window']);
  await waitFor(() => /^web \d+(\.\d)?% \d+(\.\d)? (KB|MB)$/m.test(tray.tooltip), 10_000, `figures in the tooltip (${tray.tooltip})`);
  win.hide();
  assert.deepEqual(hook.resourceWatches(), []);
  await waitFor(() => !/%/.test(tray.tooltip), 5000, `the figures to leave the tooltip (${tray.tooltip})`);
  tray.menus.at(-1)!.open();
  assert.deepEqual(hook.resourceWatches(), ['tray-menu']);
  await waitFor(() => /%/.test(tray.tooltip), 10_000, `figures while the menu is open (${tray.tooltip})`);
  tray.menus.at(-1)!.close();
  assert.deepEqual(hook.resourceWatches(), []);
  win.show();

  // Stop from the tray menu.
  assert.equal(hook.clickTray('stop:smoke/web'), true);
  await waitFor(() => hook.snapshot().stacks[0]?.services[0]?.state === 'stopped', 15_000, 'web stopped');

  // Wake from sleep: every service is re-checked, nothing breaks.
  powerMonitor.emit('resume');

  // Closing the window hides it; the app stays in the tray.
  win.close();
  assert.equal(win.visible, false);

  // A later launch with another stack file: Chromium reorders its argv (switches first,
  // one added), so the stack comes from the launch data, and the window shows.
  const other = join(home, 'other.yaml');
  writeFileSync(other, `version: 1\nname: other\nservices:\n  job:\n    command: [${JSON.stringify(process.execPath)}, -e, "setTimeout(() => {}, 1e9)"]\n`);
  assert.deepEqual(app.singleInstanceData, { v: 1, stacks: [stackFile] }, 'this launch offered its own stacks');
  app.launchAgain([process.execPath, '--stack', other], home, { v: 1, stacks: [other] });
  await waitFor(() => hook.snapshot().stacks.some((s) => s.name === 'other'), 5000, 'the second launch\'s stack');
  assert.equal(win.visible, true);
  // A launcher without launch data: the reordered argv never makes a switch the file.
  app.launchAgain([process.execPath, '--stack', join(home, 'missing.yaml')], home);
  await new Promise((r) => setTimeout(r, 200));
  const errors = state.errors as string[];
  assert.ok(!errors.some((e) => e.includes('--original-process-start-time')), errors.join('\n'));

  // The OS shuts down: the handler holds the shutdown (preventDefault) while the owner closes.
  assert.equal(powerMonitor.shutdown(), true, 'shutdown held with preventDefault');
  await waitFor(() => app.quitted, 10_000, 'app quit');
  assert.ok(app.quitRequests >= 2, 'the first request was held until the owner closed');
  assert.equal(tray.destroyed, true);
  assert.equal(state.ipc.size, 0);
  assert.equal(app.exitCode, null);
  const logLines = (globalThis as unknown as { __fakeLog: { lines: string[] } }).__fakeLog.lines;
  assert.deepEqual(logLines.filter((l) => l.startsWith('error')), [], 'no errors in the app log');
  assert.ok(logLines.some((l) => l.includes('IPC refused: Refused `stop`')), 'the refused call was logged');
  const next = await Owner.open({ home: data, kind: 'embedded' });
  await next.close({ stopServices: true });
  assert.deepEqual(rejections.map(String), [], 'no unhandled rejection');
});

test('a start that fails is shown and ends the process (the single-instance lock is released)', async () => {
  requireBundle();
  const { home, cleanup } = tempHome('app-fail');
  try {
    // CORRAL_HOME is a file: the owner cannot create its data directory.
    const notADir = join(home, 'file');
    writeFileSync(notADir, '');
    const report = join(home, 'report.json');
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(LOADER).href, BUNDLE], {
      env: { ...process.env, CORRAL_HOME: notADir, XDG_CONFIG_HOME: join(home, 'cfg'), SHELL: '/bin/sh', FAKE_ELECTRON_REPORT: report },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.ok(existsSync(report), `no report; status ${r.status}, stderr: ${r.stderr}`);
    const got = JSON.parse(readFileSync(report, 'utf8')) as { code: number | null; errors: string[]; rejections: string[] };
    assert.deepEqual(got.rejections, [], 'no unhandled rejection');
    assert.equal(got.code, 1, 'app.exit(1)');
    assert.equal(r.status, 1);
    assert.equal(got.errors.length, 1);
    assert.match(got.errors[0]!, /^Corral could not start: /);
  } finally {
    cleanup();
  }
});
