import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { WebContents } from 'electron';
import { SECURE_WEB_PREFERENCES, mainWindowOptions, navigationAllowed, permissionAllowed } from '../../electron/app/window-options.js';
import { hardenSession, hardenWebContents } from '../../electron/app/security.js';
import { APP_ORIGIN, isAppUrl, originOf, rendererUrl } from '../../electron/app/app-url.js';

test('the window is isolated, sandboxed, without Node, with web security, and loads only our preload', () => {
  const opts = mainWindowOptions({ preload: '/app/dist-electron/preload.cjs', platform: 'linux', dark: false });
  const wp = opts.webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.nodeIntegrationInSubFrames, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.allowRunningInsecureContent, false);
  assert.equal(wp.experimentalFeatures, false);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.navigateOnDragDrop, false);
  assert.equal(wp.enableBlinkFeatures, undefined);
  assert.equal(wp.disableBlinkFeatures, 'Auxclick');
  assert.equal(wp.preload, '/app/dist-electron/preload.cjs');
  assert.deepEqual({ ...wp, preload: undefined }, { ...SECURE_WEB_PREFERENCES, preload: undefined }, 'no other web preference is set');
});

test('the window starts hidden (a tray app) and paints the system theme background', () => {
  const light = mainWindowOptions({ preload: '/p', platform: 'darwin', dark: false });
  const dark = mainWindowOptions({ preload: '/p', platform: 'darwin', dark: true });
  assert.equal(light.show, false);
  assert.equal(light.backgroundColor, '#ffffff');
  assert.equal(dark.backgroundColor, '#1e1e1e');
  assert.equal(light.autoHideMenuBar, false);
  assert.equal(mainWindowOptions({ preload: '/p', platform: 'linux', dark: false }).autoHideMenuBar, true);
});

test('renderer URLs are on the app origin, with routes in the hash', () => {
  assert.equal(rendererUrl(), 'corral-app://app/index.html');
  assert.equal(rendererUrl({ view: 'logs', stack: 'stigmer', service: 'stigmer-server' }), 'corral-app://app/index.html#/logs/stigmer/stigmer-server');
  assert.equal(rendererUrl({ view: 'logs', stack: 'a b' }), 'corral-app://app/index.html#/logs/a%20b');
  assert.equal(originOf('corral-app://app/x'), APP_ORIGIN);
  assert.equal(originOf('not a url'), null);
});

test('navigation: only within the app origin', () => {
  assert.equal(navigationAllowed('corral-app://app/index.html#/logs/a'), true);
  for (const url of ['https://example.com/', 'file:///etc/passwd', 'corral-app://other/index.html', 'http://127.0.0.1:5173/', 'javascript:alert(1)', 'about:blank', '']) {
    assert.equal(navigationAllowed(url), false, url);
  }
  assert.equal(isAppUrl('http://127.0.0.1:5173/', ['http://127.0.0.1:5173']), true, 'an explicitly allowed dev origin');
});

test('permissions: all denied, except clipboard writes from our page', () => {
  for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen', 'unknown']) {
    assert.equal(permissionAllowed(p, 'corral-app://app/index.html'), false, p);
  }
  assert.equal(permissionAllowed('clipboard-sanitized-write', 'corral-app://app/index.html'), true);
  assert.equal(permissionAllowed('clipboard-sanitized-write', 'https://evil.example/'), false);
});

class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.openHandler = h;
  }
}

const navEvent = (url: string) => ({ url, prevented: false, preventDefault() { this.prevented = true; } });

test('hardened web contents deny window.open, outside navigations, redirects and webviews', () => {
  const logs: string[] = [];
  const wc = new FakeContents();
  hardenWebContents(wc as unknown as WebContents, [APP_ORIGIN], (m) => logs.push(m));
  assert.deepEqual(wc.openHandler!({ url: 'https://example.com' }), { action: 'deny' });
  for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
    const out = navEvent('https://example.com/phish');
    wc.emit(event, out);
    assert.equal(out.prevented, true, event);
    const inApp = navEvent('corral-app://app/index.html');
    wc.emit(event, inApp);
    assert.equal(inApp.prevented, false, event);
  }
  const webview = navEvent('');
  wc.emit('will-attach-webview', webview);
  assert.equal(webview.prevented, true);
  assert.ok(logs.some((l) => l.includes('window.open(https://example.com)')));
  assert.ok(logs.some((l) => l.includes('navigation to https://example.com/phish')));
});

test('hardened session: permission requests and checks answer no, devices are refused', () => {
  let request: ((wc: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl: string }) => void) | null = null;
  let check: ((wc: unknown, p: string, origin: string) => boolean) | null = null;
  let device: (() => boolean) | null = null;
  const session = {
    setPermissionRequestHandler: (h: typeof request) => (request = h),
    setPermissionCheckHandler: (h: typeof check) => (check = h),
    setDevicePermissionHandler: (h: typeof device) => (device = h),
  };
  const logs: string[] = [];
  hardenSession(session as never, [APP_ORIGIN], (m) => logs.push(m));
  const answers: boolean[] = [];
  request!({ getURL: () => 'corral-app://app/' }, 'media', (ok) => answers.push(ok), { requestingUrl: 'corral-app://app/index.html' });
  request!({ getURL: () => 'corral-app://app/' }, 'clipboard-sanitized-write', (ok) => answers.push(ok), { requestingUrl: 'corral-app://app/index.html' });
  assert.deepEqual(answers, [false, true]);
  assert.equal(check!(null, 'geolocation', 'corral-app://app'), false);
  assert.equal(device!(), false);
  assert.deepEqual(logs, ['Denied permission request "media" from corral-app://app/index.html']);
});
