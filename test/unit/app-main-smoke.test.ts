// main.ts cannot run without Electron, and there is no Electron binary on
// every machine. So it is bundled here with `electron` (and electron-log)
// replaced by a recording fake, and run in plain Node against a real owner:
// the glue's wiring (order, handlers, quit sequence) is executed, not only
// type-checked. The real thing runs in test/electron where a binary exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Snapshot } from '../../shared/state.js';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { readOwnerLock } from '../../electron/engine/state/owner-lock.js';
import { ControlClient } from '../../electron/host/control/client.js';
import type { state as FakeState, app as FakeApp, BrowserWindow as FakeWindow, Tray as FakeTray } from './app-fake-electron.js';
import { REPO_ROOT, fixture, freePort, tempHome, waitFor } from '../helpers/env.js';

type Fake = { app: typeof FakeApp; state: typeof FakeState; powerMonitor: NodeJS.EventEmitter };
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
  t.after(async () => {
    await quitIfRunning();
    process.env = saved.env;
    process.argv = saved.argv;
    cleanup();
  });

  const out = join(REPO_ROOT, 'dist', 'test', 'unit', '.app-main-smoke', 'main.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'electron', 'app', 'main.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'silent',
    absWorkingDir: REPO_ROOT,
    plugins: [
      {
        name: 'fake-electron',
        setup(b) {
          b.onResolve({ filter: /^electron$/ }, () => ({ path: join(REPO_ROOT, 'test', 'unit', 'app-fake-electron.ts') }));
          b.onResolve({ filter: /^electron-log\/main$/ }, () => ({ path: join(REPO_ROOT, 'test', 'unit', 'app-fake-log.ts') }));
        },
      },
    ],
  });

  const port = await freePort();
  const stackFile = join(home, 'corral.yaml');
  writeFileSync(
    stackFile,
    `version: 1\nname: smoke\nservices:\n  web:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture('http-server.mjs'))}, --port, "${port}"]\n    ports: [${port}]\n    health: { http: { url: "http://127.0.0.1:${port}/healthz" } }\n`,
  );
  const data = join(home, 'data');
  Object.assign(process.env, { CORRAL_HOME: data, XDG_CONFIG_HOME: join(home, 'cfg'), SHELL: '/bin/sh', CORRAL_E2E: '1' });
  process.argv = [process.execPath, out, '--stack', stackFile];

  await import(pathToFileURL(out).href);
  const { app, state, powerMonitor } = (globalThis as unknown as { __fakeElectron: Fake }).__fakeElectron;
  quitIfRunning = async () => {
    if (app.quitted) return;
    app.quit();
    await waitFor(() => app.quitted, 20_000, 'the app to quit after a failure').catch(() => {});
  };
  await waitFor(() => (globalThis as { __corralE2E?: unknown }).__corralE2E || state.errors.length > 0, 15_000, 'main.ts start()');
  assert.deepEqual(state.errors, [], 'start() reported an error');
  const hook = (globalThis as unknown as { __corralE2E: { clickTray(id: string): boolean; snapshot(): Snapshot } }).__corralE2E;

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

  // Stop from the tray menu.
  assert.equal(hook.clickTray('stop:smoke/web'), true);
  await waitFor(() => hook.snapshot().stacks[0]?.services[0]?.state === 'stopped', 15_000, 'web stopped');

  // Wake from sleep: every service is re-checked, nothing breaks.
  powerMonitor.emit('resume');

  // Closing the window hides it; the app stays in the tray.
  win.close();
  assert.equal(win.visible, false);

  // Quit: the owner closes (lock released), IPC and tray go, then Electron may quit.
  app.quit();
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
});
