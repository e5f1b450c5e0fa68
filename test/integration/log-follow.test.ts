// Following a log with its history first: the seam between the two, against a
// real writer process appending as fast as it can. Every follower must see
// consecutive lines: none twice, none missing, a line never cut in two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataDir } from '../../electron/engine/state/paths.js';
import { LogHub } from '../../electron/engine/logs/log-hub.js';
import type { LogLine } from '../../shared/api.js';
import { tempHome, waitFor, isLive } from '../helpers/env.js';

test('history then live lines: an unfinished last line is delivered once, whole', async () => {
  const { home, cleanup } = tempHome('logseam');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 20);
  try {
    const file = dir.logFile('s', 'a');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, 'one\ntwo\nthree\nhalf a');
    const got: string[][] = [];
    const off = hub.follow('s', ['a'], (batch) => got.push(batch.lines.map((l) => l.text)), { history: { lines: 2 } });
    assert.deepEqual(got, [['two', 'three']], 'the history, without the unfinished line');
    appendFileSync(file, ' line\nfour\n');
    await waitFor(() => got.flat().includes('four'), 5000, 'the rest');
    off();
    assert.deepEqual(got.flat(), ['two', 'three', 'half a line', 'four']);
  } finally {
    hub.close();
    cleanup();
  }
});

test('followers that join while a writer appends see every line exactly once', async () => {
  const { home, cleanup } = tempHome('logseam');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 20);
  const file = dir.logFile('s', 'w');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
  // Appends numbered lines in small bursts, each burst one write (so one read can end mid-burst).
  const writer = spawn(
    process.execPath,
    ['-e', `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(file)},'a');let n=0;setInterval(()=>{let s='';for(let i=0;i<7;i++)s+='line '+(n++)+'\\n';fs.writeSync(fd,s)},1)`],
    { stdio: 'ignore' },
  );
  const followers: { lines: LogLine[]; off: () => void }[] = [];
  try {
    await waitFor(() => hub.read('s', ['w'], { lines: 1 }).length > 0, 10_000, 'the writer to start');
    for (let i = 0; i < 25; i++) {
      // Join at varied moments, some between polls, some right after one.
      await new Promise((r) => setTimeout(r, 3 + ((i * 7) % 23)));
      const f: { lines: LogLine[]; off: () => void } = { lines: [], off: () => {} };
      f.off = hub.follow('s', ['w'], (batch) => f.lines.push(...batch.lines), { history: { lines: 3 } });
      followers.push(f);
    }
    const last = followers[followers.length - 1]!;
    await waitFor(() => last.lines.length > 200, 10_000, 'the last follower to get lines');
    for (const [i, f] of followers.entries()) {
      f.off();
      const nums = f.lines.map((l) => {
        const m = /^line (\d+)$/.exec(l.text);
        assert.ok(m, `follower ${i}: a whole line, got ${JSON.stringify(l.text)}`);
        return Number(m[1]);
      });
      const firstBad = nums.findIndex((n, k) => k > 0 && n !== nums[k - 1]! + 1);
      assert.equal(firstBad, -1, `follower ${i}: consecutive lines, but ${nums.slice(Math.max(0, firstBad - 3), firstBad + 3).join(' ')}`);
      assert.ok(nums.length >= 3, `follower ${i}: its history`);
    }
  } finally {
    writer.kill('SIGKILL');
    await waitFor(() => !isLive(writer.pid!), 5000, 'the writer to end');
    hub.close();
    cleanup();
  }
});
