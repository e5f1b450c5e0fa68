// F10: a declared port is held by a foreign process. Start fails at once with
// a message naming the holder (pid, command); the holder is never signalled;
// nothing restarts in a loop; once the holder is gone, start works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Owner } from '../../electron/engine/owner.js';
import { tempHome, freePort, assertNothingLeft, waitFor, markedPids } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { startForeign, newTag, answers, portFree, type Foreign } from '../helpers/foreign.js';
import type { ServiceEvent } from '../../electron/engine/service-state.js';
import { explainService } from '../../shared/explain.js';

/** A port held by a foreign process, an owner opened on demand; afterwards both ended and nothing left. */
async function withHeldPort(label: string, host: string, fn: (port: number, holder: Foreign, open: (opts?: { adoptPollMs?: number }) => Promise<Owner>) => Promise<void>): Promise<void> {
  const { home, cleanup } = tempHome(label);
  const tag = newTag(label);
  const port = await freePort();
  let owner: Owner | null = null;
  let holder: Foreign | null = null;
  try {
    holder = await startForeign({ tag, port, host });
    assert.equal(await answers(port, 'foreign'), true, 'test premise: the foreign process holds the port');
    await fn(port, holder, async (opts = {}) => (owner = await Owner.open({ home, kind: 'embedded', ...opts })));
  } finally {
    const prefix = (owner as Owner | null)?.dir.markerPrefix();
    await (owner as Owner | null)?.close({ stopServices: true });
    await holder?.kill();
    await assertNothingLeft({ markerPrefix: prefix, tag });
    cleanup();
  }
}

async function foreignHolder(host: string): Promise<void> {
  await withHeldPort('f10', host, async (port, holder, open) => {
    const owner = await open({ adoptPollMs: 100 });
    const prefix = owner.dir.markerPrefix('f10', 'api');
    const events: ServiceEvent[] = [];
    owner.on('service-event', (_stack: string, _svc: string, e: ServiceEvent) => events.push(e));
    const failed: unknown[] = [];
    owner.on('service-failed', (s) => failed.push(s));
    await owner.addStack(stack('f10', [tcpService('api', port)]));

    const r = await owner.start('f10');
    const o = r.outcomes[0]!;
    assert.equal(o.ok, false, JSON.stringify(r));
    assert.equal(o.state, 'failed');
    assert.equal(o.notStarted, true, 'refused before spawning: the CLI shows no log lines for it');
    // The message names the holder: its pid and its command.
    assert.match(o.message, new RegExp(`\\b${holder.pid}\\b`), o.message);
    assert.ok(o.message.includes(holder.command), `message names the holder's command (${holder.command}): ${o.message}`);
    assert.ok(o.message.includes(String(port)), o.message);

    const s = owner.service('f10', 'api');
    assert.equal(s.state, 'failed');
    assert.equal(s.pid, null);
    assert.equal(s.reason, o.message);
    assert.ok(s.portHolder, 'snapshot has portHolder');
    assert.equal(s.portHolder.pid, holder.pid);
    assert.equal(s.portHolder.port, port);
    assert.equal(s.portHolder.command, holder.command);
    assert.equal(owner.snapshot().stacks[0]!.services[0]!.portHolder?.pid, holder.pid, 'portHolder is in the owner snapshot');
    assert.equal(failed.length, 1, 'one service-failed event');
    // Nothing of ours was spawned for it: no process, no log file.
    assert.deepEqual(markedPids(prefix), []);
    assert.equal(existsSync(owner.dir.logFile('f10', 'api')), false, 'the service was never spawned');

    // No restart storm: watch for a second; nothing starts, nothing restarts.
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const now = owner.service('f10', 'api');
      assert.equal(now.state, 'failed', 'stays failed');
      assert.equal(now.restarts, 0, 'no restart');
      assert.deepEqual(markedPids(prefix), [], 'no instance spawned');
      await new Promise((res) => setTimeout(res, 50));
    }
    const starts = events.filter((e) => e.type === 'state' && e.to === 'starting');
    assert.equal(starts.length, 1, `one start attempt, no loop: ${JSON.stringify(events)}`);
    assert.equal(events.filter((e) => e.type === 'exited' || e.type === 'restarting').length, 0);
    holder.assertUntouched('foreign port holder');
    assert.equal(await answers(port, 'foreign'), true, 'the holder still serves its port');

    // Stop does not touch the holder either; it says the port is still held by a foreign process.
    const stopped = await owner.stop('f10');
    assert.equal(stopped.outcomes[0]!.ok, true, JSON.stringify(stopped));
    assert.equal(owner.service('f10', 'api').state, 'stopped');
    holder.assertUntouched('foreign port holder');

    // Once the user has ended the holder, start works.
    await holder.kill();
    await waitFor(() => portFree(port), 3000, 'port released by the holder');
    const again = await owner.start('f10');
    assert.equal(again.outcomes[0]!.ok, true, JSON.stringify(again));
    assert.equal(owner.service('f10', 'api').portHolder, null, 'portHolder cleared');
    assert.equal(await answers(port, 'hello'), true, 'our service now serves the port');
    const down = await owner.stop('f10');
    assert.equal(down.outcomes[0]!.ok, true, JSON.stringify(down));
  });
}

test('F10 declared port held by a foreign process (127.0.0.1): start fails naming pid and command; holder untouched; no restart storm', async () => {
  await foreignHolder('127.0.0.1');
});

test('F10 declared port held by a foreign process on every address (::): start fails naming pid and command; holder untouched; no restart storm', async () => {
  await foreignHolder('::');
});

test('F10 a dependent of the refused service is held, and says that what it waits for has failed', async () => {
  await withHeldPort('f10dep', '127.0.0.1', async (port, holder, open) => {
    const owner = await open();
    await owner.addStack(stack('f10', [tcpService('api', port), svc('worker', ['--tick', '1000'], { dependsOn: { api: 'healthy' } })]));
    const r = await owner.start('f10');
    assert.deepEqual(r.outcomes.map((o) => [o.service, o.ok]), [['api', false], ['worker', false]]);
    const worker = owner.service('f10', 'worker');
    assert.deepEqual([worker.state, worker.pid], ['held', null], 'held, not started');
    // Not the `starting` it saw when the hold began: what it waits for follows the dependency.
    assert.deepEqual(worker.held, { dependency: 'api', condition: 'healthy', state: 'failed' });
    assert.equal(explainService(worker), 'waiting for api to be healthy (api is failed)');
    assert.equal(r.outcomes[1]!.message, 'waiting for api to be healthy (api is failed)');
    assert.equal(r.outcomes[1]!.state, 'held');
    holder.assertUntouched('foreign port holder');
  });
});
