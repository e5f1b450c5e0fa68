// A checkout whose build is missing (an install that skipped `prepare`, a
// `git clean`): `corral` and `corral ui` say which file is missing, where, and
// the command to run there, instead of a stack trace or a path that does not
// exist. The checkout is a copy in a folder whose name needs quoting in a shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { harness } from './cli-harness.js';
import { REPO_ROOT, tempHome } from '../helpers/env.js';

/** A copy of the package's runtime files (bin/, package.json, stacks/ and, if asked, the CLI bundle); never renderer/dist. */
function checkout(home: string, withCli: boolean): string {
  const root = join(home, "bob's checkout");
  mkdirSync(root);
  for (const part of ['bin', 'package.json', 'stacks']) cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true });
  if (withCli) cpSync(join(REPO_ROOT, 'dist', 'cli'), join(root, 'dist', 'cli'), { recursive: true });
  return realpathSync(root);
}

const quoted = (path: string): string => `'${path.replaceAll("'", `'\\''`)}'`;

test('without the CLI build, `corral --help` names the missing file and the command to run in that checkout', async () => {
  const tmp = tempHome('not-built');
  try {
    const root = checkout(tmp.home, false);
    const h = harness('not-built', { cli: join(root, 'bin', 'corral.js') });
    try {
      const r = await h.run(['--help']);
      assert.equal(r.code, 4, r.stderr);
      assert.ok(r.stderr.includes(`${join(root, 'dist', 'cli', 'main.js')} is missing`), r.stderr);
      assert.ok(r.stderr.includes(`\`cd ${quoted(root)} && npm run build\``), r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(h.ownerPid(), null, 'no owner was started');
    } finally {
      await h.cleanup();
    }
  } finally {
    tmp.cleanup();
  }
});

test('without the renderer build, `corral ui` names the missing file and the command to run in that checkout', async () => {
  const tmp = tempHome('no-renderer');
  try {
    const root = checkout(tmp.home, true);
    const h = harness('no-renderer', { cli: join(root, 'bin', 'corral.js') });
    try {
      assert.equal((await h.run(['--help'])).code, 0, 'the CLI bundle runs from the copy');
      const r = await h.run(['ui', '--no-open']);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(`${join(root, 'renderer', 'dist', 'index.html')} is missing`), r.stderr);
      assert.ok(r.stderr.includes(`\`cd ${quoted(root)} && npm run build:renderer\``), r.stderr);
      // The owner that `ui` started is this copy's, and it keeps running.
      assert.notEqual(h.ownerPid(), null);
    } finally {
      await h.cleanup();
    }
  } finally {
    tmp.cleanup();
  }
});
