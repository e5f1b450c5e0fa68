// Bad stack files through the real CLI: each gets one clear error (exit 3,
// the file and, where it has one, the line), bounded output and no stack
// trace, and nothing else happens: the running services of another stack are
// untouched. Also: a working directory that disappears after `up`, and
// `doctor` on shell commands and on one named file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { harness, svcYaml, type StackJson } from './cli-harness.js';
import { isLive } from '../helpers/env.js';

const MAX_OUTPUT = 4096;

/** `n` bytes of a fixed pseudo-random sequence (xorshift32): noise that is the same in every run. */
function noise(n: number, seed = 0x2545f491): Buffer {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

test('F28-F33 hostile stack files: exit 3 with file and line, bounded output, no stack trace, another stack untouched', async () => {
  const h = harness('cli-hostile');
  try {
    const keepDir = h.project('keep');
    h.writeStack(keepDir, `version: 1\nname: keep\nservices:\n${svcYaml('keep', ['--tick', '1000'])}`);
    const up = await h.run(['up'], { cwd: keepDir });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const [before] = await h.json<StackJson[]>(['status'], { cwd: keepDir });
    const keepPid = before!.services[0]!.pid!;
    const owner = h.ownerPid();

    const dir = h.project('hostile');
    const file = (name: string, content: string | Buffer) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    };
    const head = 'version: 1\nname: hostile\n';
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const n of 'bcdef') levels.push(`${n}: &${n} [${Array(10).fill(`*${String.fromCharCode(n.charCodeAt(0) - 1)}`).join(',')}]`);
    const secret = file('id_ed25519', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n');
    const directory = join(dir, 'a-directory.yaml');
    mkdirSync(directory);
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const unreadable = file('unreadable.yaml', `${head}services: {}\n`);
    chmodSync(unreadable, 0o000);
    const asRoot = process.getuid?.() === 0;

    // [file, where the error must point (file:line, or the file alone when it has no line), what it says]
    const cases: [string, string, RegExp][] = [];
    const add = (name: string, content: string | Buffer, line: number | null, says: RegExp) => {
      const p = file(name, content);
      cases.push([p, line === null ? `${p}: ` : `${p}:${line}:`, says]);
    };
    add('alias-bomb.yaml', `${head}${levels.join('\n')}\nservices:\n  x:\n    command: [*f]\n`, 5, /YAML aliases expand to too much data/);
    add('deep.yaml', `${head}services:\n  a:\n    command: x\n    env: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 6, /nested more than 256 deep/);
    add('deep-block.yaml', `${head}services:\n  a:\n    command: x\n    env:\n${Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i + 3)}k${i}:`).join('\n')} x\n`, 36, /Nested more than 32 levels/);
    add('huge-scalar.yaml', `${head.replace('hostile', 'x'.repeat(900_000))}services:\n  a:\n    command: x\n`, 2, /Invalid stack name "x{80}"… \(899920 more characters\)/);
    add('too-large.yaml', `${head}# ${'x'.repeat(20 << 20)}\n`, null, /larger than 1 MiB/);
    add('garbage.yaml', Buffer.concat([Buffer.from(`${head}\u001b]0;owned\u0007\u001b[2J`), Buffer.from([0]), randomBytes(64 << 10)]), 3, /This file holds binary data \(a NUL byte\), not YAML text/);
    // Fixed bytes that look random: which line a parser reports first depends on them (random ones made this fail
    // now and then with a line-6 error), and a test must give the same answer every time.
    add('binary-yaml.yaml', Buffer.concat([Buffer.from(`${head}services:\n  \u001b]0;owned\u0007\u009b2J: {}\n`), noise(4096).filter((b) => b !== 0)]), 5, /YAML syntax error|Invalid service name/);
    const envSecret = file('env-secret.yaml', `${head}services:\n  a:\n    command: x\n    env_file: ${secret}\n`);
    cases.push([envSecret, `${secret}:1:`, /services\.a\.env_file: Expected KEY=VALUE on each line of an env file; line 1 is not \(its text is not shown/]);
    add('ten-thousand.yaml', `${head}services:\n${Array.from({ length: 10_000 }, (_, i) => `  s${i}:\n    command: [sleep, "1000"]\n`).join('')}`, 3, /10000 services: a stack has at most 1000/);
    add('dev-zero-env.yaml', `${head}services:\n  a:\n    command: x\n    env_file: /dev/zero\n`, 6, /found a device/);
    cases.push([directory, `${directory}: `, /No corral\.yaml in this directory/]);
    cases.push([fifo, `${fifo}: `, /found a named pipe/]);
    cases.push([unreadable, asRoot ? `${unreadable}:3:` : `${unreadable}: `, asRoot ? /at least one service/ : /permission denied/]);

    for (const [path, where, says] of cases) {
      const r = await h.run(['up', '-f', path], { timeoutMs: 120_000 });
      const output = r.stdout + r.stderr;
      const shown = output.slice(0, 600);
      assert.equal(r.code, 3, `${path}: ${shown}`);
      assert.ok(output.length < MAX_OUTPUT, `${path}: ${output.length} bytes of output: ${shown}`);
      const where2 = where.replace(/^.*\//, '');
      assert.ok(r.stderr.includes(`corral up: ${where}`), `${path}: expected "${where2}" in ${shown}`);
      assert.match(r.stderr, says, path);
      assert.doesNotMatch(output, /unexpected error|\n\s+at .*:\d+:\d+\)?\n/, `${path}: no stack trace: ${shown}`);
      assert.doesNotMatch(output, /PRIVATE KEY|b3BlbnNz/, 'env file contents are never printed');
      assert.deepEqual([...output].filter((c) => c === '\u001b' || c === '\u0007'), [], `${path}: no control characters reach the terminal`);
    }

    // Nothing else happened: the same owner, the same instance of the other stack, no new stack.
    assert.equal(h.ownerPid(), owner);
    assert.ok(isLive(keepPid));
    const after = await h.json<StackJson[]>(['status', '-s', 'keep']);
    assert.deepEqual(after.map((s) => [s.name, s.services.map((x) => [x.state, x.pid])]), [['keep', [['running', keepPid]]]]);
    assert.deepEqual((await h.json<{ name: string }[]>(['stacks'])).map((s) => s.name), ['keep']);
  } finally {
    await h.cleanup();
  }
});

test('F34 a working directory that is missing is named with its line: when the file is read, and at a start after it disappeared', async () => {
  const h = harness('cli-cwd');
  try {
    const dir = h.project();
    mkdirSync(join(dir, 'work'));
    const file = h.writeStack(dir, `version: 1\nname: cwd\nservices:\n${svcYaml('a', ['--tick', '1000'], '    cwd: ./work\n', '{ policy: never }')}`);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stderr + up.stdout);

    rmdirSync(join(dir, 'work'));
    const restart = await h.run(['restart', 'a'], { cwd: dir });
    assert.equal(restart.code, 1, restart.stdout + restart.stderr);
    assert.ok(restart.stdout.includes(`working directory ${join(dir, 'work')} (\`cwd\` at ${file}:9) does not exist: create it, or fix \`cwd\``), restart.stdout);
    assert.doesNotMatch(restart.stdout + restart.stderr, /command not found/);

    const again = await h.run(['up'], { cwd: dir });
    assert.equal(again.code, 3, again.stdout + again.stderr);
    assert.ok(again.stderr.includes(`${file}:9:10: services.a.cwd: Working directory ${join(dir, 'work')} does not exist`), again.stderr);
  } finally {
    await h.cleanup();
  }
});

test('F36 doctor: shell syntax is not taken for a program; -f checks that file alone, and an invalid one is exit 3', async () => {
  const h = harness('cli-doctor-shell');
  try {
    const other = h.project('other');
    h.writeStack(other, `version: 1\nname: other\nservices:\n${svcYaml('o', ['--tick', '1000'])}  missing:\n    command: [no-such-program-corral-test]\n    restart: { policy: never }\n`);
    assert.equal((await h.run(['up', 'o'], { cwd: other })).code, 0);

    const dir = h.project('shell');
    const shell = h.writeStack(
      dir,
      `version: 1
name: shell
services:
  while: { command: "while true; do sleep 1; done" }
  for: { command: "for i in 1 2; do echo $i; done" }
  if: { command: "if [ -f /x ]; then exec sleep 1; fi" }
  test: { command: "[ -d /tmp ] && exec sleep 1" }
  group: { command: "{ sleep 1; }" }
  subshell: { command: "(sleep 1)" }
  export: { command: "export A=1 && exec no-such-program-in-shell --flag" }
  cd: { command: "cd /tmp && exec sleep 100" }
  var: { command: "$HOME/bin/thing" }
`,
      'shell.yaml',
    );
    const r = await h.run(['doctor', '-f', shell, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const findings = JSON.parse(r.stdout) as { level: string; topic: string; subject: string; message: string }[];
    const binary = findings.filter((f) => f.topic === 'binary').map((f) => `${f.level} ${f.subject}: ${f.message}`);
    assert.deepEqual(binary, [
      'ok shell/while: `while` is shell syntax: the programs it runs are not checked',
      'ok shell/for: `for` is shell syntax: the programs it runs are not checked',
      'ok shell/if: `if` is shell syntax: the programs it runs are not checked',
      'ok shell/group: `{` is shell syntax: the programs it runs are not checked',
      'ok shell/subshell: `(sleep` is shell syntax: the programs it runs are not checked',
      'error shell/export: `no-such-program-in-shell` is not on PATH',
      'ok shell/var: `$HOME/bin/thing` is only known when the shell runs it: not checked',
    ]);
    // Only that file: the registered stack `other` (whose program is missing) is not reported.
    assert.deepEqual(findings.filter((f) => /other/.test(f.subject + f.message)), []);

    // Without -f, every registered stack is checked.
    const all = await h.run(['doctor', '--json']);
    assert.ok((JSON.parse(all.stdout) as { subject: string }[]).some((f) => f.subject === 'other/missing'), all.stdout);

    const broken = h.writeStack(dir, 'version: 1\nname: broken\nservices:\n  api:\n    command: x\n  health:\n    http: { url: "http://x" }\n', 'broken.yaml');
    const bad = await h.run(['doctor', '-f', broken]);
    assert.equal(bad.code, 3, bad.stdout + bad.stderr);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim(), `corral doctor: ${broken}:6:3: services.health: \`health\` at line 6 is indented as a service of its own, but it is a service field: indent it under \`api\``);
  } finally {
    await h.cleanup();
  }
});
