// Health probes against real sockets and real fixture processes: each kind
// passes on a healthy server, fails promptly on a closed port, settles at its
// timeout on a server that hangs, and leaves no socket, timer or process behind.
import { test, describe, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createServer as createHttp2Server } from 'node:http2';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probe, type ProbeResult } from '../../electron/engine/probes/index.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from '../../electron/engine/probes/health-proto.js';
import type { HealthCheck } from '../../shared/stack.js';
import { REPO_ROOT, assertNothingLeft, fixture, freePort, isLive, waitFor } from '../helpers/env.js';

const TAG = `probes-${process.pid}`;
const HOST = '127.0.0.1';
/**
 * Slack allowed past a probe's timeout. Typically one timer turn plus cleanup
 * (a few ms), but a loaded 2-core CI machine can stall this process for a few
 * hundred: the bound proves the probe settles at its timeout instead of hanging.
 */
const EPSILON_MS = 1000;

interface Running {
  child: ChildProcess;
  port: number;
  /** Every stdout line so far. */
  lines: string[];
}

const children: ChildProcess[] = [];

/** Ends a process we spawned, by its pid only, and waits until it is reaped. */
async function killChild(c: ChildProcess): Promise<void> {
  c.stdout?.destroy();
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((res) => c.once('exit', res));
  try {
    // SIGKILL: a failed test may have left it in any state.
    process.kill(c.pid, 'SIGKILL');
  } catch {}
  await exited;
}

/** A server of this test's, closed with its connections when the test ends (so leak checks start clean). */
async function listenFor(t: TestContext, onConnection: (socket: Socket) => void): Promise<number> {
  const accepted: Socket[] = [];
  const server: Server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  t.after(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((res) => server.close(res));
  });
  await new Promise<void>((res) => server.listen(0, HOST, res));
  return (server.address() as { port: number }).port;
}

/** Starts a fixture tagged for the leak check and waits for its `listening <port>` line. */
async function startFixture(name: string, args: string[], t?: TestContext): Promise<Running> {
  const child = spawn(process.execPath, [fixture(name), ...args], {
    env: { ...process.env, CORRAL_TEST_TAG: TAG },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  t?.after(() => killChild(child));
  const lines: string[] = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  const line = await waitFor(() => lines.find((l) => l.startsWith('listening ')) ?? (child.exitCode !== null ? 'exited' : ''), 10_000, `${name} to listen`);
  assert.notEqual(line, 'exited', `${name} exited before listening`);
  return { child, port: Number(line.split(' ')[1]), lines };
}

/**
 * A server that accepts connections and never says a word: the "hung service"
 * case. It reads (and drops) what it gets, so it notices the probe hanging up
 * and closes its side too; the leak checks count its sockets as well.
 */
const silentServer = (t: TestContext): Promise<number> => listenFor(t, (socket) => socket.resume());

/** A listener that speaks neither HTTP/2 nor HTTP/1: it greets like an SSH daemon and hangs up. */
const babblingServer = (t: TestContext): Promise<number> => listenFor(t, (socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));

/** Runs `code` in a tagged child (cwd: the repo, so it can require its packages); it prints `listening <port>`. */
async function startInline(t: TestContext, code: string): Promise<number> {
  const child = spawn(process.execPath, ['-e', code], { cwd: REPO_ROOT, env: { ...process.env, CORRAL_TEST_TAG: TAG }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  t.after(() => killChild(child));
  return new Promise<number>((res, rej) => {
    child.stdout!.once('data', (d: Buffer) => res(Number(String(d).trim().split(' ')[1])));
    child.once('exit', () => rej(new Error(`inline server exited: ${code}`)));
  });
}

/**
 * A listener whose accept queue is full: the kernel drops new SYNs, so a tcp
 * connect neither succeeds nor fails. The owner blocks its event loop so it
 * never accepts; the queue is then filled by a few connections of ours.
 */
async function fullBacklogListener(t: TestContext): Promise<number> {
  const port = await startInline(
    t,
    `const s = require('net').createServer();
s.listen({ port: 0, host: '${HOST}', backlog: 1 }, () => {
  // Stdout to a pipe is written synchronously on Linux: the line is out before the loop blocks.
  console.log('listening ' + s.address().port);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
});`,
  );
  const fillers: Socket[] = [];
  t.after(() => fillers.forEach((s) => s.destroy()));
  for (let i = 0; i < 6; i++) {
    const s = connect(port, HOST);
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  return port;
}

/** Runs a probe and measures it; a thunk, so the clock starts before the probe does. */
async function timed(run: () => Promise<ProbeResult>): Promise<ProbeResult & { ms: number }> {
  const t0 = performance.now();
  const r = await run();
  return { ...r, ms: performance.now() - t0 };
}

/** A port nobody listens on (free a moment ago; nothing here binds it). */
const closedPort = (): Promise<number> => freePort();

/**
 * The baseline for a leak check, taken once the loop is quiet: a handle that
 * was just closed (by this test or the one before) is listed until its close
 * callback has run on a later turn of the loop.
 */
async function quietResourceCounts(): Promise<Map<string, number>> {
  // Two readings 300 ms apart that agree (a polite socket close can take up to 500 ms).
  let last = resourceCounts();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const now = resourceCounts();
    if (sameCounts(last, now)) return now;
    last = now;
  }
  return last;
}

const sameCounts = (a: Map<string, number>, b: Map<string, number>): boolean =>
  [...new Set([...a.keys(), ...b.keys()])].every((k) => (a.get(k) ?? 0) === (b.get(k) ?? 0));

/**
 * Active handles and timers, plus the process's socket descriptors: a library
 * can unref() a socket, which hides it from getActiveResourcesInfo but not
 * from the fd table (/proc, so Linux only).
 */
function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  if (existsSync('/proc/self/fd')) {
    let sockets = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
      } catch {}
    }
    counts.set('socket fds', sockets);
  }
  return counts;
}

/**
 * Waits (bounded) until no kind of resource is above `before`; handles close
 * on a later loop turn. Fewer than before is not a leak (something the
 * baseline still saw closing has finished).
 */
async function assertSameResources(before: Map<string, number>, what: string): Promise<void> {
  const noMore = (): boolean => {
    const now = resourceCounts();
    return [...now.keys()].every((k) => (now.get(k) ?? 0) <= (before.get(k) ?? 0));
  };
  try {
    await waitFor(noMore, 5000, what);
  } catch {
    assert.deepEqual(Object.fromEntries(resourceCounts()), Object.fromEntries(before), `${what}: open resources changed`);
  }
}

let http: Running;
let grpc: Running;

before(async () => {
  [http, grpc] = await Promise.all([
    startFixture('http-server.mjs', ['--port', '0']),
    startFixture('grpc-health-server.mjs', ['--port', '0', '--service', 'corral.Test']),
  ]);
});

after(async () => {
  await Promise.all(children.map(killChild));
  await assertNothingLeft({ tag: TAG });
});

describe('probe()', () => {
  test('refuses a timeout setTimeout would misread', async () => {
    for (const timeoutMs of [0, -1, Number.NaN, Infinity, 2 ** 31]) {
      const r = await probe({ kind: 'tcp', host: HOST, port: http.port }, { timeoutMs });
      assert.equal(r.ok, false);
      assert.match(r.detail, /timeout must be between/);
    }
  });

  test('turns an unexpected check into a failed result, not a throw', async () => {
    const r = await probe({ kind: 'nope' } as unknown as HealthCheck, { timeoutMs: 100 });
    assert.deepEqual(r, { ok: false, detail: "unknown health check kind 'nope'" });
  });
});

describe('tcp probe', () => {
  test('succeeds against a listener', async () => {
    const r = await probe({ kind: 'tcp', host: HOST, port: http.port }, { timeoutMs: 2000 });
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, new RegExp(`^tcp 127\\.0\\.0\\.1:${http.port} accepted in \\d+ ms$`));
  });

  test('fails promptly on a closed port', async () => {
    const port = await closedPort();
    const r = await timed(() => probe({ kind: 'tcp', host: HOST, port }, { timeoutMs: 5000 }));
    assert.equal(r.ok, false);
    assert.equal(r.detail, `connection refused on 127.0.0.1:${port}`);
    assert.ok(r.ms < 2500, `took ${r.ms} ms, not its 5000 ms timeout`);
  });

  test('says "connection refused" for a name with several addresses (happy eyeballs)', async () => {
    const port = await closedPort();
    const r = await probe({ kind: 'tcp', host: 'localhost', port }, { timeoutMs: 5000 });
    assert.equal(r.ok, false);
    assert.equal(r.detail, `connection refused on localhost:${port}`);
  });

  test('settles at its timeout when the listener never accepts', async (t) => {
    const port = await fullBacklogListener(t);
    const r = await timed(() => probe({ kind: 'tcp', host: HOST, port }, { timeoutMs: 300 }));
    assert.equal(r.ok, false);
    assert.equal(r.detail, `tcp 127.0.0.1:${port} did not accept within 300 ms`);
    assert.ok(r.ms >= 290 && r.ms < 300 + EPSILON_MS, `took ${r.ms} ms`);
  });

  test('200 sequential probes leave no open handles or timers', async () => {
    const check: HealthCheck = { kind: 'tcp', host: HOST, port: http.port };
    await probe(check, { timeoutMs: 2000 }); // warm-up: first use loads modules lazily
    const before = await quietResourceCounts();
    for (let i = 0; i < 200; i++) {
      const r = await probe(check, { timeoutMs: 2000 });
      assert.equal(r.ok, true, r.detail);
    }
    for (let i = 0; i < 20; i++) await probe({ kind: 'tcp', host: HOST, port: await closedPort() }, { timeoutMs: 2000 });
    await assertSameResources(before, '220 tcp probes');
  });
});

describe('http probe', () => {
  const url = (port: number, path = '/healthz'): string => `http://${HOST}:${port}${path}`;

  test('succeeds on a status in range', async () => {
    const r = await probe({ kind: 'http', url: url(http.port), status: [200, 299] }, { timeoutMs: 2000 });
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, new RegExp(`^http 200 from ${url(http.port).replace(/\./g, '\\.')} in \\d+ ms$`));
  });

  test('fails on a status out of range, and recovers (SIGUSR2 flips 200 <-> 503)', async () => {
    const check: HealthCheck = { kind: 'http', url: url(http.port), status: [200, 399] };
    http.child.kill('SIGUSR2');
    await waitFor(() => http.lines.includes('status 503'), 5000, 'the fixture to answer 503');
    const bad = await probe(check, { timeoutMs: 2000 });
    assert.deepEqual(bad, { ok: false, detail: `http 503 from ${url(http.port)} (expected 200-399)` });
    http.child.kill('SIGUSR2');
    await waitFor(() => http.lines.includes('status 200'), 5000, 'the fixture to answer 200');
    assert.equal((await probe(check, { timeoutMs: 2000 })).ok, true);
  });

  test('a 404 is out of the default range', async () => {
    const r = await probe({ kind: 'http', url: url(http.port, '/nope'), status: [200, 299] }, { timeoutMs: 2000 });
    assert.equal(r.ok, false);
    assert.match(r.detail, /^http 404 from /);
  });

  test('fails promptly on a closed port', async () => {
    const port = await closedPort();
    const r = await timed(() => probe({ kind: 'http', url: url(port), status: [200, 299] }, { timeoutMs: 5000 }));
    assert.deepEqual({ ok: r.ok, detail: r.detail }, { ok: false, detail: `connection refused on 127.0.0.1:${port}` });
    assert.ok(r.ms < 2500, `took ${r.ms} ms, not its 5000 ms timeout`);
  });

  test('settles at its timeout when the server accepts and never answers', async (t) => {
    const port = await silentServer(t);
    const r = await timed(() => probe({ kind: 'http', url: url(port), status: [200, 299] }, { timeoutMs: 300 }));
    assert.equal(r.ok, false);
    assert.equal(r.detail, `http GET ${url(port)} got no answer within 300 ms`);
    assert.ok(r.ms >= 290 && r.ms < 300 + EPSILON_MS, `took ${r.ms} ms`);
  });

  test('settles at its timeout when the answer is slower than the timeout', async (t) => {
    const slow = await startFixture('http-server.mjs', ['--port', '0', '--delay-ms', '5000'], t);
    const r = await timed(() => probe({ kind: 'http', url: url(slow.port), status: [200, 299] }, { timeoutMs: 250 }));
    assert.equal(r.ok, false);
    assert.match(r.detail, /got no answer within 250 ms/);
    assert.ok(r.ms < 250 + EPSILON_MS, `took ${r.ms} ms`);
  });

  test('names a listener that does not speak HTTP', async (t) => {
    const port = await babblingServer(t);
    const r = await probe({ kind: 'http', url: url(port), status: [200, 299] }, { timeoutMs: 2000 });
    assert.equal(r.ok, false);
    assert.match(r.detail, new RegExp(`^127\\.0\\.0\\.1:${port} (did not answer in HTTP|closed the connection without an HTTP answer)`));
  });

  test('leaves no sockets or timers behind, also after a timeout', async (t) => {
    const silent = await silentServer(t);
    const check: HealthCheck = { kind: 'http', url: url(http.port), status: [200, 299] };
    await probe(check, { timeoutMs: 2000 });
    const before = await quietResourceCounts();
    for (let i = 0; i < 30; i++) assert.equal((await probe(check, { timeoutMs: 2000 })).ok, true);
    for (let i = 0; i < 5; i++) await probe({ ...check, url: url(await closedPort()) }, { timeoutMs: 2000 });
    for (let i = 0; i < 2; i++) await probe({ ...check, url: url(silent) }, { timeoutMs: 100 });
    await assertSameResources(before, '37 http probes');
  });

  test('says when an https url meets a plain-http server', async () => {
    const r = await probe({ kind: 'http', url: `https://${HOST}:${http.port}/healthz`, status: [200, 299] }, { timeoutMs: 2000 });
    assert.equal(r.ok, false);
    assert.match(r.detail, new RegExp(`^TLS handshake with 127\\.0\\.0\\.1:${http.port} failed \\(does it serve plain http\\?\\): [^\\n]+$`));
  });

  test('rejects a url it cannot use', async () => {
    assert.match((await probe({ kind: 'http', url: 'not a url', status: [200, 299] }, { timeoutMs: 500 })).detail, /invalid url/);
    assert.match((await probe({ kind: 'http', url: 'ftp://x/', status: [200, 299] }, { timeoutMs: 500 })).detail, /needs an http/);
  });
});

describe('grpc probe', () => {
  const check = (port: number, service = ''): HealthCheck => ({ kind: 'grpc', host: HOST, port, service });

  test("succeeds for '' and for the served name", async () => {
    const any = await probe(check(grpc.port), { timeoutMs: 3000 });
    assert.equal(any.ok, true, any.detail);
    assert.match(any.detail, new RegExp(`^grpc SERVING for service '' on 127\\.0\\.0\\.1:${grpc.port} in \\d+ ms$`));
    const named = await probe(check(grpc.port, 'corral.Test'), { timeoutMs: 3000 });
    assert.equal(named.ok, true, named.detail);
  });

  test('fails for a service name the server does not know', async () => {
    const r = await probe(check(grpc.port, 'other.Service'), { timeoutMs: 3000 });
    assert.equal(r.ok, false);
    assert.match(r.detail, /^grpc SERVICE_UNKNOWN for service 'other\.Service'/);
  });

  test('fails with NOT_SERVING after SIGUSR2, passes again after the next', async () => {
    grpc.child.kill('SIGUSR2');
    await waitFor(() => grpc.lines.includes('status NOT_SERVING'), 5000, 'the fixture to stop serving');
    const r = await probe(check(grpc.port), { timeoutMs: 3000 });
    assert.deepEqual(r, { ok: false, detail: `grpc NOT_SERVING for service '' on 127.0.0.1:${grpc.port}` });
    grpc.child.kill('SIGUSR2');
    await waitFor(() => grpc.lines.includes('status SERVING'), 5000, 'the fixture to serve again');
    assert.equal((await probe(check(grpc.port), { timeoutMs: 3000 })).ok, true);
  });

  test('fails promptly on a closed port', async () => {
    const port = await closedPort();
    const r = await timed(() => probe(check(port), { timeoutMs: 5000 }));
    assert.deepEqual({ ok: r.ok, detail: r.detail }, { ok: false, detail: `connection refused on 127.0.0.1:${port}` });
    assert.ok(r.ms < 2500, `took ${r.ms} ms, not its 5000 ms timeout`);
  });

  test('says an HTTP/1 server is not a gRPC server', async () => {
    const r = await timed(() => probe(check(http.port), { timeoutMs: 3000 }));
    assert.equal(r.ok, false);
    assert.match(r.detail, new RegExp(`^127\\.0\\.0\\.1:${http.port} is not a gRPC server: it does not speak HTTP/2`));
    assert.ok(r.ms < 2500, `took ${r.ms} ms, not its 3000 ms timeout`);
  });

  test('says an HTTP/2 server that is not gRPC is not a gRPC server', async (t) => {
    const server = createHttp2Server((req, res) => {
      if (req.url.includes('Health')) res.writeHead(404).end('no such page');
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>');
    });
    await new Promise<void>((res) => server.listen(0, HOST, res));
    t.after(() => new Promise((res) => server.close(res)));
    const port = (server.address() as { port: number }).port;
    const r = await probe(check(port), { timeoutMs: 3000 });
    assert.deepEqual(r, { ok: false, detail: `127.0.0.1:${port} is not a gRPC server: it answered HTTP 404` });
  });

  test('says a gRPC server without the health service does not implement it', async (t) => {
    const port = await startInline(
      t,
      `const grpc = require('@grpc/grpc-js');
const s = new grpc.Server();
s.bindAsync('${HOST}:0', grpc.ServerCredentials.createInsecure(), (e, p) => console.log('listening ' + p));`,
    );
    const r = await probe(check(port), { timeoutMs: 3000 });
    assert.deepEqual(r, { ok: false, detail: `gRPC server on 127.0.0.1:${port} does not implement grpc.health.v1 Health/Check` });
  });

  test('says a non-HTTP listener is not a gRPC server', async (t) => {
    const r = await probe(check(await babblingServer(t)), { timeoutMs: 3000 });
    assert.equal(r.ok, false);
    assert.match(r.detail, /not a gRPC server/);
  });

  test('settles at its timeout when the listener accepts and never answers', async (t) => {
    const port = await silentServer(t);
    const r = await timed(() => probe(check(port), { timeoutMs: 300 }));
    assert.equal(r.ok, false);
    assert.equal(r.detail, `no gRPC answer from 127.0.0.1:${port} within 300 ms: it accepted the connection but never spoke HTTP/2 (not a gRPC server, or stuck)`);
    assert.ok(r.ms >= 290 && r.ms < 300 + EPSILON_MS, `took ${r.ms} ms`);
  });

  test('closes its channel after each probe, also after a timeout', async (t) => {
    const silent = await silentServer(t);
    await probe(check(grpc.port), { timeoutMs: 3000 });
    const before = await quietResourceCounts();
    for (let i = 0; i < 30; i++) assert.equal((await probe(check(grpc.port), { timeoutMs: 3000 })).ok, true);
    for (let i = 0; i < 5; i++) await probe(check(await closedPort()), { timeoutMs: 3000 });
    for (let i = 0; i < 2; i++) await probe(check(silent), { timeoutMs: 100 });
    await probe(check(http.port), { timeoutMs: 3000 });
    await assertSameResources(before, '38 grpc probes');
  });

  test('health messages round-trip the wire format', () => {
    assert.equal(encodeHealthCheckRequest('').length, 0);
    assert.deepEqual([...encodeHealthCheckRequest('ab')], [0x0a, 2, 0x61, 0x62]);
    assert.equal(decodeHealthCheckResponse(Buffer.alloc(0)), 'UNKNOWN');
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x01])), 'SERVING');
    // An unknown length-delimited field before the status is skipped.
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x12, 0x01, 0x00, 0x08, 0x02])), 'NOT_SERVING');
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x08, 0x09])), 'status 9');
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x08, 0x80])), /truncated/);
  });
});

describe('exec probe', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-probes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const node = (code: string): HealthCheck => ({ kind: 'exec', command: [process.execPath, '-e', code] });
  const tagged = { ...process.env, CORRAL_TEST_TAG: TAG };

  test('succeeds on exit 0, in the given cwd and env', async () => {
    const r = await probe(node('process.exit(process.cwd() === process.env.WANT_CWD ? 0 : 1)'), {
      timeoutMs: 5000,
      cwd: dir,
      env: { ...tagged, WANT_CWD: dir },
    });
    assert.equal(r.ok, true, r.detail);
    assert.match(r.detail, /^exec .+ exited 0 in \d+ ms$/);
  });

  test('fails on a non-zero exit with the first stderr line', async () => {
    const r = await probe(node("console.log('stdout noise'); console.error('\\ndb not ready\\nmore'); process.exit(3)"), { timeoutMs: 5000, env: tagged });
    assert.deepEqual(r, { ok: false, detail: `exec ${process.execPath} exited 3: db not ready` });
  });

  test('a string command is shown as written, not as /bin/sh', async () => {
    const r = await probe({ kind: 'exec', command: ['/bin/sh', '-c', 'echo "no response" >&2; exit 2'] }, { timeoutMs: 5000, env: tagged });
    assert.deepEqual(r, { ok: false, detail: 'exec echo "no response" >&2; exit 2 exited 2: no response' });
  });

  test('fails clearly when the command cannot start', async () => {
    const missing = await probe({ kind: 'exec', command: [join(dir, 'no-such-tool')] }, { timeoutMs: 2000 });
    assert.deepEqual(missing, { ok: false, detail: `exec cannot start ${join(dir, 'no-such-tool')}: not found` });
    const badCwd = await probe(node('0'), { timeoutMs: 2000, cwd: join(dir, 'gone') });
    assert.match(badCwd.detail, /working directory .*gone does not exist/);
    assert.match((await probe({ kind: 'exec', command: [] }, { timeoutMs: 2000 })).detail, /empty command/);
  });

  test('at its timeout kills the command and everything it started', async () => {
    const pidFile = join(dir, 'timeout.pid');
    // The command starts a grandchild (same process group), records its pid, then hangs.
    const code = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
setInterval(() => {}, 1000);`;
    // Long enough for the command to boot and start its child on a loaded machine.
    const r = await timed(() => probe(node(code), { timeoutMs: 4000, env: tagged }));
    assert.equal(r.ok, false);
    assert.equal(r.detail, `exec ${process.execPath} still running after 4000 ms; killed`);
    assert.ok(r.ms >= 3990 && r.ms < 4000 + EPSILON_MS, `took ${r.ms} ms`);
    assert.ok(existsSync(pidFile), 'the command did not get to start its child');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isLive(grandchild), 5000, `grandchild ${grandchild} to be killed`);
  });

  test('sweeps what a finished command left running in its group', async () => {
    const pidFile = join(dir, 'leftover.pid');
    const code = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
c.unref();`;
    const r = await probe(node(code), { timeoutMs: 5000, env: tagged });
    assert.equal(r.ok, true, r.detail);
    const leftover = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isLive(leftover), 5000, `leftover ${leftover} to be killed`);
  });

  test('leaves no child process handles behind', async () => {
    await probe(node('0'), { timeoutMs: 5000 });
    const before = await quietResourceCounts();
    for (let i = 0; i < 5; i++) await probe(node('process.exit(i % 2)'.replace('i', String(i))), { timeoutMs: 5000, env: tagged });
    await probe(node('setInterval(() => {}, 1000)'), { timeoutMs: 300, env: tagged });
    await probe({ kind: 'exec', command: [join(dir, 'no-such-tool')] }, { timeoutMs: 2000 });
    await assertSameResources(before, 'exec probes');
  });
});

describe('fixtures', () => {
  test('exit 0 on SIGTERM (lifecycle tests stop them that way)', async (t) => {
    const started = await Promise.all([
      startFixture('http-server.mjs', ['--port', '0', '--status', '204'], t),
      startFixture('grpc-health-server.mjs', ['--port', '0'], t),
    ]);
    const [web] = started;
    const r = await probe({ kind: 'http', url: `http://${HOST}:${web!.port}/healthz`, status: [204, 204] }, { timeoutMs: 2000 });
    assert.equal(r.ok, true, r.detail);
    for (const { child } of started) {
      const exited = new Promise<[number | null, string | null]>((res) => child.once('exit', (code, signal) => res([code, signal])));
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    }
  });
});
