// The packaging configuration, checked without packaging: electron-builder's
// own schema, plus the settings the security checklist depends on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { appPaths } from '../../electron/app/paths.js';
import { REPO_ROOT } from '../helpers/env.js';

const configFile = join(REPO_ROOT, 'build', 'electron-builder.yml');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const config = parse(readFileSync(configFile, 'utf8')) as Record<string, any>;

test('electron-builder accepts the configuration (its own schema)', async () => {
  const require = createRequire(join(REPO_ROOT, 'package.json'));
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  await validateConfiguration(structuredClone(config), new DebugLogger(false));
});

test('fuses: no running as Node, no NODE_OPTIONS, no inspector, app code only from a verified asar', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableCookieEncryption: true,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
    loadBrowserProcessSpecificV8Snapshot: false,
    resetAdHocDarwinSignature: true,
  });
  assert.equal(config.asar, true);
});

test('macOS: dmg + zip, hardened runtime, LSUIElement, and the JIT entitlement only', () => {
  assert.deepEqual(config.mac.target, ['dmg', 'zip']);
  assert.equal(config.mac.hardenedRuntime, true);
  assert.equal(config.mac.extendInfo.LSUIElement, true);
  const plist = readFileSync(join(REPO_ROOT, config.mac.entitlements as string), 'utf8');
  assert.deepEqual([...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]), ['com.apple.security.cs.allow-jit']);
  assert.equal(config.mac.entitlementsInherit, config.mac.entitlements);
});

test('Linux: AppImage + deb, with a binary name that does not shadow the `corral` CLI', () => {
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.equal(config.linux.executableName, 'corral-app');
});

test('the package holds what the app loads: the bundles, the renderer, the tray icons where paths.ts looks', () => {
  assert.equal(config.extraMetadata.main, 'dist-electron/main.js');
  assert.ok(config.files.includes('dist-electron/**'));
  assert.ok(config.files.includes('renderer/dist/**'));
  const packaged = appPaths('/R/app.asar', { isPackaged: true, resourcesPath: '/R' });
  assert.equal(packaged.trayIcons, join('/R', config.extraResources[0].to));
  assert.equal(config.extraResources[0].from, 'build/tray');
  const script = readFileSync(join(REPO_ROOT, 'scripts', 'build-electron.mjs'), 'utf8');
  assert.match(script, /outfile: `\$\{outdir\}\/main\.js`/);
  assert.match(script, /outfile: `\$\{outdir\}\/preload\.cjs`/);
  assert.ok(packaged.preload.endsWith('dist-electron/preload.cjs'));
  assert.ok(existsSync(join(REPO_ROOT, config.mac.icon as string)));
});

test('package metadata: productName Corral (app name, log folder, window class) and what a deb needs', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { productName?: string; homepage?: string; author?: { name?: string; email?: string } };
  // Electron names the app (and its logs folder, and the X11 window class) after productName, else `name` (corral).
  assert.equal(pkg.productName, 'Corral');
  assert.equal(config.linux.desktop.entry.StartupWMClass, pkg.productName);
  // electron-builder's deb target throws without a homepage and a maintainer (author email or linux.maintainer).
  assert.match(pkg.homepage ?? '', /^https:\/\//);
  assert.ok(config.linux.maintainer || /^[^@\s]+@[^@\s]+$/.test(pkg.author?.email ?? ''), 'author.email or linux.maintainer');
});
