// Every log line has an identity (its byte position in the service's whole
// log), so every view joins history and live lines exactly: a writer repeating
// one identical line across the seam must be shown exactly as many times as it
// wrote it, over IPC (the window) and over SSE (the web UI), including after
// the web UI's stream is cut and resumes. Lines are capped, `\r` redraws show
// their last state, and a history read gives the same lines, at the same
// positions, as following.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataDir } from '../../electron/engine/state/paths.js';
import { LogHub, readServiceLog } from '../../electron/engine/logs/log-hub.js';
import { LINE_CAP_BYTES } from '../../electron/engine/logs/line-splitter.js';
import { createLogSubscriptions, type SenderLike } from '../../electron/app/ipc.js';
import { CHANNEL } from '../../electron/app/channels.js';
import { startWebUi } from '../../electron/host/web/server.js';
import type { CorralApi, LogBatch, LogLine, LogSubscription } from '../../shared/api.js';
import { FakeOwner } from '../helpers/fake-api.js';
import { nodeEventSource } from '../helpers/node-event-source.js';
import { tempHome, waitFor, isLive, fixture, REPO_ROOT } from '../helpers/env.js';
import { build } from 'esbuild';

type HttpApiFactory = (opts: { base: string; EventSource: typeof EventSource; fetch: typeof fetch }) => CorralApi;

/** The web UI's transport as the browser gets it (bundled; it is DOM code, outside the Node build). */
async function loadHttpTransport(): Promise<HttpApiFactory> {
  const out = join(REPO_ROOT, 'dist', 'test', 'integration', '.log-identity', 'transport-http.mjs');
  await build({ entryPoints: [join(REPO_ROOT, 'renderer', 'src', 'transport-http.ts')], outfile: out, bundle: true, format: 'esm', platform: 'neutral', logLevel: 'silent', absWorkingDir: REPO_ROOT });
  return ((await import(out)) as { createHttpApi: HttpApiFactory }).createHttpApi;
}

const WRITES = 4000;

/** A real process appending WRITES identical lines ("same"), then "done", to the service's log. */
function sameWriter(file: string): ChildProcess {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a');
  try {
    return spawn(process.execPath, [fixture('log-writer.mjs'), '--same', String(WRITES)], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

const count = (file: string, text: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l === text).length;

async function stop(p: ChildProcess): Promise<void> {
  p.kill('SIGKILL');
  await waitFor(() => !isLive(p.pid!), 5000, 'the writer to end');
}

/** What the owner's api.onLogs does, over a bare LogHub. */
function hubSource(hub: LogHub, services: string[]): Pick<CorralApi, 'onLogs'> {
  return {
    onLogs: (sub: LogSubscription, listener: (b: LogBatch) => void) =>
      hub.follow(sub.stack, sub.services ?? services, listener, { ...(sub.history ? { history: sub.history } : {}), ...(sub.from ? { from: sub.from } : {}) }),
  };
}

/** Every line once, in order: positions strictly increasing; the identical lines counted. */
function checkExact(lines: LogLine[]): void {
  for (let i = 1; i < lines.length; i++) assert.ok(lines[i]!.seq > lines[i - 1]!.seq, `positions increase: ${lines[i - 1]!.seq} then ${lines[i]!.seq}`);
  assert.equal(lines.filter((l) => l.text === 'same').length, WRITES, 'each identical line shown exactly as many times as written');
  assert.equal(lines.filter((l) => l.text === 'done').length, 1);
}

test('IPC: history and live lines of identical text meet exactly (the window)', async () => {
  const { home, cleanup } = tempHome('logid-ipc');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 15);
  const file = dir.logFile('s', 'w');
  const writer = sameWriter(file);
  const subs = createLogSubscriptions(hubSource(hub, ['w']));
  const batches: LogBatch[] = [];
  const sender: SenderLike = {
    id: 1,
    send: (channel: string, msg: unknown) => {
      if (channel === CHANNEL.logs) batches.push((msg as { batch: LogBatch }).batch);
    },
    isDestroyed: () => false,
    once: () => undefined,
  };
  const frame = { senderFrame: { url: 'corral-app://app/index.html', parent: null }, sender };
  try {
    // Join in the middle of the writing: part of the lines are history, the rest live.
    await waitFor(() => count(file, 'same') >= WRITES / 4, 20_000, 'a quarter of the lines');
    assert.ok(count(file, 'same') < WRITES, 'joined before the writer finished');
    assert.deepEqual(await subs.subscribe(frame, 1, { stack: 's', services: ['w'], history: { lines: 100_000 } }), { value: null });
    assert.ok(batches[0]?.cursor, 'the first batch carries the cursor');
    assert.ok(batches[0]!.lines.length > 0, 'and the history');
    await waitFor(() => batches.some((b) => b.lines.some((l) => l.text === 'done')), 20_000, 'the last line');
    checkExact(batches.flatMap((b) => b.lines));
  } finally {
    subs.dispose();
    await stop(writer);
    hub.close();
    cleanup();
  }
});

test('SSE: history and live lines meet exactly, and a cut stream resumes where it was (the web UI)', async () => {
  const { home, cleanup } = tempHome('logid-sse');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 15);
  const file = dir.logFile('s', 'w');
  const rendererDir = join(home, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
  const fake = new FakeOwner();
  const token = 'test-token-0123456789abcdefghijklmnop';
  const ui = await startWebUi({ ...fake.api, ...hubSource(hub, ['w']) }, { rendererDir, token });
  // The token itself is a Bearer credential (scripts, tests); the page uses a session.
  const auth = { authorization: `Bearer ${token}` };
  const es = nodeEventSource(auth);
  const createHttpApi = await loadHttpTransport();
  const http = createHttpApi({ base: `http://127.0.0.1:${ui.port}`, EventSource: es.EventSource, fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as object), ...auth } }) });
  const writer = sameWriter(file);
  const batches: LogBatch[] = [];
  let off = () => {};
  try {
    await waitFor(() => count(file, 'same') >= WRITES / 4, 20_000, 'a quarter of the lines');
    off = http.onLogs({ stack: 's', services: ['w'], history: { lines: 100_000 } }, (b) => batches.push(b));
    await waitFor(() => batches.length > 0, 10_000, 'the first batch');
    assert.ok(batches[0]!.cursor && batches[0]!.lines.length > 0, 'history and cursor first');
    // Cut the stream while the writer goes on: the transport reopens it from the next position.
    await waitFor(() => count(file, 'same') >= WRITES / 2, 20_000, 'half the lines');
    const first = [...es.open][0]!;
    first.drop();
    await waitFor(() => [...es.open].some((s) => s !== first && /from=w%3A\d+/.test(s.url)), 10_000, 'a stream reopened from a position');
    await waitFor(() => batches.some((b) => b.lines.some((l) => l.text === 'done')), 20_000, 'the last line');
    checkExact(batches.flatMap((b) => b.lines));
  } finally {
    off();
    await stop(writer);
    await ui.close();
    hub.close();
    cleanup();
  }
});

test('one identity whoever reads: pieces of a long line, \\r redraws and CRLF read the same followed and from history', async () => {
  const { home, cleanup } = tempHome('logid-split');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 15);
  const file = dir.logFile('s', 'p');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, 'before\n');
  const got: LogLine[] = [];
  const off = hub.follow('s', ['p'], (b) => got.push(...b.lines));
  try {
    const long = 'é'.repeat(LINE_CAP_BYTES); // two bytes each: a line of 2 caps, cut on character boundaries
    appendFileSync(file, `progress 1%\rprogress 50%\rprogress 100%\nwindows\r\n${long}\nafter\n\n`);
    await waitFor(() => got.some((l) => l.text === 'after') && got.length >= 6, 10_000, 'the lines');
    const texts = got.map((l) => l.text);
    assert.deepEqual(texts.slice(0, 2), ['progress 100%', 'windows'], 'a redrawn line as its last state; CRLF without the CR');
    const pieces = got.slice(2, -2);
    assert.ok(pieces.length >= 2, `the long line in pieces (${pieces.length})`);
    for (const p of pieces) assert.ok(Buffer.byteLength(p.text) <= LINE_CAP_BYTES && !p.text.includes('\uFFFD'), 'each piece within the cap, whole characters');
    assert.deepEqual(pieces.map((p) => p.cont === true), [...pieces.slice(1).map(() => true), false], 'every piece but the last continues');
    assert.equal(pieces.map((p) => p.text).join(''), long);
    assert.deepEqual(texts.slice(-2), ['after', ''], 'an empty line is a line');
    const history = readServiceLog(file, 's', 'p', { lines: 100 });
    assert.deepEqual(
      history.slice(1).map((l) => [l.seq, l.text, l.cont ?? false]),
      got.map((l) => [l.seq, l.text, l.cont ?? false]),
      'the same lines at the same positions',
    );
  } finally {
    off();
    hub.close();
    cleanup();
  }
});
