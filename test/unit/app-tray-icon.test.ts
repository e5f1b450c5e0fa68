import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TRAY_STATES, snapshotAggregate, trayIcon, trayTooltip } from '../../electron/app/tray-icon.js';
import { REPO_ROOT } from '../helpers/env.js';
import { service, snapshot, stigmerRunning } from './app-fixtures.js';

interface IconScript {
  STATES: string[];
  decodePng(png: Buffer): { width: number; height: number; rgba: Buffer };
  drawTray(state: string, size: number, template: boolean): Buffer;
}
const icons = (): Promise<IconScript> => import(pathToFileURL(join(REPO_ROOT, 'build', 'make-icons.mjs')).href) as Promise<IconScript>;

test('macOS gets template images, other platforms coloured ones', () => {
  assert.deepEqual(trayIcon('failed', 'darwin'), { file: 'tray-failedTemplate.png', template: true });
  assert.deepEqual(trayIcon('failed', 'linux'), { file: 'tray-failed.png', template: false });
  assert.deepEqual(trayIcon('running', 'win32'), { file: 'tray-running.png', template: false });
});

test('the icon follows the aggregate state of every service of every stack', () => {
  const running = stigmerRunning();
  assert.equal(snapshotAggregate(running), 'running');
  assert.equal(snapshotAggregate(snapshot({})), 'stopped');
  assert.equal(snapshotAggregate(snapshot({ a: [service('x', 'stopped')], b: [service('y', 'stopped')] })), 'stopped');
  assert.equal(snapshotAggregate(snapshot({ a: [service('x', 'running')], b: [service('y', 'starting')] })), 'starting');
  assert.equal(snapshotAggregate(snapshot({ a: [service('x', 'running')], b: [service('y', 'unhealthy')] })), 'degraded');
  assert.equal(snapshotAggregate(snapshot({ a: [service('x', 'running')], b: [service('y', 'failed')] })), 'failed');
  assert.equal(trayIcon(snapshotAggregate(snapshot({ a: [service('x', 'backoff')] })), 'darwin').file, 'tray-degradedTemplate.png');
});

test('the tooltip gives the aggregate and names the services that need attention', () => {
  assert.equal(trayTooltip(stigmerRunning()), 'Corral: stigmer: all 4 running');
  assert.equal(trayTooltip(snapshot({})), 'Corral: no stacks');
  const snap = snapshot({ s: [service('temporal', 'running'), service('api', 'failed'), service('worker', 'backoff')] });
  assert.equal(trayTooltip(snap), 'Corral: s: 1 of 3 running; api failed, worker backoff\napi: failed\nworker: backoff (ended; restarting)');
  const two = snapshot({ a: [service('x', 'running')], b: [service('y', 'stopped', { desired: 'down', lastExit: { code: null, signal: 'SIGTERM', at: 0, reason: 'stopped' } })] });
  assert.equal(trayTooltip(two), 'Corral\na: running\nb: stopped');
  assert.equal(snapshotAggregate(two), 'partial', 'a service stopped by the user is not "all running"');
  assert.equal(trayIcon('partial', 'linux').file, 'tray-running.png');
});

test('every icon the app can choose is committed, at 1x and 2x, and matches build/make-icons.mjs', async () => {
  const script = await icons();
  assert.deepEqual(script.STATES, [...TRAY_STATES]);
  for (const state of TRAY_STATES) {
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      const icon = trayIcon(state, platform);
      for (const [suffix, size] of [['', 16], ['@2x', 32]] as const) {
        const file = join(REPO_ROOT, 'build', 'tray', icon.file.replace('.png', `${suffix}.png`));
        const png = script.decodePng(readFileSync(file));
        assert.equal(png.width, size, file);
        assert.equal(png.height, size, file);
        assert.ok(png.rgba.equals(script.drawTray(state, size, icon.template)), `${file} differs from what make-icons draws: run node build/make-icons.mjs`);
      }
    }
  }
});

test('template images are black with alpha only; coloured ones differ per state', async () => {
  const script = await icons();
  for (const state of TRAY_STATES) {
    const px = script.drawTray(state, 32, true);
    for (let i = 0; i < px.length; i += 4) assert.deepEqual([px[i], px[i + 1], px[i + 2]], [0, 0, 0]);
  }
  const sig = (b: Buffer) => b.toString('base64');
  const templates = new Set(TRAY_STATES.map((s) => sig(script.drawTray(s, 16, true))));
  assert.equal(templates.size, TRAY_STATES.length, 'each state has its own glyph, since templates have no colour');
});
