// `corral open SERVICE` and the contract's `openService` (what the window's
// Open button and the tray's Open item call): a service's declared url, or
// its http health check's address, opened where a desktop exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { harness, SVC } from './cli-harness.js';
import { freePort, fixture } from '../helpers/env.js';
import { fakeOpener } from '../helpers/fake-opener.js';
import { ControlClient, ControlError } from '../../electron/host/control/client.js';

test('open: the declared url, else the http health check address; no address is exit 1 with what to add', async () => {
  const h = harness('open');
  try {
    // A stand-in for xdg-open that writes down what it was asked to open.
    const opener = fakeOpener(h.home);
    const env = opener.env;
    const opened = () => opener.next();
    const dir = h.project('o');
    const [webPort, apiPort] = [await freePort(), await freePort()];
    h.writeStack(
      dir,
      `version: 1\nname: o\nservices:\n  web:\n    command: ${JSON.stringify(['${CORRAL_NODE}', fixture('http-server.mjs'), '--port', String(webPort)])}\n    health: { http: { url: "http://127.0.0.1:${webPort}/healthz" } }\n  api:\n    command: ${JSON.stringify(['${CORRAL_NODE}', SVC, '--port', String(apiPort)])}\n    url: "http://127.0.0.1:${apiPort}/docs"\n  worker:\n    command: ${JSON.stringify(['${CORRAL_NODE}', SVC, '--tick', '1000'])}\n`,
    );
    const up = await h.run(['up'], { cwd: dir, env });
    assert.equal(up.code, 0, up.stdout + up.stderr);

    const web = await h.run(['open', 'web'], { cwd: dir, env });
    assert.equal(web.code, 0, web.stdout + web.stderr);
    assert.equal(await opened(), `http://127.0.0.1:${webPort}/`);
    const api = await h.run(['open', 'api', '--print'], { cwd: dir, env });
    assert.equal(api.stdout.trim(), `http://127.0.0.1:${apiPort}/docs`);
    const worker = await h.run(['open', 'worker'], { cwd: dir, env });
    assert.equal(worker.code, 1);
    assert.match(worker.stderr, /worker has no address to open: add `url: http:\/\/…` to it in .*corral\.yaml/);

    // The window and the tray go through the contract: the owner opens it on its desktop.
    const client = await ControlClient.connect((JSON.parse(readFileSync(h.dir.lockFile, 'utf8')) as { socket: string }).socket);
    try {
      assert.deepEqual(await client.call('openService', { stack: 'o', service: 'api' }), { url: `http://127.0.0.1:${apiPort}/docs`, opened: true });
      assert.equal(await opened(), `http://127.0.0.1:${apiPort}/docs`);
      await assert.rejects(client.call('openService', { stack: 'o', service: 'worker' }), (e: ControlError) => e.code === 'bad-request' && /no address to open/.test(e.message));
    } finally {
      client.close();
    }
  } finally {
    await h.cleanup();
  }
});
