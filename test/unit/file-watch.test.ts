// What a service's `watch` ignores (electron/engine/file-watch.ts): version
// control, dependencies, and the files editors write beside the one saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TreeWatch, ignoredPath, shownPath } from '../../electron/engine/file-watch.js';
import { tempHome, waitFor } from '../helpers/env.js';

test('.git, node_modules and editor temporary files are ignored; sources are not', () => {
  for (const p of ['.git/HEAD', 'node_modules/x/index.js', 'a/node_modules/b.js', 'src/.server.js.swp', 'src/.server.js.swx', 'server.js~', '.#server.js', '#server.js#', '4913', 'x.js___jb_tmp___', '.DS_Store']) {
    assert.equal(ignoredPath(p), true, p);
  }
  for (const p of ['server.js', 'src/routes/a.ts', '.env', 'config.json', 'gitignore', 'modules/x.js', 'a#b.js']) assert.equal(ignoredPath(p), false, p);
});

test('a changed file is named relative to the service directory when below it', () => {
  assert.equal(shownPath('/p/app/src/server.js', '/p/app'), 'src/server.js');
  assert.equal(shownPath('/p/shared/lib.js', '/p/app'), '/p/shared/lib.js');
  assert.equal(shownPath('/p/app/src', '/p/app'), 'src');
  assert.equal(shownPath('/p/app', '/p/app'), '.');
  assert.equal(shownPath('/p/app/..x/a.js', '/p/app'), '..x/a.js');
});

/** A TreeWatch over `paths` recording its bursts and problems; `watched()` is how many directories it watches. */
function recorder(paths: string[]) {
  const bursts: string[][] = [];
  const problems: string[] = [];
  const tw = new TreeWatch(paths, { debounceMs: 150, onChange: (f) => bursts.push(f), onProblem: (m) => problems.push(m) });
  const internals = tw as unknown as { watchers: Map<string, unknown>; waiting: Map<string, unknown> };
  return { tw, bursts, problems, watched: () => internals.watchers.size, waiting: () => internals.waiting.size };
}

test('a watched directory deleted and created again (a branch switch, a build tool) is watched again: the path, not the inode', async () => {
  const { home: dir, cleanup } = tempHome('file-watch');
  const src = join(dir, 'src');
  mkdirSync(join(src, 'lib'), { recursive: true });
  const r = recorder([src]);
  try {
    await waitFor(() => r.watched() === 2, 5000, 'the watch');
    // Replaced at once: one burst naming the directory itself (not src/src).
    rmSync(src, { recursive: true });
    mkdirSync(src);
    writeFileSync(join(src, 'm.js'), 'x\n');
    await waitFor(() => r.bursts.length >= 1, 5000, 'the replaced directory');
    assert.ok(r.bursts.flat().includes(src), JSON.stringify(r.bursts));
    assert.ok(!r.bursts.flat().includes(join(src, 'src')), JSON.stringify(r.bursts));
    await waitFor(() => r.watched() === 1, 5000, 'the new directory watched');
    await sleep(400);
    const n = r.bursts.length;
    appendFileSync(join(src, 'm.js'), 'y\n');
    await waitFor(() => r.bursts.length === n + 1, 5000, 'a change in the new directory');
    assert.deepEqual(r.bursts.at(-1), [join(src, 'm.js')]);

    // Renamed away, then a new one: gone is said once; the return is a change, and it is watched again.
    renameSync(src, join(dir, 'src.old'));
    await waitFor(() => r.problems.some((m) => m.includes('is gone')), 5000, 'the gone message');
    assert.deepEqual(r.problems, [`${src} is gone; watching for it to come back`]);
    await waitFor(() => r.waiting() === 1, 5000, 'the wait on its parent');
    const gone = r.bursts.length;
    writeFileSync(join(dir, 'src.old', 'm.js'), 'old copy\n');
    mkdirSync(src);
    await waitFor(() => r.bursts.length > gone && r.bursts.at(-1)!.includes(src), 5000, 'the return');
    await waitFor(() => r.watched() === 1 && r.waiting() === 0, 5000, 'watched again');
    await sleep(400);
    const back = r.bursts.length;
    writeFileSync(join(src, 'n.js'), 'n\n');
    await waitFor(() => r.bursts.length === back + 1, 5000, 'a change after the return');
    assert.deepEqual(r.bursts.at(-1), [join(src, 'n.js')]);
    assert.ok(!r.bursts.flat().some((f) => f.startsWith(join(dir, 'src.old'))), 'the renamed copy is not watched');
    assert.equal(r.problems.length, 2, r.problems.join('\n'));
    assert.match(r.problems[1]!, /src is back; watched again/);
  } finally {
    r.tw.close();
    cleanup();
  }
});

test('a watched path whose parents go too is waited for from the nearest existing one, down as they come back', async () => {
  const { home: dir, cleanup } = tempHome('file-watch');
  const deep = join(dir, 'a', 'b', 'src');
  const file = join(dir, 'c', 'config.json');
  mkdirSync(deep, { recursive: true });
  mkdirSync(join(dir, 'c'));
  writeFileSync(file, '{}');
  const r = recorder([deep, file]);
  try {
    await waitFor(() => r.watched() === 2, 5000, 'the watch');
    rmSync(join(dir, 'a'), { recursive: true });
    rmSync(join(dir, 'c'), { recursive: true });
    await waitFor(() => r.waiting() === 2, 5000, 'both waited for');
    await sleep(400);
    const before = r.bursts.length;
    mkdirSync(join(dir, 'a'));
    await sleep(200);
    mkdirSync(join(dir, 'a', 'b'));
    await sleep(200);
    assert.equal(r.waiting(), 2);
    mkdirSync(deep);
    writeFileSync(join(deep, 'x.js'), 'x\n');
    mkdirSync(join(dir, 'c'));
    writeFileSync(file, '{"a":1}');
    await waitFor(() => r.waiting() === 0 && r.watched() === 2, 5000, 'both watched again');
    await waitFor(() => r.bursts.length > before && r.bursts.slice(before).flat().includes(deep) && r.bursts.slice(before).flat().includes(file), 5000, 'the returns counted');
    await sleep(400);
    const n = r.bursts.length;
    writeFileSync(file, '{"a":2}');
    await waitFor(() => r.bursts.length === n + 1, 5000, 'the file watched again');
    assert.deepEqual(r.bursts.at(-1), [file]);
    assert.deepEqual(r.problems.filter((m) => m.includes('is gone')).length, 2, r.problems.join('\n'));
  } finally {
    r.tw.close();
    cleanup();
  }
});

test('a subdirectory replaced at once is watched again', async () => {
  const { home: dir, cleanup } = tempHome('file-watch');
  const src = join(dir, 'src');
  mkdirSync(join(src, 'lib', 'deep'), { recursive: true });
  const r = recorder([src, src]);
  try {
    assert.deepEqual(r.tw.paths, [src], 'a path listed twice is watched once');
    await waitFor(() => r.watched() === 3, 5000, 'the watch');
    rmSync(join(src, 'lib'), { recursive: true });
    mkdirSync(join(src, 'lib'));
    await waitFor(() => r.bursts.length >= 1, 5000, 'the replaced directory');
    await waitFor(() => r.watched() === 2, 5000, 'the new lib watched');
    await sleep(400);
    const n = r.bursts.length;
    writeFileSync(join(src, 'lib', 'x.js'), 'x\n');
    await waitFor(() => r.bursts.length === n + 1, 5000, 'a change in the new lib');
    assert.deepEqual(r.bursts.at(-1), [join(src, 'lib', 'x.js')]);
    assert.deepEqual(r.problems, []);
  } finally {
    r.tw.close();
    cleanup();
  }
});

test('a watched file is seen through its directory: replaced by rename (as editors save) or written; its siblings are not', async () => {
  const { home: dir, cleanup } = tempHome('file-watch');
  const file = join(dir, 'config.json');
  writeFileSync(file, '{}');
  const bursts: string[][] = [];
  const problems: string[] = [];
  const tw = new TreeWatch([file], { debounceMs: 100, onChange: (f) => bursts.push(f), onProblem: (m) => problems.push(m) });
  try {
    await waitFor(() => (tw as unknown as { watchers: Map<string, unknown> }).watchers.size === 1, 5000, 'the watch');
    writeFileSync(join(dir, 'other.json'), '{}');
    writeFileSync(join(dir, 'config.json.swp'), 'x');
    await sleep(600);
    assert.deepEqual(bursts, [], 'a sibling is not the watched file');
    writeFileSync(join(dir, '.config.json.tmp'), '{"a":1}');
    renameSync(join(dir, '.config.json.tmp'), file);
    await waitFor(() => bursts.length === 1, 5000, 'the replaced file');
    assert.deepEqual(bursts[0], [file]);
    writeFileSync(file, '{"a":2}');
    await waitFor(() => bursts.length === 2, 5000, 'the written file, still watched after the rename');
    assert.deepEqual(problems, []);
  } finally {
    tw.close();
    cleanup();
  }
});

test('a watched path that does not exist is said, not thrown, and waited for', async () => {
  const problems: string[] = [];
  const tw = new TreeWatch(['/nonexistent/corral-watch'], { onChange: () => {}, onProblem: (m) => problems.push(m) });
  await waitFor(() => problems.length === 1, 5000, 'the problem');
  assert.equal(problems[0], '/nonexistent/corral-watch is gone; watching for it to come back');
  tw.close();
});
