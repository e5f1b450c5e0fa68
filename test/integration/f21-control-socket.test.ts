// F21 for the control socket: malformed, invalid, unknown and oversized
// requests are refused with a clear error, change nothing, and the owner keeps
// running; only the owner's user can connect; socket paths that would be
// truncated or sit in someone else's directory are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { statSync, mkdirSync, chownSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { harness, svcYaml, type StackJson } from './cli-harness.js';

interface Reply {
  id: number | string | null;
  result?: unknown;
  error?: { code: string; message: string };
}

/** A raw connection: write lines, read reply lines. */
function raw(path: string): Promise<{ sock: Socket; next(): Promise<Reply>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const queue: Reply[] = [];
    const waiters: ((r: Reply) => void)[] = [];
    let buf = '';
    sock.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const r = JSON.parse(buf.slice(0, i)) as Reply;
        buf = buf.slice(i + 1);
        const w = waiters.shift();
        if (w) w(r);
        else queue.push(r);
      }
    });
    sock.on('error', () => {});
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.once('connect', () => resolve({ sock, closed, next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))) }));
    sock.once('error', reject);
  });
}

test('F21 malformed, invalid, unknown and oversized control requests: refused, nothing done, owner keeps running', async () => {
  const h = harness('f21');
  try {
    const dir = h.project();
    h.writeStack(dir, `version: 1\nname: f21\nservices:\n${svcYaml('a', ['--tick', '100'])}`);
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const before = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services[0]!;
    const lock = JSON.parse(readFileSync(h.dir.lockFile, 'utf8')) as { socket: string; pid: number };
    assert.equal(statSync(lock.socket).mode & 0o777, 0o600, 'socket 0600');
    assert.equal(statSync(dirname(lock.socket)).mode & 0o777, 0o700, 'socket directory 0700');

    const c = await raw(lock.socket);
    c.sock.write('this is not json\n');
    let r = await c.next();
    assert.equal(r.id, null);
    assert.equal(r.error?.code, 'bad-request');
    assert.match(r.error!.message, /Malformed request.*nothing was done/);

    c.sock.write(JSON.stringify({ id: 1, cal: 'stop' }) + '\n');
    r = await c.next();
    assert.equal(r.error?.code, 'bad-request');

    c.sock.write(JSON.stringify({ id: 2, call: 'stop', req: { stack: '../f21' } }) + '\n');
    r = await c.next();
    assert.equal(r.id, 2);
    assert.equal(r.error?.code, 'bad-request');
    assert.match(r.error!.message, /Invalid request for `stop` at `stack`/);

    c.sock.write(JSON.stringify({ id: 3, call: 'stop', req: { stack: 'f21', everything: true } }) + '\n');
    r = await c.next();
    assert.equal(r.error?.code, 'bad-request');

    c.sock.write(JSON.stringify({ id: 4, call: 'rm -rf', req: {} }) + '\n');
    r = await c.next();
    assert.equal(r.error?.code, 'not-found');

    c.sock.write(JSON.stringify({ id: 5, call: 'killPortHolder', req: { stack: 'f21', service: 'a', pid: 1 } }) + '\n');
    r = await c.next();
    assert.equal(r.error?.code, 'bad-request', 'confirm: true is required');

    c.sock.write(JSON.stringify({ id: 6, call: 'up', req: { file: 'relative/corral.yaml' } }) + '\n');
    r = await c.next();
    assert.equal(r.error?.code, 'bad-request');

    // A log subscription asking for an impossible history is refused before it starts.
    c.sock.write(JSON.stringify({ id: 9, subscribe: 'logs', req: { stack: 'f21', history: { lines: 0 } } }) + '\n');
    r = await c.next();
    assert.equal(r.id, 9);
    assert.equal(r.error?.code, 'bad-request');
    assert.match(r.error!.message, /history/);

    // The same connection still works after all of that.
    c.sock.write(JSON.stringify({ id: 7, call: 'ping' }) + '\n');
    r = await c.next();
    assert.equal((r.result as { pid: number }).pid, lock.pid);

    // Oversized: 2 MiB without a newline.
    const big = await raw(lock.socket);
    big.sock.write(`{"id":8,"call":"stop","req":{"stack":"${'x'.repeat(2 << 20)}`);
    r = await big.next();
    assert.equal(r.error?.code, 'bad-request');
    assert.match(r.error!.message, /larger than 1048576 bytes/);
    await big.closed;

    // Owner alive, same pid; the service untouched.
    const after = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services[0]!;
    assert.equal(h.ownerPid(), lock.pid);
    assert.deepEqual([after.pid, after.state, after.restarts], [before.pid, 'running', 0]);
    c.sock.destroy();

    // Another user cannot even connect (the directory is 0700, the socket 0600).
    if (process.getuid?.() === 0 && spawnSync('id', ['nobody']).status === 0) {
      const probe = `require('net').connect(${JSON.stringify(lock.socket)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
      const out = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', probe], { encoding: 'utf8' });
      assert.match(out.stdout, /EACCES/, out.stdout + out.stderr);
    }
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);
  } finally {
    await h.cleanup();
  }
});

test('F21 socket paths: too long, or in a directory another user owns, are refused with a clear error', async () => {
  const h = harness('f21-path');
  try {
    const dir = h.project();
    h.writeStack(dir, `version: 1\nname: p\nservices:\n${svcYaml('a', ['--tick', '100'])}`);
    const long = join(h.home, 'x'.repeat(110));
    const r = await h.run(['up'], { cwd: dir, env: { CORRAL_SOCKET_DIR: long } });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stderr, /Unix sockets allow at most 103/);
    assert.equal(h.ownerPid(), null, 'no owner without a reachable socket');

    if (process.getuid?.() === 0) {
      const foreign = join(h.home, 'foreign');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 65534, 65534);
      const r2 = await h.run(['up'], { cwd: dir, env: { CORRAL_SOCKET_DIR: foreign } });
      assert.equal(r2.code, 4, r2.stdout + r2.stderr);
      assert.match(r2.stderr, /belongs to uid 65534, not to you/);
    }
  } finally {
    await h.cleanup();
  }
});
