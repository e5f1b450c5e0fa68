// F14: a state file or the owner lock is corrupt or truncated. It is treated
// as stale with a warning; nothing crashes; nothing foreign is killed, even
// when the damaged file names a live foreign process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Owner } from '../../electron/engine/owner.js';
import { DataDir } from '../../electron/engine/state/paths.js';
import { tempHome, freePort, assertNothingLeft, markedPids, isLive } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { startForeign, newTag, bootId, procStat, type Foreign } from '../helpers/foreign.js';

/** A record that would identify `f` exactly (right pid, start time and boot), as the state file would hold it. */
function recordFor(dir: DataDir, service: string, f: Foreign): Record<string, unknown> {
  return {
    v: 1,
    stack: 'f14',
    service,
    instance: 'x1',
    marker: `${dir.markerPrefix('f14', service)}x1`,
    pid: f.pid,
    pgid: f.pid,
    start: f.start,
    boot: bootId(),
    command: ['node'],
    ports: [],
    startedAt: Date.now(),
    restarts: 0,
  };
}

test('F14 corrupt state files (garbage, empty, truncated, wrong schema) are stale with a warning; nothing crashes; a foreign process they name is untouched', async () => {
  const { home, cleanup } = tempHome('f14');
  const dir = new DataDir(home);
  const tag = newTag('f14');
  const names = ['garbage', 'empty', 'truncated', 'schema', 'nul'];
  const logs: string[] = [];
  let owner: Owner | null = null;
  let foreign: Foreign | null = null;
  try {
    const first = await Owner.open({ home, kind: 'embedded' });
    await first.addStack(stack('f14', names.map((n) => svc(n, ['--tick', '1000']))));
    await first.close({ stopServices: true });

    foreign = await startForeign({ tag });
    const full = (service: string) => JSON.stringify(recordFor(dir, service, foreign!), null, 2);
    mkdirSync(dir.stateDir('f14'), { recursive: true });
    const files: Record<string, string | Buffer> = {
      garbage: Buffer.concat([Buffer.from('\x00\xff{{not json'), randomBytes(64)]),
      empty: '',
      truncated: full('truncated').slice(0, Math.floor(full('truncated').length / 2)),
      schema: JSON.stringify({ ...recordFor(dir, 'schema', foreign), pid: String(foreign.pid), v: 2 }),
      nul: 'null',
      // A state file for a service the stack does not (or no longer) have, also damaged.
      ghost: full('ghost').slice(0, 40),
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(dir.stateFile('f14', name), content);
    // The owner lock is truncated too, and names the foreign process.
    const lock = JSON.stringify({ pid: foreign.pid, start: foreign.start, boot: bootId(), kind: 'daemon', socket: null, since: Date.now() });
    writeFileSync(dir.lockFile, lock.slice(0, 30));

    owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100, onLog: (l) => logs.push(l) });
    const all = logs.join('\n');
    foreign.assertUntouched('foreign process named by the damaged files');
    assert.ok(logs.some((l) => /warning/i.test(l) && l.includes('owner lock') && /corrupt/i.test(l)), `warning about the lock:\n${all}`);
    for (const name of Object.keys(files)) {
      assert.ok(logs.some((l) => /warning/i.test(l) && l.includes(`f14/${name}`) && /corrupt/i.test(l)), `warning about ${name}.json:\n${all}`);
      assert.equal(existsSync(dir.stateFile('f14', name)), false, `${name}.json treated as stale and removed`);
    }
    // The lock is ours now.
    assert.equal(JSON.parse(readFileSync(dir.lockFile, 'utf8')).pid, process.pid);
    for (const s of owner.snapshot().stacks[0]!.services) {
      assert.equal(s.state, 'stopped', `${s.name}: nothing adopted from a damaged record`);
      assert.equal(s.pid, null);
    }

    // Everything still works.
    const started = await owner.start('f14');
    assert.equal(started.outcomes.every((o) => o.ok), true, JSON.stringify(started));
    assert.equal(markedPids(dir.markerPrefix('f14')).length, names.length);
    const stopped = await owner.stop('f14');
    assert.equal(stopped.outcomes.every((o) => o.ok), true, JSON.stringify(stopped));
    foreign.assertUntouched('foreign process named by the damaged files');
  } finally {
    await owner?.close({ stopServices: true });
    await foreign?.kill();
    await assertNothingLeft({ markerPrefix: dir.markerPrefix(), tag });
    cleanup();
  }
});

test('F14 corrupt owner lock (empty, garbage, truncated, wrong schema, binary): taken over with a warning; a foreign pid it names is untouched', async () => {
  const { home, cleanup } = tempHome('f14lock');
  const dir = new DataDir(home);
  const tag = newTag('f14lock');
  let foreign: Foreign | null = null;
  let owner: Owner | null = null;
  try {
    foreign = await startForeign({ tag });
    const good = JSON.stringify({ pid: foreign.pid, start: foreign.start, boot: bootId(), kind: 'daemon', socket: null, since: Date.now() });
    const variants: Record<string, string | Buffer> = {
      empty: '',
      garbage: 'owner=me',
      truncated: good.slice(0, good.length - 5),
      schema: JSON.stringify({ pid: foreign.pid, kind: 'tray' }),
      binary: randomBytes(128),
    };
    for (const [label, content] of Object.entries(variants)) {
      writeFileSync(dir.lockFile, content);
      const logs: string[] = [];
      owner = await Owner.open({ home, kind: 'embedded', onLog: (l) => logs.push(l) });
      assert.ok(
        logs.some((l) => /warning/i.test(l) && /lock/i.test(l) && /corrupt/i.test(l)),
        `${label}: a warning names the corrupt lock:\n${logs.join('\n')}`,
      );
      assert.equal(JSON.parse(readFileSync(dir.lockFile, 'utf8')).pid, process.pid, `${label}: the lock is ours now`);
      await owner.close({ stopServices: true });
      owner = null;
      assert.equal(existsSync(dir.lockFile), false, `${label}: released on close`);
      foreign.assertUntouched(`foreign process named by the ${label} lock`);
    }
  } finally {
    await owner?.close({ stopServices: true });
    await foreign?.kill();
    await assertNothingLeft({ markerPrefix: dir.markerPrefix(), tag });
    cleanup();
  }
});

test('F14 truncated state file of a live service: stale with a warning, the service is found again by its marker (same pid)', async () => {
  const { home, cleanup } = tempHome('f14live');
  const dir = new DataDir(home);
  const port = await freePort();
  const logs: string[] = [];
  let owner: Owner | null = null;
  try {
    const first = await Owner.open({ home, kind: 'embedded' });
    await first.addStack(stack('f14', [tcpService('api', port, ['--children', '1'])]));
    const r = await first.start('f14');
    assert.equal(r.outcomes[0]!.ok, true, JSON.stringify(r));
    const pid = first.service('f14', 'api').pid!;
    await first.close({ stopServices: false });
    const text = readFileSync(dir.stateFile('f14', 'api'), 'utf8');
    writeFileSync(dir.stateFile('f14', 'api'), text.slice(0, Math.floor(text.length / 3)));

    owner = await Owner.open({ home, kind: 'embedded', adoptPollMs: 100, onLog: (l) => logs.push(l) });
    assert.ok(logs.some((l) => /warning/i.test(l) && l.includes('f14/api') && /corrupt/i.test(l)), logs.join('\n'));
    const s = owner.service('f14', 'api');
    assert.equal(s.pid, pid, `re-adopted by marker, not duplicated:\n${logs.join('\n')}`);
    assert.equal(s.state, 'running');
    assert.equal(isLive(pid), true);
    const leaders = markedPids(dir.markerPrefix('f14', 'api')).filter((p) => procStat(p)?.pgid === p);
    assert.deepEqual(leaders, [pid], 'one instance');
    // The state file is whole again.
    assert.equal(JSON.parse(readFileSync(dir.stateFile('f14', 'api'), 'utf8')).pid, pid);
    const stopped = await owner.stop('f14');
    assert.equal(stopped.outcomes[0]!.ok, true, JSON.stringify(stopped));
    assert.deepEqual(markedPids(dir.markerPrefix()), []);
  } finally {
    await owner?.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: dir.markerPrefix() });
    cleanup();
  }
});

test('F14 corrupt stack registry (stacks.json): open succeeds with a warning; a foreign process is untouched', async () => {
  const { home, cleanup } = tempHome('f14reg');
  const dir = new DataDir(home);
  const tag = newTag('f14reg');
  const logs: string[] = [];
  let owner: Owner | null = null;
  let foreign: Foreign | null = null;
  try {
    foreign = await startForeign({ tag });
    writeFileSync(dir.stacksFile, '{"v":1,"stacks":[{"spec":{"name":"f14","services":[');
    owner = await Owner.open({ home, kind: 'embedded', onLog: (l) => logs.push(l) });
    assert.ok(logs.some((l) => /warning/i.test(l) && l.includes('stacks.json')), logs.join('\n'));
    assert.deepEqual(owner.stackNames(), []);
    // Usable: a stack can be added and run.
    await owner.addStack(stack('f14', [svc('one', ['--tick', '1000'])]));
    const r = await owner.start('f14');
    assert.equal(r.outcomes[0]!.ok, true, JSON.stringify(r));
    assert.equal((await owner.stop('f14')).outcomes[0]!.ok, true);
    foreign.assertUntouched();
  } finally {
    await owner?.close({ stopServices: true });
    await foreign?.kill();
    await assertNothingLeft({ markerPrefix: dir.markerPrefix(), tag });
    cleanup();
  }
});
