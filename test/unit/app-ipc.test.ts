// F21 (IPC part): a call from a frame that is not ours, or with bad arguments,
// is refused with a clear error and reaches no handler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ActionResult, LogBatch, LogLine, LogSubscription } from '../../shared/api.js';
import { bindCalls, createInvokeHandler, createLogSubscriptions, registerIpc, type ApiHandlers, type InvokeEventLike } from '../../electron/app/ipc.js';
import { CHANNEL, unwrapReply } from '../../electron/app/channels.js';
import { settings, stigmerRunning } from './app-fixtures.js';

class FakeSender extends EventEmitter {
  sent: unknown[][] = [];
  destroyed = false;
  constructor(readonly id = 1) {
    super();
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push([channel, ...args]);
  }
  isDestroyed() {
    return this.destroyed;
  }
}

const event = (url: string | null, opts: { parent?: unknown; sender?: FakeSender } = {}): InvokeEventLike => ({
  senderFrame: url === null ? null : { url, parent: opts.parent ?? null },
  sender: opts.sender ?? new FakeSender(),
});
const ours = (sender?: FakeSender) => event('corral-app://app/index.html#/logs/a', { sender });

function fakeApi() {
  const calls: { name: string; req: unknown }[] = [];
  const ok: ActionResult = { outcomes: [{ stack: 'stigmer', service: 'temporal', ok: true, state: 'running', message: 'started' }] };
  const handler = (name: string, value: unknown) => async (req: unknown) => {
    calls.push({ name, req });
    return value;
  };
  const api = {
    snapshot: handler('snapshot', stigmerRunning()),
    start: handler('start', ok),
    stop: handler('stop', ok),
    restart: handler('restart', ok),
    forceStop: handler('forceStop', ok),
    killPortHolder: handler('killPortHolder', ok),
    readLogs: handler('readLogs', []),
    logLocation: handler('logLocation', { path: '/tmp/x.log' }),
    openLogFolder: handler('openLogFolder', { path: '/tmp', opened: true }),
    getSettings: handler('getSettings', settings()),
    setSettings: handler('setSettings', settings()),
  } as unknown as ApiHandlers;
  return { api, calls };
}

test('a valid call from the Corral window reaches the handler with the parsed request', async () => {
  const { api, calls } = fakeApi();
  const handle = createInvokeHandler(api);
  const reply = await handle(ours(), 'start', { stack: 'stigmer', services: ['temporal'] });
  assert.deepEqual(calls, [{ name: 'start', req: { stack: 'stigmer', services: ['temporal'] } }]);
  assert.equal(unwrapReply<ActionResult>(reply, 'start').outcomes[0]!.message, 'started');
  assert.deepEqual(unwrapReply(await handle(ours(), 'snapshot', {}), 'snapshot'), stigmerRunning());
});

test('F21: calls from frames that are not the Corral window are refused before any handler runs', async () => {
  const { api, calls } = fakeApi();
  const rejected: string[] = [];
  const handle = createInvokeHandler(api, { onRejected: (m) => rejected.push(m) });
  const cases: [InvokeEventLike, RegExp][] = [
    [event('https://evil.example/'), /calling page `https:\/\/evil.example\/` is not the Corral window/],
    [event('file:///Users/me/Downloads/x.html'), /is not the Corral window/],
    [event('corral-app://other/index.html'), /is not the Corral window/],
    [event('http://127.0.0.1:5173/'), /is not the Corral window \(allowed: corral-app:\/\/app\)/],
    [event('corral-app://app/index.html', { parent: { url: 'corral-app://app/index.html' } }), /main frame may call, not a subframe/],
    [event(null), /the calling frame is gone/],
  ];
  for (const [ev, message] of cases) {
    const reply = await handle(ev, 'stop', { stack: 'stigmer' });
    assert.ok('error' in reply, JSON.stringify(ev.senderFrame));
    assert.equal(reply.error.code, 'unauthorized');
    assert.match(reply.error.message, message);
    assert.match(reply.error.message, /^Refused `stop`/);
  }
  assert.equal(calls.length, 0, 'no handler ran');
  assert.equal(rejected.length, cases.length, 'every refusal is logged');
});

test('F21: bad arguments are refused with an error naming the call and the field', async () => {
  const { api, calls } = fakeApi();
  const handle = createInvokeHandler(api);
  const expect = async (args: unknown[], code: string, message: RegExp) => {
    const reply = await handle(ours(), ...args);
    assert.ok('error' in reply, JSON.stringify(args));
    assert.equal(reply.error.code, code, JSON.stringify(args));
    assert.match(reply.error.message, message, JSON.stringify(args));
  };
  await expect(['rm -rf', {}], 'not-found', /^Unknown call `rm -rf`\. Known calls: snapshot, start, stop/);
  await expect(['__proto__', {}], 'not-found', /^Unknown call `__proto__`/);
  await expect([42, {}], 'not-found', /^Unknown call a value of type number/);
  await expect(['start'], 'bad-request', /takes exactly 2 arguments .* got 1/);
  await expect(['start', { stack: 'a' }, 'extra'], 'bad-request', /got 3/);
  await expect(['start', undefined], 'bad-request', /^Invalid request for `start`/);
  await expect(['start', { stack: '../../etc' }], 'bad-request', /^Invalid request for `start` at `stack`: letters, digits/);
  await expect(['start', { stack: 'a', services: ['ok', ''] }], 'bad-request', /at `services.1`/);
  await expect(['start', { stack: 'a', force: true }], 'bad-request', /Invalid request for `start`/);
  await expect(['killPortHolder', { stack: 'a', service: 'b', pid: 12 }], 'bad-request', /at `confirm`/);
  await expect(['setSettings', { launchAtLogin: 'yes' }], 'bad-request', /at `launchAtLogin`/);
  assert.equal(calls.length, 0, 'no handler ran');
});

test('handler errors come back as {error}: the owner message and code kept, anything else is internal', async () => {
  const { api } = fakeApi();
  const errors: string[] = [];
  const rejected: string[] = [];
  api.stop = async () => {
    throw Object.assign(new Error('No stack named `x`. Known stacks: stigmer.'), { code: 'not-found' });
  };
  api.restart = async () => {
    throw new TypeError('boom');
  };
  const handle = createInvokeHandler(api, { onError: (call) => errors.push(call), onRejected: (m) => rejected.push(m) });
  assert.deepEqual(await handle(ours(), 'stop', { stack: 'x' }), { error: { code: 'not-found', message: 'No stack named `x`. Known stacks: stigmer.' } });
  assert.deepEqual(await handle(ours(), 'restart', { stack: 'x' }), { error: { code: 'internal', message: 'boom' } });
  assert.deepEqual(errors, ['restart'], 'only the unexpected failure is an error');
  assert.deepEqual(rejected, ['`stop`: No stack named `x`. Known stacks: stigmer.']);
});

test('the preload side turns {error} into a thrown Error with the message, and rejects malformed replies', () => {
  assert.throws(() => unwrapReply({ error: { code: 'conflict', message: 'port 7233 is held by nc (pid 9)' } }, 'start'), { message: 'port 7233 is held by nc (pid 9)' });
  assert.throws(() => unwrapReply(undefined, 'start'), { message: 'Malformed reply to `start` from the main process.' });
  assert.equal(unwrapReply({ value: null }, 'x'), null);
});

function fakeLogSource() {
  const subs: { sub: LogSubscription; listener: (batch: LogBatch) => void; stopped: boolean }[] = [];
  return {
    subs,
    onLogs(sub: LogSubscription, listener: (batch: LogBatch) => void) {
      const s = { sub, listener, stopped: false };
      subs.push(s);
      return () => {
        s.stopped = true;
      };
    },
  };
}
const line = (text: string): LogLine => ({ stack: 'stigmer', service: 'temporal', ts: 1, seq: 1, text });

test('log subscriptions push lines to the subscribing window and stop on unsubscribe', async () => {
  const source = fakeLogSource();
  const logs = createLogSubscriptions(source);
  const sender = new FakeSender(7);
  assert.deepEqual(await logs.subscribe(ours(sender), 1, { stack: 'stigmer', services: ['temporal'] }), { value: null });
  assert.deepEqual(source.subs[0]!.sub, { stack: 'stigmer', services: ['temporal'] });
  source.subs[0]!.listener({ lines: [line('hello')] });
  assert.deepEqual(sender.sent, [[CHANNEL.logs, { id: 1, batch: { lines: [line('hello')] } }]]);
  assert.deepEqual(await logs.unsubscribe(ours(sender), 1), { value: null });
  assert.equal(source.subs[0]!.stopped, true);
  assert.equal(logs.size, 0);
});

test('log subscriptions: refused for strangers and bad arguments; dropped when the window goes away or reloads', async () => {
  const source = fakeLogSource();
  const logs = createLogSubscriptions(source);
  const refusedStranger = await logs.subscribe(event('https://evil.example/'), 1, { stack: 'stigmer' });
  assert.ok('error' in refusedStranger && refusedStranger.error.code === 'unauthorized');
  const badId = await logs.subscribe(ours(), 0, { stack: 'stigmer' });
  assert.ok('error' in badId && /positive integer/.test(badId.error.message));
  const badSub = await logs.subscribe(ours(), 1, { stack: 'stigmer', services: 'temporal' });
  assert.ok('error' in badSub && /^Invalid request for `onLogs` at `services`/.test(badSub.error.message), JSON.stringify(badSub));
  assert.equal(source.subs.length, 0);

  const a = new FakeSender(1);
  const b = new FakeSender(2);
  await logs.subscribe(ours(a), 1, { stack: 'stigmer' });
  await logs.subscribe(ours(a), 2, { stack: 'other' });
  await logs.subscribe(ours(b), 1, { stack: 'stigmer' });
  const dup = await logs.subscribe(ours(b), 1, { stack: 'stigmer' });
  assert.ok('error' in dup && dup.error.code === 'conflict');
  assert.equal(logs.size, 3);
  a.destroyed = true;
  a.emit('destroyed');
  assert.deepEqual(source.subs.map((s) => s.stopped), [true, true, false]);
  logs.dropSender(2);
  assert.equal(logs.size, 0);
  source.subs[2]!.listener({ lines: [line('late')] });
  b.destroyed = true;
  source.subs[2]!.listener({ lines: [line('later')] });
  assert.equal(b.sent.length, 1, 'nothing is sent to a destroyed window');
});

test('registerIpc registers every channel in one place and removes them on dispose', async () => {
  const handlers = new Map<string, (...a: never[]) => unknown>();
  const ipcMain = {
    handle: (c: string, h: (...a: never[]) => unknown) => {
      assert.ok(!handlers.has(c), `${c} registered twice`);
      handlers.set(c, h);
    },
    removeHandler: (c: string) => handlers.delete(c),
  };
  const { api } = fakeApi();
  const reg = registerIpc(ipcMain, api, fakeLogSource());
  assert.deepEqual([...handlers.keys()].sort(), [CHANNEL.invoke, CHANNEL.logsSubscribe, CHANNEL.logsUnsubscribe].sort());
  reg.dispose();
  assert.equal(handlers.size, 0);
});

test('bindCalls keeps `this` for class-based APIs', async () => {
  class Api {
    prefix = 'ok:';
    async getSettings() {
      return { ...settings(), note: this.prefix } as never;
    }
  }
  const bound = bindCalls(new Api() as unknown as ApiHandlers);
  assert.equal(((await bound.getSettings({})) as unknown as { note: string }).note, 'ok:');
});
