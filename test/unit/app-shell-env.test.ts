import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loginShellInvocation, mergeShellEnv, newMarker, parseShellEnv, readLoginShellEnv, shellCommand } from '../../electron/app/shell-env.js';
import { tempHome } from '../helpers/env.js';

const M = '__CORRAL_ENV_0123456789abcdef__';

test('NUL-separated output: exact values, multi-line included; noise around the markers ignored', () => {
  const out = `Last login: Mon\nWelcome to fish!\n${M}PATH=/opt/homebrew/bin:/usr/bin\0GREETING=hello\nworld\0EMPTY=\0EQ=a=b\0BASH_FUNC_f%%=() {  echo hi\n}\0${M}\nlogout\n`;
  assert.deepEqual(parseShellEnv(out, M), { PATH: '/opt/homebrew/bin:/usr/bin', GREETING: 'hello\nworld', EMPTY: '', EQ: 'a=b' });
});

test('newline-separated fallback (env without -0): continuation lines join the previous value', () => {
  const out = `motd\n${M}PATH=/usr/local/bin:/usr/bin\nMULTI=line one\nline two\nBASH_FUNC_f%%=() {  echo hi\n}\nLANG=en_US.UTF-8\n${M}`;
  assert.deepEqual(parseShellEnv(out, M), { PATH: '/usr/local/bin:/usr/bin', MULTI: 'line one\nline two', LANG: 'en_US.UTF-8' });
});

test('missing markers mean no result, not a wrong one', () => {
  assert.equal(parseShellEnv('PATH=/usr/bin\n', M), null);
  assert.equal(parseShellEnv(`${M}PATH=/usr/bin\n`, M), null, 'cut off before the end marker');
});

test('the command never contains the marker whole, so an echoed command line cannot fake it', () => {
  const marker = newMarker();
  assert.match(marker, /^__CORRAL_ENV_[0-9a-f]{16}__$/);
  const cmd = shellCommand(marker);
  assert.equal(cmd.includes(marker), false);
  assert.match(cmd, /env -0 \|\| env/);
});

test('merge: login PATH first, then what only the app had; the app\'s own variables win; session variables dropped', () => {
  const merged = mergeShellEnv(
    { PATH: '/usr/bin:/bin:/app/bin', HOME: '/Users/me', FOO: 'from-app', ELECTRON_RUN_AS_NODE: undefined },
    { PATH: '/opt/homebrew/bin:/Users/me/.local/bin:/usr/bin:/bin', FOO: 'from-shell', JAVA_HOME: '/jdk', PWD: '/Users/me', SHLVL: '2', _: '/usr/bin/env', ELECTRON_NO_ASAR: '1' },
  );
  assert.equal(merged.PATH, '/opt/homebrew/bin:/Users/me/.local/bin:/usr/bin:/bin:/app/bin');
  assert.equal(merged.FOO, 'from-app');
  assert.equal(merged.JAVA_HOME, '/jdk');
  for (const k of ['PWD', 'SHLVL', '_', 'ELECTRON_NO_ASAR', 'ELECTRON_RUN_AS_NODE']) assert.equal(k in merged, false, k);
  assert.equal(mergeShellEnv({ PATH: '/usr/bin' }, {}).PATH, '/usr/bin', 'no login PATH: keep ours');
});

test('a real login shell: /bin/sh -ilc prints an environment we can read', async () => {
  const r = await readLoginShellEnv({ shell: '/bin/sh', env: { ...process.env, FROM_TEST: 'a\nb' }, timeoutMs: 10_000 });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.ok(r.env.PATH && r.env.PATH.length > 0);
  assert.equal(r.env.FROM_TEST, 'a\nb');
});

test('bash and zsh, where installed', async (t) => {
  for (const shell of ['/bin/bash', '/usr/bin/zsh', '/bin/zsh']) {
    if (!existsSync(shell)) {
      t.diagnostic(`${shell} not installed`);
      continue;
    }
    const r = await readLoginShellEnv({ shell, timeoutMs: 10_000 });
    assert.ok(r.ok, r.ok ? '' : `${shell}: ${r.reason}`);
  }
});

function fakeShell(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('a shell whose profile prints around the output, or adds to PATH, is read correctly', async (t) => {
  const { home, cleanup } = tempHome('shellenv');
  t.after(cleanup);
  // Behaves like a login shell whose rc prints a banner and extends PATH, then runs the command.
  const shell = fakeShell(home, 'fancysh', 'echo "Welcome!"; export PATH="/opt/custom/bin:$PATH"; shift; /bin/sh -c "$1"; echo "bye"');
  const r = await readLoginShellEnv({ shell, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000 });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(r.env.PATH, '/opt/custom/bin:/usr/bin:/bin');
});

test('a hanging profile is cut off at the bound; a broken shell is reported; neither throws', async (t) => {
  const { home, cleanup } = tempHome('shellenv');
  t.after(cleanup);
  const slow = fakeShell(home, 'slowsh', 'exec sleep 30');
  const started = Date.now();
  const r = await readLoginShellEnv({ shell: slow, timeoutMs: 300 });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.reason, /did not finish within 300 ms/);
  assert.ok(Date.now() - started < 5000);
  const silent = await readLoginShellEnv({ shell: fakeShell(home, 'silentsh', 'exit 3'), timeoutMs: 5000 });
  assert.match(silent.ok ? '' : silent.reason, /exited with 3 without printing its environment/);
  const missing = await readLoginShellEnv({ shell: join(home, 'nope'), timeoutMs: 5000 });
  assert.match(missing.ok ? '' : missing.reason, /could not run/);
  const nu = await readLoginShellEnv({ shell: '/usr/bin/nu' });
  assert.match(nu.ok ? '' : nu.reason, /not a POSIX-like shell/);
});

test('tcsh and csh: a login shell by argv0 (-tcsh) with -i -c, since they refuse -l with other flags', async (t) => {
  assert.deepEqual(loginShellInvocation('/bin/tcsh', 'env'), { file: '/bin/tcsh', args: ['-i', '-c', 'env'], argv0: '-tcsh' });
  assert.deepEqual(loginShellInvocation('/bin/csh', 'env'), { file: '/bin/csh', args: ['-i', '-c', 'env'], argv0: '-csh' });
  assert.deepEqual(loginShellInvocation('/bin/zsh', 'env'), { file: '/bin/zsh', args: ['-ilc', 'env'] });
  // A stand-in with tcsh's rule: "-l" must be the only flag.
  const { home, cleanup } = tempHome('tcsh');
  t.after(cleanup);
  const tcsh = fakeShell(home, 'tcsh', `case "$1" in -*l*) [ "$1" = "-l" ] || { echo "Unknown option: \\\`-$1'" >&2; exit 1; } ;; esac\n[ "$1" = "-i" ] && [ "$2" = "-c" ] && exec /bin/sh -c "$3"\nexit 1`);
  const r = await readLoginShellEnv({ shell: tcsh, timeoutMs: 10_000 });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.ok(r.env.PATH);
});
