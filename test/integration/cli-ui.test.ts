// `corral ui`: the owner serves the renderer on 127.0.0.1; its address carries a
// one-time code the page redeems for a session (part of F21 for the web side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeOpener } from '../helpers/fake-opener.js';
import { harness, SVC } from './cli-harness.js';
import { freePort } from '../helpers/env.js';
import { desktopOpener } from '../../electron/host/desktop.js';

/** Redeems the one-time code of a `corral ui` address: the session, or the HTTP status of the refusal. */
async function redeem(url: string): Promise<string | number> {
  const u = new URL(url);
  const r = await fetch(`${u.origin}/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: u.searchParams.get('code') }) });
  return r.ok ? ((await r.json()) as { session: string }).session : r.status;
}

test('corral ui prints the web UI address; the page signs in with its one-time code; the API demands a credential', async () => {
  const h = harness('ui');
  try {
    const port = await freePort();
    const dir = h.project();
    h.writeStack(dir, `version: 1\nname: web\nservices:\n  api:\n    command: ["${process.execPath}", "${SVC}", "--port", "${port}"]\n    health: { tcp: { port: ${port} } }\n`);
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const r = await h.run(['ui', '--no-open', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const { url } = JSON.parse(r.stdout) as { url: string };
    const u = new URL(url);
    assert.equal(u.hostname, '127.0.0.1');
    assert.equal(u.searchParams.get('token'), null, 'no long-lived token in the address');
    // Asking again returns the same server, with a new code.
    const again = JSON.parse((await h.run(['ui', '--no-open', '--json'], { cwd: dir })).stdout) as { url: string };
    assert.equal(new URL(again.url).origin, u.origin);
    assert.notEqual(again.url, url);
    const token = await redeem(url);
    assert.equal(typeof token, 'string');
    assert.equal(await redeem(url), 401, 'a code works once');

    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src/);
    assert.match(await page.text(), /<html/i);

    const api = `${u.origin}/api/snapshot`;
    const noToken = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(noToken.status, 401);
    const wrong = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: '{}' });
    assert.equal(wrong.status, 401);
    const ok = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{}' });
    assert.equal(ok.status, 200);
    const snap = (await ok.json()) as { stacks: { name: string; services: { name: string; state: string }[] }[] };
    assert.equal(snap.stacks[0]!.services[0]!.state, 'running');

    const post = (call: string, body: unknown) =>
      fetch(`${u.origin}/api/${call}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const folder = (await (await post('openLogFolder', { stack: 'web', service: 'api' })).json()) as { path: string; opened: boolean };
    assert.equal(folder.path, h.dir.logDir('web'));
    assert.equal(typeof folder.opened, 'boolean');
    const unknown = await post('openLogFolder', { stack: 'nope' });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /No stack named `nope`/);
  } finally {
    await h.cleanup();
  }
});

test('corral ui opens a browser only where a desktop exists', () => {
  assert.equal(desktopOpener('darwin', {}), 'open');
  assert.equal(desktopOpener('linux', { DISPLAY: ':0' }), 'xdg-open');
  assert.equal(desktopOpener('linux', {}), null);
});

test('F25 corral ui opens the browser with a one-time code, never the token, on its command line', async () => {
  const h = harness('uiopen');
  try {
    // A stand-in for xdg-open that writes down the command line it was given (what `ps` shows).
    const opener = fakeOpener(h.home);
    const r = await h.run(['ui'], { env: opener.env });
    assert.equal(r.code, 0, r.stderr);
    const argv = await opener.next();
    assert.match(argv, /^http:\/\/127\.0\.0\.1:\d+\/\?code=[A-Za-z0-9_-]{43}$/);
    assert.doesNotMatch(argv, /token/);
    // Once the page has redeemed it, what `ps` showed is worth nothing.
    assert.equal(typeof (await redeem(argv)), 'string');
    assert.equal(await redeem(argv), 401);
  } finally {
    await h.cleanup();
  }
});
