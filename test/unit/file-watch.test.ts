// What a service's `watch` ignores (electron/engine/file-watch.ts): version
// control, dependencies, and the files editors write beside the one saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
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

test('a watched path that does not exist is said, not thrown', async () => {
  const problems: string[] = [];
  const tw = new TreeWatch(['/nonexistent/corral-watch'], { onChange: () => {}, onProblem: (m) => problems.push(m) });
  await waitFor(() => problems.length === 1, 5000, 'the problem');
  assert.match(problems[0]!, /watched path \/nonexistent\/corral-watch does not exist/);
  tw.close();
});
