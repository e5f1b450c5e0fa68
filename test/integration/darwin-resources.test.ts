// Resource sampling through the macOS implementation (platform/darwin.ts), run
// on Linux against test/darwin-shims: ps answers `rss` and `time` in macOS's
// formats. One ps per sample for the whole table; each new process's
// environment read once (ps -E -p), never a whole-table ps -E per tick.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { platform } from '../../electron/engine/process/platform/index.js';
import { Owner } from '../../electron/engine/owner.js';
import type { ServiceSnapshot, Snapshot } from '../../shared/state.js';
import { svc, stack } from '../helpers/stack.js';
import { REPO_ROOT, assertNothingLeft, fixture, waitFor } from '../helpers/env.js';

const SHIMS = join(REPO_ROOT, 'test', 'darwin-shims');
const dir = mkdtempSync(join(tmpdir(), 'corral-darwin-res-'));
const LOG = join(dir, 'calls.jsonl');
const saved = { ...process.env };
const MB = 1024 * 1024;

before(async () => {
  Object.assign(process.env, { CORRAL_PLATFORM: 'darwin', PATH: `${SHIMS}:${process.env.PATH}`, CORRAL_SHIM_LOG: LOG });
  await import(pathToFileURL(join(SHIMS, 'xnu-kill.mjs')).href);
  assert.equal((await platform()).name, 'darwin');
});

after(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

type Call = { tool: string; args: string[] };
const calls = (): Call[] => (existsSync(LOG) ? readFileSync(LOG, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call) : []);

test('darwin: CPU and memory of the whole tree from one ps per sample; each new process\'s environment read once', async () => {
  const owner = await Owner.open({ home: join(dir, 'home'), kind: 'embedded', resourceIntervalMs: 300, resourceFirstMs: 300, descendantSnapshotMs: 3_600_000 });
  const prefix = owner.dir.markerPrefix();
  try {
    await owner.addStack(stack('d', [svc('tree', [], { command: [process.execPath, fixture('resource-tree.mjs'), '--mb', '50'], readyAfterMs: 100 })]));
    const started = await owner.start('d');
    assert.ok(started.outcomes[0]!.ok, started.outcomes[0]!.message);
    const m = await waitFor(() => /^tree (\d+) (\d+) (\d+)$/m.exec(readFileSync(owner.dir.logFile('d', 'tree'), 'utf8')), 15_000, 'the tree');
    const tree = [Number(m[1]), Number(m[2]), Number(m[3])];
    const of = (s: Snapshot): ServiceSnapshot => s.stacks[0]!.services[0]!;

    writeFileSync(LOG, '');
    const release = owner.watchResources();
    try {
      await waitFor(() => owner.resources.reads >= 6 && of(owner.snapshot()).resources, 30_000, 'six samples');
    } finally {
      release();
    }
    const r = of(owner.snapshot()).resources;
    assert.equal(r, null, 'released: no figures');
    assert.equal(owner.resources.armed, false);

    const asked = of(await owner.snapshotWithResources()).resources;
    assert.ok(asked, 'status figures');
    assert.equal(asked.processes, 3, 'parent, child and the grandchild that left the group');
    assert.ok(asked.memoryBytes >= 50 * MB, `memory ${asked.memoryBytes}`);
    assert.ok(asked.cpuPercent >= 5 && asked.cpuPercent <= 250, `CPU ${asked.cpuPercent}%`);

    const ps = calls().filter((c) => c.tool === 'ps');
    const usage = ps.filter((c) => c.args.some((a) => a.includes('rss=') && a.includes('time=')));
    assert.ok(usage.length >= 6, `one usage ps per sample: ${usage.length}`);
    assert.ok(usage.every((c) => !c.args.includes('-p') && !c.args.includes('-E')), 'the table in one call, without environments');
    const env = ps.filter((c) => c.args.includes('-E'));
    assert.ok(env.every((c) => c.args.includes('-p')), 'environments only of the processes asked for, never the whole table');
    const pidsAsked = env.flatMap((c) => c.args.filter((_, i) => c.args[i - 1] === '-p').map(Number));
    // The grandchild (not the owner's child) is read once per measurement: once while watched, once for the status.
    assert.ok(pidsAsked.filter((p) => p === tree[2]).length <= 2, `the grandchild's environment read ${pidsAsked.filter((p) => p === tree[2]).length} times`);
    assert.ok(!pidsAsked.includes(tree[0]!), 'the leader (the owner\'s child) is counted through its group, its environment never read');
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: prefix });
  }
});
