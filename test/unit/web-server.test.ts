// The web UI server over real HTTP: who gets in (token, Host, Origin), what a
// refused request leaves undone, request validation, static files that cannot
// leave the renderer folder, and the event stream's framing.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { startWebUi, type WebUi } from '../../electron/host/web/server.js';
import { FakeOwner } from '../helpers/fake-api.js';
import { raw, postApi, openSse, type SseEvent } from '../helpers/web-client.js';
import { tempHome, waitFor } from '../helpers/env.js';
import type { Snapshot } from '../../shared/state.js';
import type { LogBatch, LogLine } from '../../shared/api.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnop';

let fake: FakeOwner;
let ui: WebUi;
let tmp: { home: string; cleanup: () => void };
let origin: string;
let session: string;
let auth: Record<string, string>;

before(async () => {
  tmp = tempHome('webui');
  const root = join(tmp.home, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Corral</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log("hi")');
  writeFileSync(join(root, 'assets', 'style.css'), 'body{}');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(tmp.home, 'secret.txt'), 'top secret');
  symlinkSync(join(tmp.home, 'secret.txt'), join(root, 'assets', 'link.txt'));
  fake = new FakeOwner();
  ui = await startWebUi(fake.api, { rendererDir: root, token: TOKEN });
  origin = `http://127.0.0.1:${ui.port}`;
  const r = await raw(ui.port, { method: 'POST', path: '/auth/session', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ code: codeOf(ui.openUrl()) }) });
  session = (r.json() as { session: string }).session;
  auth = { authorization: `Bearer ${session}` };
});

after(async () => {
  await ui.close();
  tmp.cleanup();
});

const codeOf = (url: string): string => new URL(url).searchParams.get('code')!;
const lastCall = () => fake.calls[fake.calls.length - 1];

describe('startWebUi', () => {
  test('listens on 127.0.0.1 at a free port and prints a URL carrying the token', async () => {
    assert.ok(ui.port > 0);
    const url = ui.openUrl();
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${ui.port}/\\?code=[A-Za-z0-9_-]{43}$`));
    assert.ok(!url.includes(TOKEN), 'the address never carries the token');
    assert.notEqual(codeOf(ui.openUrl()), codeOf(url), 'a new code each time');
    const other = await startWebUi(fake.api, { rendererDir: join(tmp.home, 'renderer') });
    try {
      assert.match(other.token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
      assert.notEqual(other.port, ui.port);
    } finally {
      await other.close();
    }
  });

  test('is not reachable on other addresses of the machine', async () => {
    // 127.0.0.2 is loopback too, but not the address we bound.
    const reached = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.2', port: ui.port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    assert.equal(reached, false);
  });

  test('refuses to start without a built renderer, saying how to build it', async () => {
    await assert.rejects(startWebUi(fake.api, { rendererDir: join(tmp.home, 'nope') }), /web UI is not built: .*nope.index\.html is missing.*npm run build:renderer/);
  });

  test('refuses a token that cannot be a header value', async () => {
    await assert.rejects(startWebUi(fake.api, { rendererDir: join(tmp.home, 'renderer'), token: 'short' }), /token/);
  });
});

describe('signing in', () => {
  test('the page loads without a credential and sets no cookie; the code is redeemed once for a session', async () => {
    const url = ui.openUrl();
    const page = await raw(ui.port, { path: new URL(url).pathname + new URL(url).search });
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>Corral<\/title>/);
    assert.equal(page.headers['set-cookie'], undefined);
    const first = await raw(ui.port, { method: 'POST', path: '/auth/session', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ code: codeOf(url) }) });
    assert.equal(first.status, 200);
    const s = (first.json() as { session: string }).session;
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(first.headers['set-cookie'], undefined);
    assert.equal((await postApi(ui.port, 'getSettings', {}, { bearer: s, origin })).status, 200);
    const again = await raw(ui.port, { method: 'POST', path: '/auth/session', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ code: codeOf(url) }) });
    assert.equal(again.status, 401, 'a code works once');
    assert.match((again.json() as { error: { message: string } }).error.message, /used already.*corral ui/);
  });

  test('sends a strict CSP and no-referrer', async () => {
    const r = await raw(ui.port, { path: '/' });
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  test('no credential rides along: a cookie holding the token or a session opens nothing', async () => {
    const before = fake.calls.length;
    for (const cookie of [`corral_${ui.port}=${TOKEN}`, `corral_${ui.port}=${session}`, `session=${session}`]) {
      assert.equal((await postApi(ui.port, 'stop', { stack: 'demo' }, { cookie, origin })).status, 401, cookie);
      assert.equal((await raw(ui.port, { path: '/api/events', headers: { cookie } })).status, 401, cookie);
    }
    assert.equal((await raw(ui.port, { path: `/api/events?token=${TOKEN}` })).status, 401);
    assert.equal((await raw(ui.port, { path: `/api/events?code=${codeOf(ui.openUrl())}` })).status, 401);
    assert.equal(fake.calls.length, before);
  });

  test('an event stream opens with a ticket once; a used or made-up ticket is refused', async () => {
    assert.equal((await raw(ui.port, { method: 'POST', path: '/auth/ticket' })).status, 401, 'a ticket needs the session');
    const t = await raw(ui.port, { method: 'POST', path: '/auth/ticket', headers: auth });
    const { ticket } = t.json() as { ticket: string };
    const sse = await openSse(ui.port, `/api/events?ticket=${ticket}`);
    assert.equal(sse.status, 200);
    sse.close();
    assert.equal((await raw(ui.port, { path: `/api/events?ticket=${ticket}` })).status, 401, 'single use');
    assert.equal((await raw(ui.port, { path: `/api/events?ticket=${session}` })).status, 401, 'a session is not a ticket');
  });

  test('a link from another site may open the page but nothing else', async () => {
    const nav = await raw(ui.port, { path: `/?code=${codeOf(ui.openUrl())}`, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } });
    assert.equal(nav.status, 200);
    const sub = await raw(ui.port, { path: '/assets/app.js', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } });
    assert.equal(sub.status, 403);
    const redeem = await raw(ui.port, { method: 'POST', path: '/auth/session', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' }, body: JSON.stringify({ code: codeOf(ui.openUrl()) }) });
    assert.equal(redeem.status, 403);
  });
});

describe('every request', () => {
  test('assets need no credential, with their content type', async () => {
    const js = await raw(ui.port, { path: '/assets/app.js', headers: auth });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    const css = await raw(ui.port, { path: '/assets/style.css', headers: auth });
    assert.match(String(css.headers['content-type']), /^text\/css/);
    const head = await raw(ui.port, { method: 'HEAD', path: '/assets/app.js', headers: auth });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
  });

  test('a wrong Bearer credential: 401; the token or a session: 200', async () => {
    assert.equal((await postApi(ui.port, 'getSettings', {}, { bearer: 'nope' })).status, 401);
    assert.equal((await postApi(ui.port, 'getSettings', {}, { bearer: TOKEN })).status, 200);
    assert.equal((await postApi(ui.port, 'getSettings', {}, { bearer: session })).status, 200);
  });

  test('Host must be 127.0.0.1:<port> or localhost:<port> (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const host of ['evil.example:' + ui.port, `127.0.0.1:${ui.port + 1}`, '127.0.0.1', `[::1]:${ui.port}`, `127.0.0.1.nip.io:${ui.port}`]) {
      const r = await raw(ui.port, { path: '/assets/app.js', headers: auth, host });
      assert.equal(r.status, 421, host);
    }
    // Node itself answers 400 to an HTTP/1.1 request without Host.
    assert.ok([400, 421].includes((await raw(ui.port, { path: '/assets/app.js', headers: auth, host: null })).status), 'no Host');
    assert.equal((await raw(ui.port, { path: '/assets/app.js', headers: auth, host: `localhost:${ui.port}` })).status, 200);
    assert.equal((await raw(ui.port, { path: '/assets/app.js', headers: auth, host: `LOCALHOST:${ui.port}` })).status, 200);
  });

  test('a rebinding page is refused even with the right session', async () => {
    const before = fake.calls.length;
    const r = await raw(ui.port, {
      method: 'POST',
      path: '/api/stop',
      host: `attacker.example:${ui.port}`,
      headers: { bearer: session, origin: `http://attacker.example:${ui.port}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stack: 'demo' }),
    });
    assert.equal(r.status, 421);
    assert.equal(fake.calls.length, before);
  });
});

describe('POST /api/<call>', () => {
  test('with the session and our Origin: runs the call and answers its result', async () => {
    const r = await postApi(ui.port, 'start', { stack: 'demo', services: ['api'] }, { bearer: session, origin });
    assert.equal(r.status, 200);
    const body = r.json() as { outcomes: { service: string; ok: boolean }[] };
    assert.deepEqual(body.outcomes.map((o) => [o.service, o.ok]), [['api', true]]);
    assert.deepEqual(lastCall(), { name: 'start', req: { stack: 'demo', services: ['api'] } });
  });

  test('localhost is the same page as 127.0.0.1 when Host and Origin agree', async () => {
    const r = await raw(ui.port, {
      method: 'POST',
      path: '/api/snapshot',
      host: `localhost:${ui.port}`,
      headers: { ...auth, origin: `http://localhost:${ui.port}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 200);
  });

  test('wrong token: 401 and nothing done', async () => {
    const before = fake.calls.length;
    const attempts = [
      postApi(ui.port, 'stop', { stack: 'demo' }, { bearer: 'wrong-token-wrong-token-wrong', origin }),
      postApi(ui.port, 'stop', { stack: 'demo' }, { cookie: `corral_${ui.port}=${TOKEN}`, origin }),
      postApi(ui.port, 'stop', { stack: 'demo' }, { origin }),
      postApi(ui.port, 'killPortHolder', { stack: 'demo', service: 'api', pid: 1, confirm: true }, { origin }),
    ];
    for (const r of await Promise.all(attempts)) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.json(), { error: { code: 'unauthorized', message: 'Missing or wrong credentials. Open the address `corral ui` prints (its one-time code signs this page in).' } });
    }
    assert.equal(fake.calls.length, before, 'no call reached the owner');
  });

  test('a session with another Origin: 403 and nothing done', async () => {
    const before = fake.calls.length;
    assert.equal((await postApi(ui.port, 'stop', { stack: 'demo' }, { bearer: session, origin: 'http://evil.example' })).status, 403);
    assert.equal((await postApi(ui.port, 'stop', { stack: 'demo' }, { bearer: session, origin: `http://127.0.0.1:${ui.port + 1}` })).status, 403);
    assert.equal((await postApi(ui.port, 'stop', { stack: 'demo' }, { bearer: session, origin: 'null' })).status, 403);
    assert.equal(fake.calls.length, before);
  });

  test('a Bearer client without Origin (a script, the CLI) is fine; with a foreign Origin it is not', async () => {
    assert.equal((await postApi(ui.port, 'getSettings', {}, { bearer: TOKEN })).status, 200);
    const before = fake.calls.length;
    assert.equal((await postApi(ui.port, 'stop', { stack: 'demo' }, { bearer: TOKEN, origin: 'http://evil.example' })).status, 403);
    assert.equal(fake.calls.length, before);
  });

  test('a simple cross-site form post cannot pass (text/plain, no token)', async () => {
    const before = fake.calls.length;
    const r = await raw(ui.port, {
      method: 'POST',
      path: '/api/stop',
      headers: { ...auth, origin, 'content-type': 'text/plain' },
      body: JSON.stringify({ stack: 'demo' }),
    });
    assert.equal(r.status, 415);
    assert.equal(fake.calls.length, before);
  });

  test('invalid JSON: 400 with a plain error', async () => {
    const r = await postApi(ui.port, 'start', '{"stack": "demo"', { bearer: TOKEN });
    assert.equal(r.status, 400);
    const e = r.json() as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'bad-request');
    assert.match(e.error.message, /not valid JSON/);
  });

  test('a request that fails the schema: 400 naming the field; nothing done', async () => {
    const before = fake.calls.length;
    const cases: [string, unknown, RegExp][] = [
      ['start', { stack: '../etc' }, /Invalid request for `start` at `stack`/],
      ['start', { stack: 'demo', extra: 1 }, /Invalid request for `start`/],
      ['start', [], /Invalid request for `start`/],
      ['killPortHolder', { stack: 'demo', service: 'api', pid: 42 }, /at `confirm`/],
      ['killPortHolder', { stack: 'demo', service: 'api', pid: -1, confirm: true }, /at `pid`/],
      ['readLogs', { stack: 'demo', lines: 2_000_000 }, /at `lines`/],
      ['setSettings', { launchAtLogin: 'yes' }, /at `launchAtLogin`/],
    ];
    for (const [call, body, msg] of cases) {
      const r = await postApi(ui.port, call, body, { bearer: TOKEN });
      assert.equal(r.status, 400, `${call} ${JSON.stringify(body)}`);
      assert.match((r.json() as { error: { message: string } }).error.message, msg);
    }
    assert.equal(fake.calls.length, before);
  });

  test('unknown call: 404; wrong method: 405; prototype names are not calls', async () => {
    assert.equal((await postApi(ui.port, 'rmrf', {}, { bearer: TOKEN })).status, 404);
    assert.equal((await postApi(ui.port, 'constructor', {}, { bearer: TOKEN })).status, 404);
    assert.equal((await postApi(ui.port, '__proto__', {}, { bearer: TOKEN })).status, 404);
    assert.equal((await raw(ui.port, { path: '/api/start', headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
  });

  test('a body over the limit: 413, nothing done', async () => {
    const before = fake.calls.length;
    const big = JSON.stringify({ stack: 'demo', services: ['x'.repeat(100 * 1024)] });
    const r = await postApi(ui.port, 'start', big, { bearer: TOKEN });
    assert.equal(r.status, 413);
    assert.equal(fake.calls.length, before);
  });

  test('errors thrown by the owner become {error:{code,message}} with a matching status', async () => {
    fake.failNext.set('killPortHolder', Object.assign(new Error('Process 42 no longer holds port 7300.'), { code: 'conflict' }));
    const r1 = await postApi(ui.port, 'killPortHolder', { stack: 'demo', service: 'api', pid: 42, confirm: true }, { bearer: TOKEN });
    assert.equal(r1.status, 409);
    assert.deepEqual(r1.json(), { error: { code: 'conflict', message: 'Process 42 no longer holds port 7300.' } });
    fake.failNext.set('stop', new Error('disk on fire'));
    const r2 = await postApi(ui.port, 'stop', { stack: 'demo' }, { bearer: TOKEN });
    assert.equal(r2.status, 500);
    assert.deepEqual(r2.json(), { error: { code: 'internal', message: 'disk on fire' } });
    const r3 = await postApi(ui.port, 'start', { stack: 'nostack' }, { bearer: TOKEN });
    assert.equal(r3.status, 404);
  });

  test('a large readLogs is streamed in lines of whole items and is still plain JSON', async () => {
    const lines: LogLine[] = Array.from({ length: 50_000 }, (_, i) => ({ stack: 'demo', service: 'worker', ts: 1000 + i, seq: i, text: `line ${i} "quoted" \u2028 \x1b[31mred\x1b[0m` }));
    fake.setLog('demo', 'worker', lines);
    const r = await postApi(ui.port, 'readLogs', { stack: 'demo', services: ['worker'], lines: 1_000_000 }, { bearer: TOKEN });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-corral-format'], 'lines');
    const body = r.json() as LogLine[];
    assert.equal(body.length, 50_000);
    assert.deepEqual(body[49_999], lines[49_999]);
    // Every line holds whole items: the browser parses it line by line, in slices.
    const parts = r.text.split('\n').filter((l) => l !== '' && l !== '[' && l !== ']');
    assert.ok(parts.length > 1);
    let n = 0;
    for (const p of parts) n += (JSON.parse(`[${p.replace(/,$/, '')}]`) as unknown[]).length;
    assert.equal(n, 50_000);
    fake.setLog('demo', 'worker', []);
  });
});

describe('static files', () => {
  const get = (path: string) => raw(ui.port, { path, headers: auth });

  test('cannot leave the renderer folder', async () => {
    const cases: [string, number[]][] = [
      ['/../secret.txt', [403]],
      ['/assets/../../secret.txt', [403]],
      ['/%2e%2e/secret.txt', [403]],
      ['/assets/%2e%2e%2f%2e%2e%2fsecret.txt', [403]],
      ['/..%5csecret.txt', [400]],
      ['/%00', [400]],
      ['/%E0%A4%A', [400]],
      ['/assets/link.txt', [403]],
      ['/.env', [404]],
      ['/assets', [404]],
      ['/nope.js', [404]],
      ['//etc/passwd', [404]],
    ];
    for (const [path, statuses] of cases) {
      const r = await get(path);
      assert.ok(statuses.includes(r.status), `${path}: ${r.status}`);
      assert.doesNotMatch(r.text, /top secret|SECRET=1|root:/, path);
    }
  });

  test('only GET and HEAD', async () => {
    const r = await raw(ui.port, { method: 'PUT', path: '/index.html', headers: { bearer: session, origin } });
    assert.equal(r.status, 405);
  });
});

describe('GET /api/events', () => {
  const parse = <T>(e: SseEvent) => JSON.parse(e.data) as T;

  test('streams the current snapshot, then every change', async () => {
    const sse = await openSse(ui.port, '/api/events', auth);
    try {
      assert.equal(sse.status, 200);
      assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
      assert.equal(sse.headers['cache-control'], 'no-store');
      const first = parse<Snapshot>(await sse.next((e) => e.event === 'snapshot'));
      assert.equal(first.stacks[0]!.name, 'demo');
      const t0 = Date.now();
      fake.update('demo', 'worker', { state: 'starting' });
      const second = parse<Snapshot>(await sse.next((e) => e.event === 'snapshot'));
      // Pushed at once, not held for a batch (the bound leaves room for a loaded CI machine).
      assert.ok(Date.now() - t0 < 1000, `within a second, took ${Date.now() - t0} ms`);
      assert.ok(second.seq > first.seq);
      assert.equal(second.stacks[0]!.services.find((s) => s.name === 'worker')!.state, 'starting');
      // Framing: `retry`, then `event:` + one `data:` line + blank line.
      assert.match(sse.rawText(), /^retry: \d+\n\n/);
      assert.match(sse.rawText(), /event: snapshot\ndata: \{[^\n]*\}\n\n/);
    } finally {
      sse.close();
    }
  });

  test('follows the logs of the services asked for, and only those', async () => {
    const sse = await openSse(ui.port, '/api/events?stack=demo&services=api&snapshots=0', auth);
    try {
      await waitFor(() => fake.listenerCounts.logs === 1, 2000, 'log subscription');
      fake.log('demo', 'worker', 'not me');
      fake.log('demo', 'api', ['hello\nnot a frame break', 'data: fake\n\nevent: snapshot']);
      const first = await sse.next((x) => x.event === 'logs');
      assert.deepEqual(parse<LogBatch>(first), { lines: [], cursor: { api: 0 } }, 'the first batch: no history asked, the cursor');
      const e = await sse.next((x) => x.event === 'logs' && parse<LogBatch>(x).lines.length > 0);
      const lines = parse<LogBatch>(e).lines;
      assert.deepEqual(
        lines.map((l) => [l.service, l.text]),
        [
          ['api', 'hello\nnot a frame break'],
          ['api', 'data: fake\n\nevent: snapshot'],
        ],
      );
      assert.ok(!sse.events.some((x) => x.event === 'snapshot'), 'snapshots=0');
    } finally {
      sse.close();
    }
  });

  test('a malformed subscription is refused before the stream opens', async () => {
    const sse = await openSse(ui.port, '/api/events?stack=..%2Fetc', auth);
    assert.equal(sse.status, 400);
    sse.close();
  });

  test('needs a credential like the API', async () => {
    const sse = await openSse(ui.port, '/api/events');
    assert.equal(sse.status, 401);
    sse.close();
    const foreign = await openSse(ui.port, '/api/events', { ...auth, origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    foreign.close();
  });

  test('unsubscribes from the owner when the client goes away', async () => {
    await waitFor(() => fake.listenerCounts.snapshot === 0 && fake.listenerCounts.logs === 0, 2000, 'earlier streams to close');
    const sse = await openSse(ui.port, '/api/events?stack=demo', auth);
    await waitFor(() => fake.listenerCounts.snapshot === 1 && fake.listenerCounts.logs === 1, 2000, 'subscriptions');
    sse.close();
    await waitFor(() => fake.listenerCounts.snapshot === 0 && fake.listenerCounts.logs === 0, 2000, 'unsubscribe on close');
  });

  test('a reader that does not keep up gets a gap event instead of unbounded buffering', async () => {
    const sse = await openSse(ui.port, '/api/events?stack=demo&services=api&snapshots=0', auth);
    try {
      await waitFor(() => fake.listenerCounts.logs >= 1, 2000, 'log subscription');
      sse.response.pause();
      const text = 'x'.repeat(400);
      for (let i = 0; i < 100; i++) {
        fake.log('demo', 'api', Array.from({ length: 2000 }, () => text));
        await new Promise((r) => setImmediate(r));
      }
      sse.response.resume();
      const gap = await sse.next((e) => e.event === 'gap', 10_000);
      assert.ok((JSON.parse(gap.data) as { dropped: number }).dropped > 0);
    } finally {
      sse.close();
    }
  });

  test('close() ends open streams and frees the port', async () => {
    const other = await startWebUi(fake.api, { rendererDir: join(tmp.home, 'renderer'), token: TOKEN });
    const sse = await openSse(other.port, '/api/events', { authorization: `Bearer ${TOKEN}` });
    await sse.next((e) => e.event === 'snapshot');
    const ended = new Promise<void>((r) => sse.response.on('close', () => r()));
    await other.close();
    await ended;
    await assert.rejects(raw(other.port, { path: '/' }));
  });
});
