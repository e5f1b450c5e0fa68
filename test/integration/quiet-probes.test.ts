// An owner whose services answer their health checks as before sends nothing: a view
// (the tray, the window, a web page) is woken only when something it shows changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Owner } from '../../electron/engine/owner.js';
import { sameAnswer } from '../../electron/engine/supervisor.js';
import { tempHome, freePort, assertNothingLeft, waitFor, fixture } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';

test('probe answers that differ only in how long they took are the same answer', () => {
  assert.equal(sameAnswer('tcp 127.0.0.1:80 accepted in 0 ms', 'tcp 127.0.0.1:80 accepted in 12 ms'), true);
  assert.equal(sameAnswer('http 200 from http://x/ in 3 ms', 'http 204 from http://x/ in 3 ms'), false);
  assert.equal(sameAnswer('tcp 127.0.0.1:80 accepted in 0 ms', 'tcp 127.0.0.1:81 accepted in 0 ms'), false);
});

test('healthy services probed again and again send no snapshot; a failing probe still does', async () => {
  const { home, cleanup } = tempHome('quiet-probes');
  const owner = await Owner.open({ home, kind: 'embedded' });
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    // Probed every 50 ms: 3 services (two TCP, one HTTP) answer some 20 times each in the window below.
    const services = ports.map((p, i) => {
      const s =
        i === 1
          ? svc('s1', [], { command: [process.execPath, fixture('http-server.mjs'), '--port', String(p)], ports: [p], healthCheck: { kind: 'http', url: `http://127.0.0.1:${p}/healthz`, status: [200, 299] } })
          : tcpService(`s${i}`, p);
      return { ...s, health: { ...s.health!, intervalMs: 50 } };
    });
    await owner.addStack(stack('q', services));
    const r = await owner.start('q');
    assert.equal(r.outcomes.every((o) => o.ok), true, JSON.stringify(r.outcomes));
    await waitFor(() => services.every((s) => owner.service('q', s.name).health?.ok === true), 10_000, 'all healthy');
    // Counted from a few rounds of probes on: the start's own last snapshot may still be on its way (at most 40 ms).
    const settled = owner.service('q', 's0').health!.at + 250;
    await waitFor(() => (owner.service('q', 's0').health!.at > settled ? true : null), 10_000, 'a few rounds of probes');
    let snapshots = 0;
    owner.on('snapshot', () => snapshots++);
    const at0 = owner.service('q', 's0').health!.at;
    // Waits on the probes themselves (their times move), not on a clock.
    await waitFor(() => owner.service('q', 's0').health!.at > at0 + 1000 && owner.service('q', 's2').health!.at > at0 + 1000 ? true : null, 15_000, 'a second of probes');
    assert.equal(snapshots, 0, `${snapshots} snapshots sent while every answer was as before`);
    // A change still goes out: the service answers 503 from now on, the next probe fails, a snapshot says so.
    process.kill(owner.service('q', 's1').pid!, 'SIGUSR2');
    await waitFor(() => (owner.service('q', 's1').health?.ok === false ? true : null), 10_000, 's1 failing its probe');
    await waitFor(() => (snapshots > 0 ? true : null), 5_000, 'a snapshot for the failing probe');
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});
