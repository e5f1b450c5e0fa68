// Fault rows owned by one supervisor: crash, kill, hang, TERM-ignorer, forker, escaper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Owner } from '../../electron/engine/owner.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive, markedPids, fixture } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { answers } from '../helpers/foreign.js';

async function withOwner(label: string, fn: (owner: Owner, home: string) => Promise<void>, adoptPollMs = 60_000): Promise<void> {
  const { home, cleanup } = tempHome(label);
  // A long adopted-process poll proves that crashes of our children are seen from the exit event.
  const owner = await Owner.open({ home, kind: 'embedded', adoptPollMs });
  const prefix = owner.dir.markerPrefix();
  try {
    await fn(owner, home);
  } finally {
    try {
      await owner.close({ stopServices: true });
      await assertNothingLeft({ markerPrefix: prefix });
    } finally {
      cleanup();
    }
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

test('F01 service exits with code 1: restarted per policy, restart count and exit code visible', async () => {
  await withOwner('f01', async (owner, home) => {
    const crashFile = join(home, 'crash');
    writeFileSync(crashFile, '');
    await owner.addStack(stack('s', [svc('api', ['--exit-after', '150', '--code', '1', '--crash-if-exists', crashFile])]));
    await owner.start('s');
    const first = owner.service('s', 'api').pid;
    await waitFor(() => owner.service('s', 'api').restarts >= 1, 15_000, 'a restart');
    rmSync(crashFile);
    const s = await waitFor(() => {
      const x = owner.service('s', 'api');
      return x.state === 'running' && x.pid !== first && x.restarts >= 1 ? x : null;
    }, 15_000, 'running again');
    assert.equal(s.lastExit?.code, 1);
    assert.equal(s.lastExit?.reason, 'crashed');
    assert.ok(first && !isLive(first));
  });
});

test('F02 service SIGKILLed: restarted, detected from the exit event (adopted poll is 60 s)', async () => {
  await withOwner('f02', async (owner) => {
    const port = await freePort();
    await owner.addStack(stack('s', [tcpService('api', port)]));
    await owner.start('s');
    const pid = owner.service('s', 'api').pid!;
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const s = await waitFor(() => {
      const x = owner.service('s', 'api');
      return x.state === 'running' && x.pid !== pid ? x : null;
    }, 15_000, 'restart after SIGKILL');
    const ms = performance.now() - t0;
    console.log(`# F02 crash → healthy again in ${ms.toFixed(0)} ms`);
    assert.equal(s.restarts, 1);
    assert.equal(s.lastExit?.signal, 'SIGKILL');
  });
});

test('F03 service hangs (SIGSTOP): liveness fails past threshold, killed and restarted', async () => {
  await withOwner('f03', async (owner) => {
    const port = await freePort();
    const spec = svc('web', [], {
      command: [process.execPath, fixture('http-server.mjs'), '--port', String(port)],
      ports: [port],
      healthCheck: { kind: 'http', url: `http://127.0.0.1:${port}/healthz`, status: [200, 299] },
    });
    await owner.addStack(stack('s', [spec]));
    await owner.start('s');
    const pid = owner.service('s', 'web').pid!;
    let sawUnhealthy = false;
    owner.on('snapshot', (snap) => {
      if (snap.stacks[0]?.services[0]?.state === 'unhealthy') sawUnhealthy = true;
    });
    process.kill(pid, 'SIGSTOP');
    const s = await waitFor(() => {
      const x = owner.service('s', 'web');
      return x.state === 'running' && x.pid !== pid ? x : null;
    }, 8000, 'restart of the hung service');
    assert.ok(sawUnhealthy, 'went through unhealthy');
    assert.equal(s.lastExit?.reason, 'killed-unhealthy');
    assert.equal(isLive(pid), false, 'the hung process was killed');
  });
});

test('F04 service ignores SIGTERM: stop completes at grace + ε by SIGKILL, reported as forced', async () => {
  await withOwner('f04', async (owner) => {
    await owner.addStack(stack('s', [svc('stubborn', ['--ignore-term', '--children', '2'], { stop: { signal: 'SIGTERM', graceMs: 600 } })]));
    await owner.start('s');
    await waitFor(() => markedPids(owner.dir.markerPrefix('s', 'stubborn')).length === 3, 15_000, 'service and children');
    const t0 = performance.now();
    const r = await owner.stop('s');
    const ms = performance.now() - t0;
    console.log(`# F04 stop of a TERM-ignorer with 600 ms grace took ${ms.toFixed(0)} ms`);
    assert.equal(r.outcomes[0]!.ok, true);
    assert.equal(r.outcomes[0]!.forced, true);
    assert.match(r.outcomes[0]!.message, /SIGKILL/);
    // At the grace, not before; the upper bound only proves it does not hang (the bench measures ε).
    assert.ok(ms >= 600 && ms < 600 + 5000, `took ${ms} ms`);
    assert.deepEqual(markedPids(owner.dir.markerPrefix('s')), []);
  });
});

test('F05 service forks children in its group: stop leaves none alive', async () => {
  await withOwner('f05', async (owner) => {
    await owner.addStack(stack('s', [svc('forker', ['--children', '4'])]));
    await owner.start('s');
    const pids = await waitFor(() => {
      const p = markedPids(owner.dir.markerPrefix('s', 'forker'));
      return p.length === 5 ? p : null;
    }, 15_000, '5 processes');
    const r = await owner.stop('s');
    assert.equal(r.outcomes[0]!.ok, true);
    assert.equal(r.outcomes[0]!.forced, false);
    assert.deepEqual(pids.filter(isLive), []);
  });
});

/** A service whose grandchild leaves the group (setsid) and listens on a port; stop must end both. */
async function escaperStops(label: string, declarePort: boolean): Promise<void> {
  await withOwner(label, async (owner) => {
    const port = await freePort();
    await owner.addStack(stack('s', [svc('escaper', ['--escape-port', String(port)], declarePort ? { ports: [port] } : {})]));
    await owner.start('s');
    const pids = await waitFor(() => {
      const p = markedPids(owner.dir.markerPrefix('s', 'escaper'));
      return p.length === 2 ? p : null;
    }, 15_000, 'leader and escaped grandchild');
    // Connect, not bind: a test holding the port for a moment could make the grandchild's listen fail.
    await waitFor(() => answers(port), 15_000, 'grandchild listening');
    const r = await owner.stop('s');
    assert.equal(r.outcomes[0]!.ok, true, r.outcomes[0]!.message);
    assert.deepEqual(pids.filter(isLive), []);
    assert.equal(await portFree(port), true, 'port released');
  });
}

test('F06 grandchild escapes the group (setsid) and holds a port: stop leaves none alive, port released', async () => {
  await escaperStops('f06', true);
});

test('F06 an escaped grandchild on an undeclared port is found without the port check (marker, parent chain)', async () => {
  await escaperStops('f06b', false);
});

test('F06 a double-forked grandchild with a cleared environment is found by the recorded descendant snapshot', async () => {
  const { home, cleanup } = tempHome('f06c');
  const owner = await Owner.open({ home, kind: 'embedded', descendantSnapshotMs: 50 });
  let hidden = 0;
  try {
    await owner.addStack(stack('s', [svc('hider', ['--hide-grandchild'])]));
    await owner.start('s');
    const logFile = owner.dir.logFile('s', 'hider');
    const [, h, i] = await waitFor(() => /hidden (\d+) from (\d+)/.exec(readFileSync(logFile, 'utf8')), 15_000, 'hidden pid');
    hidden = Number(h);
    const intermediate = Number(i);
    // Wait until its parent (the intermediate) has exited: then it has no marker, another
    // session, and a parent that is not ours. Only the recorded snapshot knows it.
    const ppidOf = (pid: number) => {
      const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]);
    };
    await waitFor(() => !isLive(intermediate) && ppidOf(hidden) !== intermediate, 15_000, 'grandchild reparented');
    assert.equal(markedPids(owner.dir.markerPrefix()).includes(hidden), false, 'no marker');
    const r = await owner.stop('s');
    assert.equal(r.outcomes[0]!.ok, true, r.outcomes[0]!.message);
    assert.equal(isLive(hidden), false, 'the hidden grandchild was stopped');
  } finally {
    await owner.close({ stopServices: true });
    if (hidden && isLive(hidden)) process.kill(hidden, 'SIGKILL');
    await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    cleanup();
  }
});
