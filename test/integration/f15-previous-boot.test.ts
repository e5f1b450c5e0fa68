// F15: a state file (and an owner lock) from a previous boot. Stale by
// definition: ignored and cleaned, never signalled, even when its pid and
// start time happen to match a live process of this boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { tempHome, freePort, assertNothingLeft, waitFor, isLive, markedPids } from '../helpers/env.js';
import { stack, tcpService } from '../helpers/stack.js';
import { startForeign, newTag, bootId, procStat, type Foreign } from '../helpers/foreign.js';

async function previousBoot(desired: 'up' | 'down'): Promise<void> {
  const { home, cleanup } = tempHome('f15');
  const dir = new DataDir(home);
  const tag = newTag('f15');
  const port = await freePort();
  const prefix = dir.markerPrefix('f15', 'api');
  const logs: string[] = [];
  let first: Owner | null = null;
  let second: Owner | null = null;
  let foreign: Foreign | null = null;
  try {
    // A first owner runs the service; then "the machine reboots": everything dies, the files stay.
    first = await Owner.open({ home, kind: 'embedded' });
    await first.addStack(stack('f15', [tcpService('api', port, [], { startTimeoutMs: 8000 })]));
    assert.equal((await first.start('f15')).outcomes[0]!.ok, true);
    if (desired === 'down') {
      // The user had stopped it, but a state file was left behind (e.g. power loss mid-stop).
      const text = readFileSync(dir.stateFile('f15', 'api'), 'utf8');
      assert.equal((await first.stop('f15')).outcomes[0]!.ok, true);
      writeFileSync(dir.stateFile('f15', 'api'), text);
    }
    const rec = JSON.parse(readFileSync(dir.stateFile('f15', 'api'), 'utf8'));
    await first.close({ stopServices: false });
    first = null;
    if (isLive(rec.pid)) process.kill(rec.pid, 'SIGKILL');
    await waitFor(() => markedPids(prefix).length === 0, 10_000, 'old instance gone');

    // In this boot, an unrelated process has exactly the recorded pid and start time.
    foreign = await startForeign({ tag });
    const oldBoot = randomUUID();
    assert.notEqual(oldBoot, bootId());
    writeFileSync(
      dir.stateFile('f15', 'api'),
      JSON.stringify({ ...rec, pid: foreign.pid, pgid: foreign.pid, start: foreign.start, boot: oldBoot }, null, 2),
    );
    writeFileSync(
      dir.lockFile,
      JSON.stringify({ pid: foreign.pid, start: foreign.start, boot: oldBoot, kind: 'daemon', socket: null, since: Date.now() - 86_400_000 }),
    );

    second = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100, onLog: (l) => logs.push(l) });
    const all = () => logs.join('\n');
    assert.equal(
      logs.some((l) => l.includes(`adopted pid ${foreign!.pid}`)),
      false,
      `the process named by the previous boot's state file was adopted:\n${all()}`,
    );
    foreign.assertUntouched("process named by the previous boot's files");
    assert.ok(logs.some((l) => /previous boot/i.test(l) && l.includes('f15/api')), `the owner says why it dropped the record:\n${all()}`);
    assert.ok(logs.some((l) => /warning/i.test(l) && /stale owner lock/i.test(l)), `the previous boot's lock is taken over with a warning:\n${all()}`);
    assert.equal(JSON.parse(readFileSync(dir.lockFile, 'utf8')).pid, process.pid, 'the lock is ours');

    if (desired === 'down') {
      // Cleaned, and nothing started: the user wanted it down.
      assert.equal(existsSync(dir.stateFile('f15', 'api')), false, 'state file cleaned');
      const s = second.service('f15', 'api');
      assert.equal(s.state, 'stopped');
      assert.equal(s.pid, null);
      assert.deepEqual(markedPids(prefix), []);
    } else {
      // Cleaned, and started fresh: a new instance with a record of this boot.
      const s = await waitFor(
        () => {
          const x = second!.service('f15', 'api');
          return x.state === 'running' && x.pid !== null ? x : null;
        },
        20_000,
        'service started fresh',
      );
      assert.notEqual(s.pid, foreign.pid);
      assert.equal(s.adopted, false);
      const now = JSON.parse(readFileSync(dir.stateFile('f15', 'api'), 'utf8'));
      assert.equal(now.boot, bootId());
      assert.equal(now.pid, s.pid);
      assert.deepEqual(
        markedPids(prefix).filter((p) => procStat(p)?.pgid === p),
        [s.pid],
        'one instance',
      );
      assert.equal((await second.stop('f15')).outcomes[0]!.ok, true);
    }
    foreign.assertUntouched("process named by the previous boot's files");
  } finally {
    await first?.close({ stopServices: true });
    await second?.close({ stopServices: true });
    await foreign?.kill();
    await assertNothingLeft({ markerPrefix: dir.markerPrefix(), tag });
    cleanup();
  }
}

test("F15 state file and lock from a previous boot (pid and start time match a live process): ignored and cleaned, never signalled; service started fresh", async () => {
  await previousBoot('up');
});

test("F15 state file from a previous boot of a service the user had stopped: cleaned, never signalled, nothing started", async () => {
  await previousBoot('down');
});
