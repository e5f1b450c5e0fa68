// CPU and memory per service (issue #10): the whole tree of a service (its
// group, a grandchild that escaped with setsid) is counted; `corral status`
// measures on demand; nothing is sampled while no view watches; an open web UI
// page watches and stops watching when it closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Owner } from '../../electron/engine/owner.js';
import { createApi } from '../../electron/host/api.js';
import { startWebUi } from '../../electron/host/web/server.js';
import type { ResourceUse, ServiceSnapshot, Snapshot, StackSnapshot } from '../../shared/state.js';
import { harness } from './cli-harness.js';
import { ControlClient } from '../../electron/host/control/client.js';
import { readOwnerLock } from '../../electron/engine/state/owner-lock.js';
import { nodeEventSource } from '../helpers/node-event-source.js';
import { svc, stack } from '../helpers/stack.js';
import { assertNothingLeft, fixture, isLive, tempHome, waitFor } from '../helpers/env.js';

const TREE = fixture('resource-tree.mjs');
const MB = 1024 * 1024;

/** The tree's pids, from its log line "tree <parent> <child> <grandchild>". */
async function treePids(logFile: string): Promise<number[]> {
  const line = await waitFor(() => /^tree (\d+) (\d+) (\d+)$/m.exec(readFileSync(logFile, 'utf8')), 15_000, 'the tree to start');
  return [Number(line[1]), Number(line[2]), Number(line[3])];
}

/** The grandchild left the group: its own session and group (what makes it "escaped"). */
function assertEscaped(parent: number, grandchild: number): void {
  const field = (pid: number, n: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[n - 3];
  assert.notEqual(field(grandchild, 5), field(parent, 5), 'the grandchild is in a group of its own');
  assert.equal(field(grandchild, 6), String(grandchild), 'and a session of its own');
}

function assertTreeFigures(r: ResourceUse | null, what: string): void {
  assert.ok(r, `${what}: resources`);
  assert.equal(r.processes, 3, `${what}: parent, child and the escaped grandchild`);
  assert.ok(r.memoryBytes >= 50 * MB, `${what}: memory ${r.memoryBytes} ≥ the child's 50 MiB`);
  assert.ok(r.memoryBytes < 2048 * MB, `${what}: memory ${r.memoryBytes} plausible`);
  // The child keeps a core about half busy; a loaded 2-core machine gives it less, never none and never more than the machine has.
  assert.ok(r.cpuPercent >= 5 && r.cpuPercent <= 250, `${what}: CPU ${r.cpuPercent}% plausible`);
  assert.ok(Math.abs(Date.now() - r.at) < 60_000, `${what}: sampled just now`);
}

test('corral status shows CPU and MEM of the whole tree (group and escaped grandchild); a stopped service shows none', async () => {
  const h = harness('resources-cli');
  try {
    const project = h.project();
    h.writeStack(
      project,
      `version: 1
name: res
services:
  tree:
    command: ${JSON.stringify(['${CORRAL_NODE}', TREE, '--mb', '50'])}
    ready_after: 200ms
  idle:
    command: ${JSON.stringify(['${CORRAL_NODE}', fixture('svc.mjs')])}
`,
    );
    const up = await h.run(['up', 'tree'], { cwd: project, env: { CORRAL_NODE: process.execPath } });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const [parent, , grandchild] = await treePids(h.dir.logFile('res', 'tree'));
    assertEscaped(parent!, grandchild!);
    const stacks = await h.json<StackSnapshot[]>(['status'], { cwd: project });
    const byName = (n: string) => stacks[0]!.services.find((s) => s.name === n)!;
    assertTreeFigures(byName('tree').resources, 'status --json');
    assert.equal(byName('idle').state, 'stopped');
    assert.equal(byName('idle').resources, null, 'a stopped service has no figures');

    const human = await h.run(['status'], { cwd: project });
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.split('\n');
    const header = lines.find((l) => l.includes('SERVICE'))!;
    assert.match(header, /\bCPU\s+MEM\b/);
    const row = lines.find((l) => l.startsWith('tree '))!;
    assert.match(row, /\s\d+(\.\d)?%\s+\d+(\.\d)? MB(\s|$)/, row);
    const mem = Number(/\s(\d+(?:\.\d)?) MB(?:\s|$)/.exec(row)![1]);
    assert.ok(mem >= 50, `MEM column ${mem} MB`);
    const idleRow = lines.find((l) => l.startsWith('idle '))!;
    assert.match(idleRow, /\sstopped\s.*\s-\s+-\s/, idleRow);

    // The status asked; nobody watches: a plain snapshot carries no figures (none shown as live).
    const { live } = await readOwnerLock(h.dir.lockFile);
    const client = await ControlClient.connect(live!.socket!, 5000);
    try {
      const plain = await client.call('snapshot', {});
      assert.equal(plain.stacks[0]!.services.find((s) => s.name === 'tree')!.resources, null);
    } finally {
      client.close();
    }
  } finally {
    await h.cleanup();
  }
});

test('nothing is sampled while no view watches; a watch samples until it is released', async () => {
  const tmp = tempHome('resources-watch');
  const owner = await Owner.open({ home: tmp.home, kind: 'embedded', resourceIntervalMs: 150, resourceFirstMs: 150 });
  const prefix = owner.dir.markerPrefix();
  try {
    await owner.addStack(stack('w', [svc('tree', [], { command: [process.execPath, TREE, '--mb', '50'], readyAfterMs: 100 })]));
    const started = await owner.start('w');
    assert.ok(started.outcomes[0]!.ok, started.outcomes[0]!.message);
    await treePids(owner.dir.logFile('w', 'tree'));
    const tree = (s: Snapshot): ServiceSnapshot => s.stacks[0]!.services[0]!;

    // Unwatched: no timer, no read, no figures, for many would-be intervals.
    const unwatched = Date.now();
    await waitFor(() => Date.now() - unwatched > 1200, 5000, 'time to pass');
    assert.equal(owner.resources.armed, false, 'no timer without a watcher');
    assert.equal(owner.resources.reads, 0, 'no process-table read without a watcher');
    assert.equal(tree(owner.snapshot()).resources, null);

    // Watched: figures come (the first after the short baseline), with a snapshot event that carries them.
    const events: Snapshot[] = [];
    owner.on('snapshot', (s) => events.push(s));
    const release = owner.watchResources();
    assert.equal(owner.resources.armed, true);
    await waitFor(() => tree(owner.snapshot()).resources, 10_000, 'figures while watched');
    assertTreeFigures(tree(owner.snapshot()).resources, 'watched');
    await waitFor(() => events.some((e) => tree(e).resources !== null), 10_000, 'a snapshot with the figures');

    // Two watchers: one release leaves it sampling; the last one ends it at once.
    const second = owner.watchResources();
    release();
    release(); // twice: harmless
    assert.equal(owner.resources.armed || owner.resources.watching === 1, true);
    second();
    assert.equal(owner.resources.watching, 0);
    assert.equal(owner.resources.armed, false, 'the timer is gone with the last watcher');
    assert.equal(tree(owner.snapshot()).resources, null, 'no figure shown once nobody watches');
    await waitFor(() => events.length > 0 && tree(events.at(-1)!).resources === null, 5000, 'a snapshot without figures');
    const reads = owner.resources.reads;
    const after = Date.now();
    await waitFor(() => Date.now() - after > 1000, 5000, 'time to pass');
    assert.equal(owner.resources.reads, reads, 'no read after the last release');

    // A status asks: fresh figures (a baseline and a second read), and still no timer afterwards.
    const asked = await owner.snapshotWithResources();
    assertTreeFigures(tree(asked).resources, 'asked');
    assert.equal(owner.resources.reads, reads + 2);
    assert.equal(owner.resources.armed, false);
    assert.equal(tree(owner.snapshot()).resources, null);
    // The next status measures from where the last one counted: one read, no wait.
    assertTreeFigures(tree(await owner.snapshotWithResources()).resources, 'asked again');
    assert.equal(owner.resources.reads, reads + 3);
    assert.equal(owner.resources.armed, false);

    // Stopped: no figures even when asked.
    await owner.stop('w');
    assert.equal(tree(await owner.snapshotWithResources()).resources, null);
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: prefix });
    tmp.cleanup();
  }
});

test('a sample that changes no figure as shown sends no snapshot; a changed one does', async () => {
  const tmp = tempHome('resources-quiet');
  const owner = await Owner.open({ home: tmp.home, kind: 'embedded', resourceIntervalMs: 100, resourceFirstMs: 100 });
  const prefix = owner.dir.markerPrefix();
  try {
    // `sleep` never allocates nor runs: the same figures at every sample.
    await owner.addStack(stack('q', [svc('idle', [], { command: ['sleep', '1000'] })]));
    assert.ok((await owner.start('q')).outcomes[0]!.ok);
    const events: Snapshot[] = [];
    owner.on('snapshot', (s) => events.push(s));
    const release = owner.watchResources();
    try {
      await waitFor(() => events.some((e) => e.stacks[0]!.services[0]!.resources !== null), 10_000, 'the first figures');
      const sent = events.length;
      const reads = owner.resources.reads;
      await waitFor(() => (owner.resources.reads >= reads + 8 ? true : null), 10_000, 'eight more samples');
      assert.equal(events.length, sent, `${events.length - sent} snapshots for samples that changed nothing shown`);
      // The figures stay current all the same: a snapshot asked for now carries the last sample.
      assert.ok(owner.snapshot().stacks[0]!.services[0]!.resources);
      // Other changes go out as before.
      await owner.restart('q', ['idle']);
      const n = events.length;
      await waitFor(() => (events.length > n ? true : null), 10_000, 'a snapshot for the change');
    } finally {
      release();
    }
  } finally {
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: prefix });
    tmp.cleanup();
  }
});

test('an open web UI page (its snapshot stream) makes the owner sample; closing the page stops it', async () => {
  const tmp = tempHome('resources-web');
  const owner = await Owner.open({ home: join(tmp.home, 'home'), kind: 'embedded', resourceIntervalMs: 200 });
  const prefix = owner.dir.markerPrefix();
  const rendererDir = join(tmp.home, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Corral</title>');
  const token = 'resources-web-token-0123456789';
  const web = await startWebUi(createApi(owner), { rendererDir, token });
  const { EventSource } = nodeEventSource({ authorization: `Bearer ${token}` });
  let page: EventSource | null = null;
  try {
    await owner.addStack(stack('w', [svc('tree', [], { command: [process.execPath, TREE, '--mb', '50'], readyAfterMs: 100 })]));
    assert.ok((await owner.start('w')).outcomes[0]!.ok);
    const [, child] = await treePids(owner.dir.logFile('w', 'tree'));
    assert.ok(isLive(child!));
    assert.equal(owner.resources.watching, 0);

    let last: Snapshot | null = null;
    page = new EventSource(`http://127.0.0.1:${web.port}/api/events`);
    page.addEventListener('snapshot', (e: Event) => (last = JSON.parse((e as MessageEvent).data as string) as Snapshot));
    await waitFor(() => owner.resources.watching === 1, 5000, 'the page to watch');
    const figures = await waitFor(() => last?.stacks[0]?.services[0]?.resources, 10_000, 'figures on the page');
    assertTreeFigures(figures, 'web UI');

    page.close();
    page = null;
    await waitFor(() => owner.resources.watching === 0, 5000, 'the closed page to stop watching');
    assert.equal(owner.resources.armed, false, 'no sampling once the page is closed');
    assert.equal(owner.snapshot().stacks[0]!.services[0]!.resources, null);
  } finally {
    page?.close();
    await web.close();
    await owner.close({ stopServices: true });
    await assertNothingLeft({ markerPrefix: prefix });
    tmp.cleanup();
  }
});

test('a recorded descendant (double fork, no marker, reparented) is counted too, as a stop would find it', async () => {
  const tmp = tempHome('resources-recorded');
  const owner = await Owner.open({ home: tmp.home, kind: 'embedded', descendantSnapshotMs: 50 });
  const prefix = owner.dir.markerPrefix();
  let hidden = 0;
  try {
    await owner.addStack(stack('s', [svc('hider', ['--hide-grandchild'])]));
    assert.ok((await owner.start('s')).outcomes[0]!.ok);
    const [, h, i] = await waitFor(() => /hidden (\d+) from (\d+)/.exec(readFileSync(owner.dir.logFile('s', 'hider'), 'utf8')), 15_000, 'hidden pid');
    hidden = Number(h);
    const intermediate = Number(i);
    const ppidOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    await waitFor(() => !isLive(intermediate) && ppidOf(hidden) !== intermediate, 15_000, 'grandchild reparented');
    // Neither group, marker nor parent chain leads to it now: only the record does.
    const r = await owner.snapshotWithResources();
    const figures = r.stacks[0]!.services[0]!.resources;
    assert.ok(figures, 'figures');
    assert.equal(figures.processes, 2, 'the leader and the hidden grandchild');
  } finally {
    await owner.close({ stopServices: true });
    if (hidden && isLive(hidden)) process.kill(hidden, 'SIGKILL');
    await assertNothingLeft({ markerPrefix: prefix });
    tmp.cleanup();
  }
});
