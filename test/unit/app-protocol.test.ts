import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, contentType, createProtocolHandler, resolveAppPath } from '../../electron/app/protocol.js';
import { tempHome } from '../helpers/env.js';

const ROOT = '/app/renderer/dist';

test('paths inside the renderer directory resolve; / is index.html', () => {
  assert.deepEqual(resolveAppPath(ROOT, 'corral-app://app/'), { ok: true, path: `${ROOT}/index.html` });
  assert.deepEqual(resolveAppPath(ROOT, 'corral-app://app/index.html#/logs/a'), { ok: true, path: `${ROOT}/index.html` });
  assert.deepEqual(resolveAppPath(ROOT, 'corral-app://app/assets/index-abc.js?v=1'), { ok: true, path: `${ROOT}/assets/index-abc.js` });
  assert.deepEqual(resolveAppPath(ROOT, 'corral-app://app/assets/a%20b.css'), { ok: true, path: `${ROOT}/assets/a b.css` });
  assert.deepEqual(resolveAppPath(ROOT, 'corral-app://app/a/../index.html'), { ok: true, path: `${ROOT}/index.html` }, 'literal dot segments are removed by the URL parser, staying inside');
});

test('path traversal in every spelling is refused or stays inside the renderer directory', () => {
  // The URL parser (Node's, like Chromium's) already folds "." and ".." and
  // their %2e spellings; what survives it decoded is refused, never reinterpreted.
  const refused: [string, number][] = [
    ['corral-app://app/..%2f..%2fetc/passwd', 403],
    ['corral-app://app/assets/..%2F..%2F..%2Fsecret', 403],
    ['corral-app://app/..%5c..%5cwindows', 400],
    ['corral-app://app/a%00.html', 400],
    ['corral-app://app/%E0%A4%A', 400],
    ['corral-app://other/index.html', 404],
    ['file:///etc/passwd', 404],
    ['nonsense', 400],
  ];
  for (const [url, status] of refused) {
    const r = resolveAppPath(ROOT, url);
    assert.equal(r.ok ? 0 : r.status, status, `${url}: ${r.ok ? r.path : r.reason}`);
  }
  for (const url of ['corral-app://app/../../etc/passwd', 'corral-app://app/%2e%2e/%2e%2e/etc/passwd', 'corral-app://app/assets/%2E%2E/%2E%2E/%2E%2E/secret', 'corral-app://app/./../x']) {
    const r = resolveAppPath(ROOT, url);
    assert.ok(!r.ok || r.path.startsWith(`${ROOT}/`), `${url} -> ${r.ok ? r.path : r.reason}`);
  }
});

test('content types for what vite emits', () => {
  assert.equal(contentType('/x/index.html'), 'text/html; charset=utf-8');
  assert.equal(contentType('/x/a.JS'), 'text/javascript; charset=utf-8');
  assert.equal(contentType('/x/a.woff2'), 'font/woff2');
  assert.equal(contentType('/x/unknown.bin'), 'application/octet-stream');
});

test('the CSP allows only the app itself: no inline script, no eval, no remote anything', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|\*/);
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /object-src 'none'/);
});

test('the handler serves files with CSP and nosniff, refuses other methods, symlinks out and missing files', async (t) => {
  const { home, cleanup } = tempHome('protocol');
  t.after(cleanup);
  const root = join(home, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Corral</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(home, 'secret.txt'), 'do not serve');
  symlinkSync(join(home, 'secret.txt'), join(root, 'assets', 'leak.txt'));
  const logs: string[] = [];
  const handle = createProtocolHandler(root, (m) => logs.push(m));

  const index = await handle(new Request('corral-app://app/'));
  assert.equal(index.status, 200);
  assert.equal(await index.text(), '<!doctype html><title>Corral</title>');
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');

  const js = await handle(new Request('corral-app://app/assets/app.js'));
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(await js.text(), 'console.log(1)');

  const head = await handle(new Request('corral-app://app/assets/app.js', { method: 'HEAD' }));
  assert.equal(head.status, 200);

  assert.equal((await handle(new Request('corral-app://app/index.html', { method: 'POST', body: 'x' }))).status, 405);
  assert.equal((await handle(new Request('corral-app://app/missing.js'))).status, 404);
  assert.equal((await handle(new Request('corral-app://app/assets'))).status, 404, 'a directory is not a file');
  const leak = await handle(new Request('corral-app://app/assets/leak.txt'));
  assert.equal(leak.status, 403);
  assert.notEqual(await leak.text(), 'do not serve');
  for (const url of ['corral-app://app/%2e%2e/secret.txt', 'corral-app://app/..%2fsecret.txt', 'corral-app://app/assets/..%2f..%2fsecret.txt']) {
    const r = await handle(new Request(url));
    assert.notEqual(r.status, 200, url);
    assert.notEqual(await r.text(), 'do not serve', url);
  }
  assert.ok(logs.some((l) => l.includes('symlink leaves the renderer directory')));
});

test('a missing renderer build is a clear 404, and serving resumes once it exists', async (t) => {
  const { home, cleanup } = tempHome('protocol');
  t.after(cleanup);
  const root = join(home, 'dist');
  const logs: string[] = [];
  const handle = createProtocolHandler(root, (m) => logs.push(m));
  const r = await handle(new Request('corral-app://app/index.html'));
  assert.equal(r.status, 404);
  assert.match(await r.text(), /The renderer is not built/);
  assert.match(logs[0]!, /the renderer is not built/);
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), 'ok');
  assert.equal((await handle(new Request('corral-app://app/index.html'))).status, 200);
});

test('the app serves the renderer under the same CSP as the web UI, where the renderer is tested in Chromium', async () => {
  const web = await import('../../electron/host/web/server.js');
  assert.equal(CONTENT_SECURITY_POLICY, web.CONTENT_SECURITY_POLICY);
});
