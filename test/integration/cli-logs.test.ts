// `corral logs` as a user runs it, against real services writing real files:
// identical lines across the history/live seam printed exactly as often as
// written; every kept rotation read after a crash loop; `logs -f` going on
// across an owner SIGKILL from the exact line where it was; a 200 MB line
// without a newline neither growing the owner nor reaching the follower whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, CLI, type Harness } from './cli-harness.js';
import { fixture, isLive, waitFor } from '../helpers/env.js';
import { LINE_CAP_BYTES } from '../../electron/engine/logs/line-splitter.js';
import type { LogLine } from '../../shared/api.js';

const WRITER = fixture('log-writer.mjs');

function stackYaml(name: string, services: Record<string, string[]>, restart = '{ policy: on-failure, backoff: 50ms, max_backoff: 100ms }'): string {
  return `version: 1\nname: ${name}\nservices:\n${Object.entries(services)
    .map(([svc, args]) => `  ${svc}:\n    command: ${JSON.stringify(['${CORRAL_NODE}', WRITER, ...args])}\n    restart: ${restart}\n    stop: { grace: 2s }\n`)
    .join('')}`;
}

interface Follower {
  child: ChildProcessWithoutNullStreams;
  lines: LogLine[];
  stderr: () => string;
  exit: Promise<number | null>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Ends the followers a failed test left running, by pid, before the harness checks that nothing is left. */
async function endFollowers(): Promise<void> {
  for (const c of running) {
    c.kill('SIGKILL');
    await waitFor(() => !isLive(c.pid!), 5000, `follower ${c.pid} to end`);
  }
  running.clear();
}

/** `corral logs -f --json …` as a child, its lines parsed as they come. */
function follow(h: Harness, cwd: string, args: string[]): Follower {
  const child = spawn(process.execPath, [CLI, 'logs', '-f', '--json', ...args], { cwd, env: h.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let rest = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    rest += d;
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p) lines.push(JSON.parse(p) as LogLine);
  });
  child.stderr.on('data', (d) => (err += d));
  running.add(child);
  const exit = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  return { child, lines, stderr: () => err, exit };
}

async function end(f: Follower): Promise<number | null> {
  f.child.kill('SIGINT');
  return f.exit;
}

const fileCount = (file: string, re: RegExp) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => re.test(l)).length;
  } catch {
    return 0;
  }
};

test('logs -f: identical lines across the seam are printed exactly as many times as written', async () => {
  const h = harness('clilogs-same');
  try {
    const dir = h.project();
    h.writeStack(dir, stackYaml('same', { w: ['--same', '3000', '--per-tick', '1'] }));
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const file = h.dir.logFile('same', 'w');
    await waitFor(() => fileCount(file, /^same$/) >= 200, 20_000, 'some lines written');
    const f = follow(h, dir, ['-n', '100000', 'w']);
    await waitFor(() => f.lines.some((l) => l.text === 'done'), 60_000, 'the last line');
    assert.equal(await end(f), 0, f.stderr());
    assert.ok(f.lines.filter((l) => l.text === 'same').length > 0);
    assert.equal(f.lines.filter((l) => l.text === 'same').length, 3000, 'each identical line printed once');
    assert.equal(f.lines.filter((l) => l.text === 'done').length, 1);
  } finally {
    await endFollowers();
    await h.cleanup();
  }
});

test('a crash loop: every kept rotation is read, the first crashes are still shown (CLI and a history subscription)', async () => {
  const h = harness('clilogs-rot');
  try {
    const dir = h.project();
    h.writeStack(dir, stackYaml('loop', { c: ['--crash'] }));
    await h.run(['up'], { cwd: dir });
    // Five starts (the crash-loop limit), each rotating the previous run's log at start.
    await waitFor(async () => (await h.json<{ services: { state: string }[] }[]>(['status'], { cwd: dir }))[0]!.services[0]!.state === 'failed', 60_000, 'the crash loop to give up');
    const runs = (await h.run(['logs', '-n', '100', 'c'], { cwd: dir })).stdout.match(/run \d+/g) ?? [];
    assert.ok(fileCount(`${h.dir.logFile('loop', 'c')}.3`, /^run /) === 1, 'more than two rotations were made');
    assert.equal(runs.length, 5, `every run's line, from the oldest rotation on: ${runs.join(', ')}`);
    // The history a follower (the window, the web UI, logs -f) gets reads them too.
    const f = follow(h, dir, ['-n', '100', 'c']);
    await waitFor(() => f.lines.length >= 5, 20_000, 'the history');
    assert.equal(await end(f), 0);
    assert.deepEqual(f.lines.map((l) => l.text.match(/run \d+/)?.[0]), runs);
  } finally {
    await endFollowers();
    await h.cleanup();
  }
});

test('logs -f follows across owners: after an owner SIGKILL it waits, then goes on from the exact line', async () => {
  const h = harness('clilogs-kill');
  try {
    const dir = h.project();
    h.writeStack(dir, stackYaml('num', { n: ['--numbered'] }));
    assert.equal((await h.run(['up'], { cwd: dir })).code, 0);
    const f = follow(h, dir, ['-n', '5', 'n']);
    await waitFor(() => f.lines.length > 500, 20_000, 'lines followed');
    const owner = h.ownerPid()!;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 5000, 'the owner gone');
    await waitFor(() => /owner went away/.test(f.stderr()), 10_000, 'the follower to say so');
    assert.equal(f.child.exitCode, null, 'the follower did not exit');
    const shownWhileAway = f.lines.length;
    // The service keeps writing with no owner; the next owner (started by any verb) adopts it.
    await waitFor(() => fileCount(h.dir.logFile('num', 'n'), /^line /) > (f.lines.at(-1) ? Number(/\d+/.exec(f.lines.at(-1)!.text)![0]) : 0) + 2000, 20_000, 'more lines written meanwhile');
    assert.equal((await h.run(['status'], { cwd: dir })).code, 0);
    await waitFor(() => f.lines.length > shownWhileAway + 3000, 30_000, 'lines from the next owner');
    assert.equal(await end(f), 0, f.stderr());
    assert.equal(f.stderr().match(/owner went away/g)?.length, 1, `said once: ${f.stderr()}`);
    const nums = f.lines.map((l) => Number(/^line (\d+)$/.exec(l.text)![1]));
    const bad = nums.findIndex((n, i) => i > 0 && n !== nums[i - 1]! + 1);
    assert.equal(bad, -1, `consecutive across the owner change, none lost or repeated: ${nums.slice(Math.max(0, bad - 3), bad + 3).join(' ')}`);
  } finally {
    await endFollowers();
    await h.cleanup();
  }
});

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

test('a 200 MB line without a newline: the owner stays bounded and the follower gets capped pieces', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const h = harness('clilogs-huge');
  const SIZE = 200 << 20;
  try {
    const dir = h.project();
    const trigger = join(dir, 'go');
    h.writeStack(dir, stackYaml('huge', { big: ['--huge', String(SIZE), '--trigger', trigger] }));
    assert.equal((await h.run(['daemon', 'start'])).code, 0);
    const owner = h.ownerPid()!;
    const before = rssMiB(owner);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stderr);
    const f = follow(h, dir, ['-n', '10', 'big']);
    // The follower is there (its history has the service's first line) before the service writes the huge line.
    await waitFor(() => f.lines.some((l) => l.text === 'ready'), 20_000, 'the follower');
    writeFileSync(trigger, '');
    let peak = 0;
    await waitFor(
      () => {
        peak = Math.max(peak, rssMiB(owner));
        // Generous: the owner reads 8 MiB/s and keeps at most a 16 KiB piece of an unfinished line.
        assert.ok(peak - before < 250, `owner RSS ${before.toFixed(0)} MiB -> ${peak.toFixed(0)} MiB while the line was written`);
        return f.lines.some((l) => l.text === 'end');
      },
      120_000,
      'the line to end',
    );
    assert.equal(await end(f), 0, f.stderr());
    console.log(`# owner RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB while following a ${SIZE >> 20} MiB line`);
    const pieces = f.lines.filter((l) => l.text.startsWith('x'));
    assert.ok(pieces.every((p) => p.text.length <= LINE_CAP_BYTES), `every piece within ${LINE_CAP_BYTES} bytes`);
    const total = pieces.reduce((n, p) => n + p.text.length, 0);
    assert.ok(pieces.length >= 2 && total <= SIZE, `in pieces (${pieces.length}, ${total} bytes)`);
    // All of it, unless this follower fell behind by more than the owner keeps queued; then it is told, never silently.
    assert.ok(total === SIZE || /were left out/.test(f.stderr()), `${total} of ${SIZE} bytes, and the follower said: ${f.stderr()}`);
  } finally {
    await endFollowers();
    await h.cleanup();
  }
});
