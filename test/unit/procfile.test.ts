// Procfile import: every valid line becomes a service of a stack file that
// Corral loads; every invalid line is reported with its number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcfileError, parseProcfile, procfileToStack } from '../../electron/cli/procfile.js';
import { parseStack } from '../../electron/engine/stack-file.js';

const PROCFILE = [
  '# processes of the app',
  'web: bundle exec rails server -p $PORT',
  '',
  'worker:bundle exec sidekiq -q "${QUEUE:-default}"',
  '  release:   ./bin/migrate   ',
  "clock: echo 'tick: 1' # keeps time",
  '',
].join('\n');

test('parseProcfile reads name: command lines and skips comments and blanks', () => {
  assert.deepEqual(parseProcfile(PROCFILE), [
    { name: 'web', command: 'bundle exec rails server -p $PORT', line: 2 },
    { name: 'worker', command: 'bundle exec sidekiq -q "${QUEUE:-default}"', line: 4 },
    { name: 'release', command: './bin/migrate', line: 5 },
    { name: 'clock', command: "echo 'tick: 1' # keeps time", line: 6 },
  ]);
});

test('parseProcfile reports every invalid line with its number', () => {
  const text = ['web: ok', 'just a command', 'web: again', 'bad name: x', 'empty:', '-dash: y'].join('\n');
  assert.throws(
    () => parseProcfile(text, 'app/Procfile'),
    (e: unknown) => {
      assert.ok(e instanceof ProcfileError);
      assert.equal(e.file, 'app/Procfile');
      assert.deepEqual(
        e.problems.map((p) => p.line),
        [2, 3, 4, 5, 6],
      );
      assert.equal(
        e.message,
        [
          'app/Procfile:2: Expected "name: command", got "just a command"',
          'app/Procfile:3: Process "web" is already defined on line 1: rename or remove one',
          'app/Procfile:4: Expected "name: command", got "bad name: x"',
          'app/Procfile:5: Process "empty" has no command: add one after the colon',
          'app/Procfile:6: Invalid process name "-dash": use letters, digits, ".", "_" or "-", starting with a letter or digit',
        ].join('\n'),
      );
      return true;
    },
  );
});

test('an empty Procfile is an error', () => {
  assert.throws(() => parseProcfile('# nothing\n\n'), /Procfile:1: No processes found/);
});

test('procfileToStack produces a stack file Corral loads, one service per process', () => {
  const text = procfileToStack(PROCFILE, 'my-app');
  assert.match(text, /^# Imported from Procfile by Corral/);
  const spec = parseStack(text, '/srv/app/corral.yaml', { env: {} });
  assert.equal(spec.name, 'my-app');
  assert.deepEqual(
    spec.services.map((s) => [s.name, s.command, s.cwd]),
    [
      ['web', ['/bin/sh', '-c', 'bundle exec rails server -p $PORT'], '/srv/app'],
      // ${…} reaches the shell unexpanded: Corral must not expand it at load time.
      ['worker', ['/bin/sh', '-c', 'bundle exec sidekiq -q "${QUEUE:-default}"'], '/srv/app'],
      ['release', ['/bin/sh', '-c', './bin/migrate'], '/srv/app'],
      ['clock', ['/bin/sh', '-c', "echo 'tick: 1' # keeps time"], '/srv/app'],
    ],
  );
});

test('processes that use $PORT get one like foreman gives: base + 100 per process', () => {
  const text = procfileToStack('a: echo\nweb: serve --port ${PORT}\napi: serve -p $PORT\n', 'ports', { basePort: 6000 });
  const spec = parseStack(text, '/srv/corral.yaml', { env: {} });
  const byName = Object.fromEntries(spec.services.map((s) => [s.name, s]));
  assert.deepEqual(byName.a!.env, {});
  assert.deepEqual(byName.a!.ports, []);
  assert.deepEqual(byName.web!.env, { PORT: '6100' });
  assert.deepEqual(byName.web!.ports, [6100]);
  assert.deepEqual(byName.api!.env, { PORT: '6200' });
});

test('procfileToStack can point every service at an env file', () => {
  const text = procfileToStack('web: serve\n', 'app', { envFile: '.env' });
  assert.match(text, /env_file: \.env/);
});

test('procfileToStack rejects a stack name Corral would not accept', () => {
  assert.throws(() => procfileToStack('web: serve\n', 'my app'), /Invalid stack name "my app"/);
});

test('procfileToStack passes Procfile errors through with the file name', () => {
  assert.throws(() => procfileToStack('web serve\n', 'app', { file: 'Procfile.dev' }), /^ProcfileError: Procfile\.dev:1: Expected "name: command"/);
});

test('on macOS, $PORT skips 5000 and 7000 (AirPlay Receiver holds them on macOS 12+), and says so', () => {
  const procfile = 'web: serve -p $PORT\napi: serve -p $PORT\nworker: work\ndocs: serve -p $PORT\n';
  const portsOf = (text: string) => Object.fromEntries(parseStack(text, '/srv/corral.yaml', { env: {} }).services.map((s) => [s.name, s.ports]));
  const linux = procfileToStack(procfile, 'app', { platform: 'linux' });
  assert.deepEqual(portsOf(linux), { web: [5000], api: [5100], worker: [], docs: [5300] });
  assert.doesNotMatch(linux, /AirPlay/);
  const mac = procfileToStack('web: serve -p $PORT\napi: serve -p $PORT\ndocs: serve -p $PORT\n', 'app', { platform: 'darwin', basePort: 6800 });
  assert.deepEqual(portsOf(mac), { web: [6800], api: [6900], docs: [7100] });
  // The default follows the platform (CORRAL_PLATFORM=darwin here).
  const saved = process.env.CORRAL_PLATFORM;
  process.env.CORRAL_PLATFORM = 'darwin';
  try {
    const text = procfileToStack(procfile, 'app');
    assert.deepEqual(portsOf(text), { web: [5100], api: [5200], worker: [], docs: [5300] });
    assert.match(text, /# Ports 5000 and 7000 were skipped: AirPlay Receiver/);
  } finally {
    if (saved === undefined) delete process.env.CORRAL_PLATFORM;
    else process.env.CORRAL_PLATFORM = saved;
  }
});
