// What a log line says of its time (LogLine.at), never invented: a line the
// owner reads as it arrives carries the time it was read; a line read back
// from a file carries its own timestamp where it starts with one, and no time
// otherwise; history reaches back through every kept rotation, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataDir } from '../../electron/engine/state/paths.js';
import { LogHub } from '../../electron/engine/logs/log-hub.js';
import { rotateLog } from '../../electron/engine/logs/log-files.js';
import type { LogLine } from '../../shared/api.js';
import { tempHome, waitFor } from '../helpers/env.js';

test('history: the line\'s own timestamp or none; live lines: the time the owner read them', async () => {
  const { home, cleanup } = tempHome('logtimes');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 20);
  try {
    const file = dir.logFile('s', 'a');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '2026-11-22T01:02:03.456Z stamped\nplain old line\n');
    // A file last written long ago: an estimate from its dates must not show up as a time.
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(file, old, old);
    // In file order, whatever the times say (the estimate for the plain line, from the file's dates, is earlier).
    const history = hub.read('s', ['a'], { lines: 10 });
    assert.deepEqual(
      history.map((l) => [l.text, l.at, l.stamped]),
      [
        ['2026-11-22T01:02:03.456Z stamped', Date.parse('2026-11-22T01:02:03.456Z'), true],
        ['plain old line', undefined, undefined],
      ],
    );

    const got: LogLine[] = [];
    const off = hub.follow('s', ['a'], (b) => got.push(...b.lines), { history: { lines: 10 } });
    assert.deepEqual(got.map((l) => l.at), [Date.parse('2026-11-22T01:02:03.456Z'), undefined], 'the first batch is history: the same times');
    const before = Date.now();
    appendFileSync(file, 'arrives now\n2026-11-22T05:00:00Z stamped live\n');
    await waitFor(() => got.length === 4, 5000, 'the live lines');
    const after = Date.now();
    off();
    const live = got[2]!;
    assert.equal(live.text, 'arrives now');
    assert.ok(live.at !== undefined && live.at >= before && live.at <= after, `read at ${live.at}, written between ${before} and ${after}`);
    assert.equal(live.stamped, undefined);
    assert.ok(live.ts >= live.at!, 'its order key is not before its time');
    assert.deepEqual([got[3]!.at, got[3]!.stamped], [Date.parse('2026-11-22T05:00:00Z'), true]);
  } finally {
    hub.close();
    cleanup();
  }
});

test('history reaches back through every kept rotation, oldest first, each line once', async () => {
  const { home, cleanup } = tempHome('logrotations');
  const dir = new DataDir(home);
  const hub = new LogHub(dir, 20);
  try {
    const file = dir.logFile('s', 'a');
    mkdirSync(dirname(file), { recursive: true });
    const expected: string[] = [];
    // Three runs, each rotated at the next start (as the supervisor does): .log.2, .log.1, then the current file.
    for (let run = 1; run <= 3; run++) {
      if (run > 1) rotateLog(file);
      const lines = Array.from({ length: 50 }, (_, i) => `run ${run} line ${i}`);
      appendFileSync(file, lines.join('\n') + '\n');
      expected.push(...lines);
    }
    const all = hub.read('s', ['a'], { lines: 1000 });
    assert.deepEqual(all.map((l) => l.text), expected);
    assert.ok(all.every((l, i) => i === 0 || l.seq > all[i - 1]!.seq), 'positions increase across files');
    // Older history behind what a view holds, as the window asks for it.
    const tail = hub.read('s', ['a'], { lines: 60 });
    const older = hub.read('s', ['a'], { lines: 1000, before: { a: tail[0]!.seq } });
    assert.deepEqual([...older, ...tail].map((l) => l.text), expected);
  } finally {
    hub.close();
    cleanup();
  }
});
