// The preload, bundled as it ships (CommonJS, `electron` the only import) and
// run against a fake ipcRenderer: window.corral has every call of the
// contract, speaks the IPC wire format, and routes pushed events.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { calls, type CorralApi, type LogLine } from '../../shared/api.js';
import { CHANNEL } from '../../electron/app/channels.js';
import { REPO_ROOT } from '../helpers/env.js';
import { stigmerRunning } from './app-fixtures.js';
import type { ipcRenderer as FakeIpc, state as FakeState } from './app-fake-electron.js';

let corral: CorralApi;
let ipc: typeof FakeIpc;
let bundle: string;

before(async () => {
  const out = join(REPO_ROOT, 'dist', 'test', 'unit', '.app-preload', 'preload.cjs');
  const result = await build({
    entryPoints: [join(REPO_ROOT, 'electron', 'app', 'preload.ts')],
    outfile: out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    logLevel: 'silent',
    absWorkingDir: REPO_ROOT,
    write: true,
    metafile: true,
    plugins: [{ name: 'fake-electron', setup: (b) => b.onResolve({ filter: /^electron$/ }, () => ({ path: join(REPO_ROOT, 'test', 'unit', 'app-fake-electron.ts') })) }],
  });
  bundle = Object.keys(result.metafile.inputs).join('\n');
  createRequire(import.meta.url)(out);
  const fake = (globalThis as unknown as { __fakeElectron: { state: typeof FakeState; ipcRenderer: typeof FakeIpc } }).__fakeElectron;
  corral = fake.state.exposed.corral as CorralApi;
  ipc = fake.ipcRenderer;
});

test('the preload pulls in nothing but channels.ts (no zod, no shared runtime code)', () => {
  const ours = bundle.split('\n').filter((f) => !f.includes('app-fake-electron'));
  assert.deepEqual(ours.sort(), ['electron/app/channels.ts', 'electron/app/preload.ts']);
});

test('window.corral has exactly the calls of the contract, plus the two subscriptions', () => {
  assert.deepEqual(Object.keys(corral).sort(), [...Object.keys(calls), 'onLogs', 'onSnapshot'].sort());
});

test('a call is one invoke of (name, request); the value comes back, an {error} becomes a rejection', async () => {
  ipc.responder = (channel, args) => (args[0] === 'snapshot' ? { value: stigmerRunning() } : { error: { code: 'conflict', message: 'port 7233 is held by nc (pid 9)' } });
  assert.deepEqual(await corral.snapshot({}), stigmerRunning());
  assert.deepEqual(ipc.invoked.at(-1), [CHANNEL.invoke, 'snapshot', {}]);
  await assert.rejects(corral.start({ stack: 'stigmer' }), { message: 'port 7233 is held by nc (pid 9)' });
  assert.deepEqual(ipc.invoked.at(-1), [CHANNEL.invoke, 'start', { stack: 'stigmer' }]);
  await (corral.snapshot as unknown as () => Promise<unknown>)();
  assert.deepEqual(ipc.invoked.at(-1), [CHANNEL.invoke, 'snapshot', {}], 'a call without a request sends {}');
});

test('onSnapshot hears pushed snapshots until unsubscribed', () => {
  const seen: number[] = [];
  const off = corral.onSnapshot((s) => seen.push(s.seq));
  ipc.emit(CHANNEL.snapshot, {}, { ...stigmerRunning(), seq: 7 });
  off();
  ipc.emit(CHANNEL.snapshot, {}, { ...stigmerRunning(), seq: 8 });
  assert.deepEqual(seen, [7]);
});

test('onLogs subscribes with an id, routes lines by id, and unsubscribes', async () => {
  ipc.responder = () => ({ value: null });
  const a: string[] = [];
  const b: string[] = [];
  const offA = corral.onLogs({ stack: 'stigmer', services: ['temporal'] }, (batch) => a.push(...batch.lines.map((l) => l.text)));
  corral.onLogs({ stack: 'stigmer' }, (batch) => b.push(...batch.lines.map((l) => l.text)));
  const subs = ipc.invoked.filter(([c]) => c === CHANNEL.logsSubscribe);
  const [idA, idB] = subs.slice(-2).map((s) => s[1] as number);
  assert.notEqual(idA, idB);
  assert.deepEqual(subs.at(-2)!.slice(2), [{ stack: 'stigmer', services: ['temporal'] }]);
  const line = (text: string): LogLine => ({ stack: 'stigmer', service: 'temporal', ts: 1, seq: 1, text });
  ipc.emit(CHANNEL.logs, {}, { id: idA, batch: { lines: [line('for a')] } });
  ipc.emit(CHANNEL.logs, {}, { id: idB, batch: { lines: [line('for b')] } });
  offA();
  ipc.emit(CHANNEL.logs, {}, { id: idA, batch: { lines: [line('late')] } });
  assert.deepEqual(a, ['for a']);
  assert.deepEqual(b, ['for b']);
  assert.deepEqual(ipc.invoked.at(-1), [CHANNEL.logsUnsubscribe, idA]);
});

test('a refused log subscription is dropped and reported on the console', async (t) => {
  const errors: string[] = [];
  t.mock.method(console, 'error', (m: string) => errors.push(m));
  ipc.responder = () => ({ error: { code: 'bad-request', message: 'Invalid request for `onLogs` at `stack`' } });
  const got: unknown[] = [];
  corral.onLogs({ stack: 'x' }, (l) => got.push(l));
  const id = ipc.invoked.at(-1)![1] as number;
  await new Promise((r) => setImmediate(r));
  ipc.emit(CHANNEL.logs, {}, { id, batch: { lines: [] } });
  assert.deepEqual(got, []);
  assert.deepEqual(errors, ['corral: could not follow logs of x: Invalid request for `onLogs` at `stack`']);
});
