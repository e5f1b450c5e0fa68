// The app end to end, in a real Electron: launch, tray menu model, window,
// start/stop through the window, quit leaving services running (adopted by
// the next owner). Runs where an Electron binary exists (CI: macOS, and Linux
// under xvfb); elsewhere it says so and skips.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import type { ElectronApplication, Page } from 'playwright-core';
import type { CorralApi } from '../../shared/api.js';
import type { ServiceSnapshot } from '../../shared/state.js';
import { Owner } from '../../electron/engine/owner.js';
import { REPO_ROOT, fixture, freePort, tempHome, waitFor } from '../helpers/env.js';
import { NOT_RUN, electronBinary } from './electron-binary.js';

const binary = electronBinary();
if (!binary) console.log(NOT_RUN);
const skip = binary ? false : NOT_RUN;

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'electron');
const STACK = 'e2e';
const SERVICE = 'web';

let home: { home: string; cleanup: () => void };
let port: number;
let app: ElectronApplication;
let page: Page;

// The hook main.ts installs when CORRAL_E2E=1: no automation API reaches a tray menu.
type Hook = { __corralE2E: { trayModel(): unknown; clickTray(id: string): boolean; appNapHeld(): boolean } };
const trayModel = async () => JSON.stringify(await app.evaluate(() => (globalThis as unknown as Hook).__corralE2E.trayModel()));
const clickTray = (id: string) => app.evaluate((_electron, itemId) => (globalThis as unknown as Hook).__corralE2E.clickTray(itemId), id);

async function serviceState(): Promise<ServiceSnapshot> {
  const snap = await page.evaluate(() => (globalThis as unknown as { corral: CorralApi }).corral.snapshot({}));
  const s = snap.stacks.find((st) => st.name === STACK)?.services.find((x) => x.name === SERVICE);
  assert.ok(s, `service ${STACK}/${SERVICE} missing from the snapshot`);
  return s;
}

const healthy = (p: number) =>
  new Promise<boolean>((resolve) => {
    const req = request({ host: '127.0.0.1', port: p, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });

before(async () => {
  if (!binary) return;
  const { _electron } = await import('playwright-core');
  home = tempHome('electron-e2e');
  port = await freePort();
  mkdirSync(ARTIFACTS, { recursive: true });
  const stackFile = join(home.home, 'corral.yaml');
  writeFileSync(
    stackFile,
    [
      'version: 1',
      `name: ${STACK}`,
      'services:',
      `  ${SERVICE}:`,
      `    command: [node, ${JSON.stringify(fixture('http-server.mjs'))}, --port, "${port}"]`,
      `    ports: [${port}]`,
      `    health: { http: { url: "http://127.0.0.1:${port}/healthz" } }`,
      '',
    ].join('\n'),
  );
  app = await _electron.launch({
    executablePath: binary,
    args: [REPO_ROOT, '--stack', stackFile],
    env: { ...process.env, CORRAL_HOME: join(home.home, 'data'), CORRAL_E2E: '1' } as Record<string, string>,
    timeout: 60_000,
  });
  page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
});

after(async () => {
  if (!binary) return;
  await app?.close().catch(() => {});
  // Whatever the test left running is stopped through the lifecycle, by the next owner.
  const owner = await Owner.open({ home: join(home.home, 'data'), kind: 'embedded' });
  await owner.close({ stopServices: true, timeoutMs: 10_000 });
  home.cleanup();
});

test('the window is the renderer on corral-app://, isolated, with window.corral and no Node', { skip }, async () => {
  assert.match(page.url(), /^corral-app:\/\/app\/index\.html/);
  const globals = await page.evaluate(() => {
    const g = globalThis as unknown as Record<string, unknown>;
    return { require: typeof g.require, process: typeof g.process, corral: typeof g.corral, opened: (g.open as (u: string) => unknown)('https://example.com/') === null };
  });
  assert.deepEqual(globals, { require: 'undefined', process: 'undefined', corral: 'object', opened: true });
  await page.screenshot({ path: join(ARTIFACTS, 'window-status.png') });
});

test('the tray menu model lists the stack, its service, and the global items', { skip }, async () => {
  const labels = await trayModel();
  for (const label of [`${STACK} — 0 of 1 running`, `○ ${SERVICE} — Stopped`, 'Start All', 'Stop All', 'Open Corral…', 'Launch at Login (packaged app only)', 'Quit Corral (Services Keep Running)']) {
    assert.ok(labels.includes(JSON.stringify(label).slice(1, -1)), `tray menu lacks ${label}: ${labels}`);
  }
});

test('start and stop through the window', { skip }, async () => {
  await page.getByRole('button', { name: new RegExp(`^start( ${SERVICE})?$`, 'i') }).first().click();
  await waitFor(async () => (await serviceState()).state === 'running', 30_000, `${SERVICE} running`);
  assert.equal(await healthy(port), true);
  await waitFor(async () => (await trayModel()).includes(`● ${SERVICE} — Running`), 5000, 'tray shows running');
  await page.screenshot({ path: join(ARTIFACTS, 'window-running.png') });

  await page.getByRole('button', { name: new RegExp(`^stop( ${SERVICE})?$`, 'i') }).first().click();
  await waitFor(async () => (await serviceState()).state === 'stopped', 30_000, `${SERVICE} stopped`);
  assert.equal(await healthy(port), false, 'the port is released');
});

test('settings: the window and the tray show the same, and a change in one is seen in the other', { skip }, async () => {
  await page.getByRole('tab', { name: 'Settings' }).click();
  const stopOnQuit = page.getByRole('checkbox', { name: 'Stop services when Corral quits' });
  assert.equal(await stopOnQuit.isChecked(), false);
  await stopOnQuit.click();
  await waitFor(async () => (await trayModel()).includes('Quit Corral and Stop Services'), 5000, 'the tray to follow the window');
  // Back off, or the quit test below would stop the service.
  await stopOnQuit.click();
  await waitFor(async () => (await trayModel()).includes('Quit Corral (Services Keep Running)'), 5000, 'and back');
  // A development build cannot register a login item: the window says so before anyone tries.
  const login = page.getByRole('checkbox', { name: 'Launch Corral at login' });
  assert.equal(await login.isDisabled(), true);
  await page.locator('#setting-launchAtLogin-help').filter({ hasText: /only available in the packaged app/ }).waitFor({ timeout: 5000 });
  await page.getByRole('tab', { name: 'Status' }).click();
});

test('tray items act: start all, then view logs opens the window on the service logs', { skip }, async () => {
  assert.equal(await clickTray('start-all'), true);
  await waitFor(async () => (await serviceState()).state === 'running', 30_000, `${SERVICE} running`);
  assert.equal(await clickTray(`logs:${STACK}/${SERVICE}`), true);
  await waitFor(() => page.url().endsWith(`#/logs/${STACK}/${SERVICE}`), 5000, 'logs route');
  await page.screenshot({ path: join(ARTIFACTS, 'window-logs.png') });
});

test('the app is named Corral (productName: log folder, window class)', { skip }, async () => {
  assert.equal(await app.evaluate(({ app: a }) => a.getName()), 'Corral');
});

test('while a service runs the app holds its App Nap blocker on macOS, and none elsewhere', { skip }, async () => {
  assert.equal((await serviceState()).state, 'running');
  const held = await app.evaluate(() => (globalThis as unknown as Hook).__corralE2E.appNapHeld());
  assert.equal(held, process.platform === 'darwin');
});

test('a second launch with --stack FILE adds that stack to the running app (Chromium reorders its argv)', { skip }, async () => {
  const other = join(home.home, 'other.yaml');
  writeFileSync(other, `version: 1\nname: other\nservices:\n  job:\n    command: [node, -e, "setInterval(() => {}, 1000)"]\n`);
  const second = spawn(binary!, [REPO_ROOT, '--stack', other], { env: { ...process.env, CORRAL_HOME: join(home.home, 'data'), CORRAL_E2E: '1' }, stdio: 'ignore' });
  const code = await new Promise<number | null>((r) => second.once('exit', r));
  assert.equal(code, 0, 'the second launch hands over and quits');
  await waitFor(
    async () => (await page.evaluate(() => (globalThis as unknown as { corral: CorralApi }).corral.snapshot({}))).stacks.some((st) => st.name === 'other'),
    10_000,
    'the stack of the second launch',
  );
});

test('quit from the tray leaves the service running; the next owner adopts it', { skip }, async () => {
  const before = await serviceState();
  assert.equal(before.state, 'running');
  const closed = app.waitForEvent('close');
  await clickTray('quit');
  await closed;
  assert.equal(await healthy(port), true, 'still serving after the app quit');
  const owner = await Owner.open({ home: join(home.home, 'data'), kind: 'embedded' });
  try {
    const s = owner.snapshot().stacks.find((st) => st.name === STACK)!.services.find((x) => x.name === SERVICE)!;
    assert.equal(s.pid, before.pid, 'same process');
    assert.equal(s.adopted, true);
  } finally {
    await owner.close({ stopServices: true, timeoutMs: 10_000 });
  }
});

