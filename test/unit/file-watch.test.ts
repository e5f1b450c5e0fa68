// What a service's `watch` ignores (electron/engine/file-watch.ts): version
// control, dependencies, and the files editors write beside the one saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ignoredPath, shownPath } from '../../electron/engine/file-watch.js';

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
