// A stopped owner (SIGSTOP, a debugger) accepts connections on its socket but
// never answers: the CLI notices at once from its process state and says how
// to resume it, instead of waiting out its 60 s bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './cli-harness.js';

test('F27 a frozen owner: the CLI says so at once, names `kill -CONT <pid>`, exit 4', async () => {
  const h = harness('frozen');
  let pid: number | null = null;
  try {
    assert.equal((await h.run(['daemon', 'start'])).code, 0);
    pid = h.ownerPid();
    assert.ok(pid, 'the daemon runs');
    process.kill(pid, 'SIGSTOP');
    const t0 = performance.now();
    const r = await h.run(['status'], { timeoutMs: 20_000 });
    const ms = performance.now() - t0;
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, new RegExp(`pid ${pid}\\) is stopped.*kill -CONT ${pid}`, 's'));
    assert.ok(ms < 10_000, `answered in ${Math.round(ms)} ms`);
    process.kill(pid, 'SIGCONT');
    assert.equal((await h.run(['status'])).code, 0, 'answers again once resumed');
  } finally {
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {}
    }
    await h.cleanup();
  }
});
