// One dispatch, one error module: the control socket, the web UI (HTTP and
// SSE) and Electron IPC give the same answer, code and message, to the same
// request against the same owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../../electron/host/daemon.js';
import { startWebUi } from '../../electron/host/web/server.js';
import { ControlClient, ControlError } from '../../electron/host/control/client.js';
import { createInvokeHandler, createLogSubscriptions, type InvokeEventLike } from '../../electron/app/ipc.js';
import { postApi, raw } from '../helpers/web-client.js';
import { tempHome } from '../helpers/env.js';

const TOKEN = 'faces-agree-token-0123456789';

const ipcEvent = (): InvokeEventLike => ({
  senderFrame: { url: 'corral-app://app/index.html', parent: null },
  sender: { id: 1, send: () => {}, isDestroyed: () => false, once: () => undefined },
});

type Answer = { code: string; message: string };

test('control socket, HTTP, SSE and IPC answer a bad or unknown target the same way', async () => {
  const tmp = tempHome('faces');
  const daemon = await startDaemon({ home: join(tmp.home, 'home') });
  const rendererDir = join(tmp.home, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Corral</title>');
  const web = await startWebUi(daemon.api, { rendererDir, token: TOKEN });
  const client = await ControlClient.connect(daemon.socketPath);
  const invoke = createInvokeHandler(daemon.api);
  const ipcLogs = createLogSubscriptions(daemon.api);
  try {
    const viaControl = async (call: 'readLogs' | 'start', req: unknown): Promise<Answer> => {
      const e = await client.call(call, req as never).then(() => assert.fail(`${call} succeeded`), (err: ControlError) => err);
      return { code: e.code, message: e.message };
    };
    const viaHttp = async (call: string, req: unknown): Promise<Answer & { status: number }> => {
      const r = await postApi(web.port, call, req, { bearer: TOKEN });
      return { status: r.status, ...(r.json() as { error: Answer }).error };
    };
    const viaIpc = async (call: string, req: unknown): Promise<Answer> => {
      const r = await invoke(ipcEvent(), call, req);
      assert.ok('error' in r, JSON.stringify(r));
      return r.error;
    };
    const unknown = { code: 'not-found', message: 'No stack named `nosuch`. Known stacks: none.' };
    const invalid = { code: 'bad-request', message: 'Invalid request for `readLogs` at `stack`: letters, digits, ".", "_" and "-" only' };
    for (const [call, req, want, status] of [
      ['readLogs', { stack: 'nosuch' }, unknown, 404],
      ['start', { stack: 'nosuch' }, unknown, 404],
      ['readLogs', { stack: '../etc' }, invalid, 400],
    ] as const) {
      assert.deepEqual(await viaControl(call, req), want, `control ${call}`);
      assert.deepEqual(await viaHttp(call, req), { status, ...want }, `http ${call}`);
      assert.deepEqual(await viaIpc(call, req), want, `ipc ${call}`);
    }

    // Following the logs of a stack that does not exist: refused on every face, never an empty stream.
    const sub = await client.subscribe('logs', { stack: 'nosuch' }, () => {}).then(() => assert.fail('subscribed'), (e: ControlError) => e);
    assert.deepEqual({ code: sub.code, message: sub.message }, unknown);
    const sse = await raw(web.port, { path: '/api/events?stack=nosuch', headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' } });
    assert.equal(sse.status, 404, sse.text);
    assert.deepEqual((sse.json() as { error: Answer }).error, unknown);
    const ipc = await ipcLogs.subscribe(ipcEvent(), 1, { stack: 'nosuch' });
    assert.ok('error' in ipc);
    assert.deepEqual(ipc.error, unknown);
    assert.equal(ipcLogs.size, 0);
  } finally {
    client.close();
    await web.close();
    await daemon.stop();
    tmp.cleanup();
  }
});
