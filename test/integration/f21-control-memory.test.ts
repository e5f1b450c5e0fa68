// F21 (memory): half-sent control requests cannot grow the owner. A hundred
// connections each sending 1 MiB without a newline used to hold ~113 MB; now
// all connections together hold at most a small budget, the ones past it are
// closed with an error, and the owner goes on answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { harness } from './cli-harness.js';

const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** Connects and writes `bytes` bytes without a newline; resolves when written or when the owner closed it. */
function halfSend(path: string, bytes: number): Promise<{ sock: Socket; reply: string }> {
  return new Promise((resolve) => {
    const sock = connect(path);
    let reply = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ sock, reply });
    };
    sock.on('data', (d) => (reply += d));
    sock.on('error', finish);
    sock.on('close', finish);
    sock.on('connect', () => sock.write(Buffer.alloc(bytes, 0x78), () => setTimeout(finish, 50)));
  });
}

test('F21 100 connections each half-sending 1 MiB: the owner stays small, refuses the excess, and keeps answering', { timeout: 120_000 }, async () => {
  const h = harness('f21mem');
  const socks: Socket[] = [];
  try {
    assert.equal((await h.run(['daemon', 'start'])).code, 0);
    const pid = h.ownerPid()!;
    const lock = JSON.parse(readFileSync(h.dir.lockFile, 'utf8')) as { socket: string };
    const before = rssKiB(pid);
    const results = await Promise.all(Array.from({ length: 100 }, () => halfSend(lock.socket, (1 << 20) - 1)));
    for (const r of results) socks.push(r.sock);
    // Let the owner read what it was sent.
    await new Promise((r) => setTimeout(r, 500));
    const grown = (rssKiB(pid) - before) / 1024;
    // Without the budget it grew ~115 MB and kept it. With it, what passed through (100 MiB read in
    // chunks, not yet collected) still shows for a while: 30-52 MB seen on a loaded CI machine.
    assert.ok(grown < 80, `owner grew ${grown.toFixed(1)} MB holding half-sent requests`);
    const refused = results.filter((r) => /unfinished requests/.test(r.reply)).length;
    assert.ok(refused >= 80, `${refused} connections refused for the budget`);
    for (const s of socks) s.destroy();
    const r = await h.run(['status'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const log = readFileSync(h.dir.ownerLog, 'utf8');
    assert.ok(log.split('\n').filter((l) => l.includes('control:')).length <= 10, 'refusals are summarised, not one line each');
  } finally {
    for (const s of socks) s.destroy();
    await h.cleanup();
  }
});
