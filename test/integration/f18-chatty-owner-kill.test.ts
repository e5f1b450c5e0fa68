// F18: a chatty service (150k lines/s for about 5 s) while the owner is
// SIGKILLed and restarted, twice, with size rotation running: every line the
// service wrote is in its log files. Services write their logs themselves
// (O_APPEND file descriptor, no pipe through the owner), and rotation pauses
// the service around its copy-truncate, so neither can lose a line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './cli-harness.js';
import { chattyYaml, countLines, writtenSoFar } from './chatty.js';
import { isLive, waitFor } from '../helpers/env.js';

test('F18 chatty service while the owner is SIGKILLed and restarted: every line is in the log files', async (t) => {
  const h = harness('f18');
  try {
    const dir = h.project();
    const total = 800_000;
    h.writeStack(dir, `version: 1\nname: chat\nservices:\n${chattyYaml('chatty', total, 150_000)}`);
    const env = { CORRAL_LOG_MAX_BYTES: String(1 << 20), CORRAL_LOG_CHECK_MS: '30', CORRAL_LOG_KEEP: '1000' };
    const up = await h.run(['up'], { cwd: dir, env });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const file = h.dir.logFile('chat', 'chatty');
    const pid = (await h.json<{ services: { pid: number }[] }[]>(['status'], { cwd: dir, env }))[0]!.services[0]!.pid;
    const owners: number[] = [];
    for (const afterLines of [150_000, 450_000]) {
      await waitFor(() => writtenSoFar(file, total) >= afterLines, 20_000, `${afterLines} lines written`);
      const owner = h.ownerPid()!;
      owners.push(owner);
      process.kill(owner, 'SIGKILL');
      await waitFor(() => !isLive(owner), 5000, 'owner gone');
      // The next CLI call starts a new owner, which adopts the writer.
      const st = await h.json<{ services: { pid: number; adopted: boolean }[] }[]>(['status'], { cwd: dir, env });
      assert.deepEqual([st[0]!.services[0]!.pid, st[0]!.services[0]!.adopted], [pid, true]);
    }
    await waitFor(() => writtenSoFar(file, total) === total, 30_000, 'chatty done');
    const stop = await h.run(['daemon', 'stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /stopped; 1 service keeps running \(the next owner adopts it; `corral down` stops it\)/);
    const c = countLines(file, total);
    t.diagnostic(`${total} lines in ${c.doneMs} ms (${Math.round(total / ((c.doneMs ?? 1) / 1000))} lines/s) across ${c.files} files; owners killed: ${owners.join(', ')}; missing ${c.missing.length}, duplicated ${c.duplicates}`);
    // The row's scenario: a service writing at least 100k lines/s (it aims at 150k).
    assert.ok(c.doneMs !== null && total / (c.doneMs / 1000) >= 100_000, `the writer reached ${Math.round(total / ((c.doneMs ?? 1) / 1000))} lines/s, below the 100k/s F18 asks for`);
    assert.deepEqual(c.missing.slice(0, 10), [], `${c.missing.length} lines missing`);
    assert.ok(c.files > 2, 'rotation happened during the run');
    assert.equal(isLive(pid), true, 'the service outlived both owners');
  } finally {
    await h.cleanup();
  }
});
