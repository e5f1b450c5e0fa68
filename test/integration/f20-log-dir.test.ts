// F20: the log directory is read-only, or its disk is full. Starting a service
// there is refused with a clear error (nothing started); services already
// running stay supervised; other stacks and the owner are not affected.
// Simulated with tiny tmpfs mounts (root only); skipped with a message otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { harness, svcYaml, type StackJson } from './cli-harness.js';
import { isLive, markedPids } from '../helpers/env.js';

function mount(path: string, opts: string): boolean {
  mkdirSync(path, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', path]).status === 0;
}
const umount = (path: string) => spawnSync('umount', [path]);

const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

test('F20 read-only log directory: start refused with a clear error; other stacks and the owner unaffected', { skip: !canMount && 'needs root to mount a read-only tmpfs' }, async () => {
  const h = harness('f20-ro');
  const ro = join(h.home, 'logs', 'ro');
  let mounted = false;
  try {
    const good = h.project('good');
    h.writeStack(good, `version: 1\nname: good\nservices:\n${svcYaml('a', ['--tick', '50'])}`);
    assert.equal((await h.run(['up'], { cwd: good })).code, 0);
    mounted = mount(ro, 'ro,size=1m');
    assert.ok(mounted, 'mount a read-only tmpfs');
    const bad = h.project('bad');
    h.writeStack(bad, `version: 1\nname: ro\nservices:\n${svcYaml('b', ['--tick', '50'])}`);
    const r = await h.run(['up'], { cwd: bad });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /Cannot start stack `ro`: the log directory .*logs\/ro is not writable \(EROFS/);
    assert.match(r.stderr, /Nothing was started/);
    assert.equal(markedPids(h.dir.markerPrefix('ro')).length, 0, 'nothing of stack ro runs');
    const st = await h.json<StackJson[]>(['status', '--all']);
    const goodA = st.find((s) => s.name === 'good')!.services[0]!;
    assert.equal(goodA.state, 'running');
    assert.ok(isLive(goodA.pid!));
    const doc = await h.run(['doctor']);
    assert.equal(doc.code, 1);
    assert.match(doc.stdout, /\[logs\] ro: .*not writable/);
  } finally {
    await h.run(['daemon', 'stop', '--stop-services']).catch(() => undefined);
    if (mounted) umount(ro);
    await h.cleanup();
  }
});

test('F20 disk full under the log directory: the running service stays supervised, a new start is refused, and works once space is freed', { skip: !canMount && 'needs root to mount a tiny tmpfs' }, async () => {
  const h = harness('f20-full');
  const logs = join(h.home, 'logs', 'full');
  let mounted = false;
  try {
    mounted = mount(logs, 'size=4m');
    assert.ok(mounted, 'mount a 4 MiB tmpfs');
    const dir = h.project();
    h.writeStack(dir, `version: 1\nname: full\nservices:\n${svcYaml('a', ['--tick', '20'])}`);
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const a = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services[0]!;

    // Fill the file system.
    const filler = join(logs, 'filler');
    const fd = openSync(filler, 'w');
    try {
      const buf = Buffer.alloc(64 * 1024, 120);
      for (;;) writeSync(fd, buf);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(fd);
    }

    h.writeStack(dir, `version: 1\nname: full\nservices:\n${svcYaml('a', ['--tick', '20'])}${svcYaml('b', ['--tick', '20'])}`);
    const r = await h.run(['up', 'b'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /Cannot start stack `full`: the log directory .*logs\/full (is on a full disk|has only \d+ bytes free)/);
    assert.match(r.stderr, /Free some space/);
    const st = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    assert.deepEqual(st.map((s) => [s.name, s.state]), [['a', 'running'], ['b', 'stopped']]);
    assert.equal(st[0]!.pid, a.pid, 'a still runs, same pid, supervised');

    rmSync(filler);
    const ok = await h.run(['up', 'b'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);
  } finally {
    await h.run(['daemon', 'stop', '--stop-services']).catch(() => undefined);
    if (mounted) umount(logs);
    await h.cleanup();
  }
});
