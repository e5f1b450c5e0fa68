// The rotation at each start (the previous instance's log becomes `.1`) keeps
// as many rotated files as the owner's retention setting (CORRAL_LOG_KEEP),
// not the built-in default of 5: the chaos run found a restarting service's
// older lines dropped after five restarts even with CORRAL_LOG_KEEP=100000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { harness, type StackJson } from './cli-harness.js';
import { fixture, waitFor } from '../helpers/env.js';

test('F40 a start rotates the log within CORRAL_LOG_KEEP (8 kept, not 5)', async () => {
  const h = harness('log-keep');
  try {
    const dir = h.project();
    h.writeStack(
      dir,
      `version: 1
name: keep
services:
  crash:
    command: ${JSON.stringify(['${CORRAL_NODE}', fixture('log-writer.mjs'), '--crash'])}
    restart: { policy: on-failure, backoff: 50ms, max_backoff: 100ms, crash_loop: { count: 1000, window: 60s } }
`,
    );
    const env = { CORRAL_LOG_KEEP: '8' };
    await h.run(['up'], { cwd: dir, env });
    const file = h.dir.logFile('keep', 'crash');
    // Every start rotates: after 8 restarts `.8` exists; it was pruned at `.6` before the fix.
    await waitFor(() => existsSync(`${file}.8`), 60_000, `${file}.8 (eight rotations kept)`);
    const restarts = async () => ((await h.json<StackJson[]>(['status', '-s', 'keep']))[0]?.services[0]?.restarts ?? 0);
    const at = await restarts();
    await waitFor(async () => (await restarts()) >= at + 3, 60_000, 'three more restarts');
    assert.equal(existsSync(`${file}.9`), false, 'no more than CORRAL_LOG_KEEP rotated files');
    assert.equal((await h.run(['down', '-s', 'keep'])).code, 0);
  } finally {
    await h.cleanup();
  }
});
