// One owner per data directory: O_EXCL-style lock with identity, stale takeover (F11 at the lock level, F14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { acquireOwnerLock, OwnerBusyError, readOwnerLock } from '../../electron/engine/state/owner-lock.js';
import { tempHome } from '../helpers/env.js';

const CONTENDER = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lock-contender.js');

function contender(path: string) {
  const child = spawn(process.execPath, [CONTENDER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answer = new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, answer, exited };
}

test('F11 ten processes take the owner lock at the same moment: exactly one wins, the others name it', async () => {
  const { home, cleanup } = tempHome('lock');
  const path = join(home, 'owner.lock');
  const all = Array.from({ length: 10 }, () => contender(path));
  try {
    const answers = await Promise.all(all.map((c) => c.answer));
    const winners = all.filter((_, i) => answers[i] === 'won');
    assert.equal(winners.length, 1, answers.join(', '));
    const winnerPid = winners[0]!.child.pid;
    for (const a of answers.filter((x) => x !== 'won')) assert.equal(a, `busy ${winnerPid}`);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, winnerPid);
  } finally {
    for (const c of all) c.child.stdin!.end();
    await Promise.all(all.map((c) => c.exited));
    cleanup();
  }
});

test('F14 a stale lock (dead owner) and a corrupt lock are taken over with a warning', async () => {
  const { home, cleanup } = tempHome('lock');
  const path = join(home, 'owner.lock');
  try {
    // Stale: a real process that has exited.
    const c = contender(path);
    assert.equal(await c.answer, 'won');
    const deadPid = c.child.pid!;
    c.child.kill('SIGKILL');
    await c.exited;
    assert.deepEqual(await readOwnerLock(path), { live: null, stale: true });
    const warnings: string[] = [];
    const lock = await acquireOwnerLock(path, 'embedded', { onWarning: (w) => warnings.push(w) });
    assert.match(warnings[0]!, new RegExp(`stale owner lock \\(pid ${deadPid} is gone\\)`));
    assert.equal(lock.stillOurs(), true);
    // A second taker in the same live process is refused: the holder is alive.
    await assert.rejects(acquireOwnerLock(path, 'embedded'), OwnerBusyError);
    lock.release();

    for (const garbage of ['', '{"pid":', 'not json at all']) {
      writeFileSync(path, garbage);
      const w: string[] = [];
      const l = await acquireOwnerLock(path, 'embedded', { onWarning: (x) => w.push(x) });
      assert.match(w[0]!, /corrupt/);
      l.release();
    }
  } finally {
    cleanup();
  }
});
