// Stack files: what a valid corral.yaml turns into, and how an invalid one is
// reported (fault matrix row F13: file, line and field in every message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { STACK_NAME_PATTERN } from '../../shared/stack.js';
import { STACK_DEFAULTS, StackFileSchema, stackJsonSchema } from '../../shared/stack-schema.js';
import { StackFileError, expandVars, loadStackFile, parseEnvFile, parseStack, startOrder } from '../../electron/engine/stack-file.js';
import { fixture, resolveRepo, tempHome } from '../helpers/env.js';

const stackFixture = (name: string) => fixture(join('stacks', name));

/** The StackFileError that `fn` throws (fails the test if it throws anything else). */
async function stackError(fn: () => unknown): Promise<StackFileError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof StackFileError, `expected a StackFileError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a StackFileError, nothing was thrown');
}

const yaml = (services: string, head = 'version: 1\nname: t\n') => `${head}services:\n${services}`;
const parse = (text: string, env: Record<string, string | undefined> = {}) => parseStack(text, '/stacks/t/corral.yaml', { env, home: '/home/dev' });
const only = (text: string, env: Record<string, string | undefined> = {}) => parse(text, env).services[0]!;

// --- F13: invalid files -------------------------------------------------------------------

test('F13 YAML syntax error names file, line and field', async () => {
  const file = stackFixture('invalid-syntax.yaml');
  const err = await stackError(() => loadStackFile(file));
  assert.equal(err.file, file);
  assert.equal(err.line, 5, 'the line that opened the unclosed "["');
  assert.equal(err.field, 'services.api.command');
  assert.ok(err.message.startsWith(`${file}:5:14: services.api.command: YAML syntax error`), err.message);
  assert.match(err.message, /add "\]"/);
});

test('F13 unknown field names file, line and field, and suggests the right one', async () => {
  const file = stackFixture('unknown-field.yaml');
  const err = await stackError(() => loadStackFile(file));
  assert.equal(err.line, 7);
  assert.equal(err.column, 5);
  assert.equal(err.field, 'services.api.helth');
  assert.equal(err.message, `${file}:7:5: services.api.helth: Unknown field "helth"; did you mean "health"?`);
});

test('F13 wrong type names file, line and field, and the value found', async () => {
  const file = stackFixture('bad-type.yaml');
  const err = await stackError(() => loadStackFile(file));
  assert.equal(err.line, 9);
  assert.equal(err.field, 'services.api.ports[1]');
  assert.equal(err.message, `${file}:9:19: services.api.ports[1]: Expected a port number (1-65535), got "abc"`);
});

test('F13 dependency cycle names file, line and field, and shows the cycle', async () => {
  const file = stackFixture('cycle.yaml');
  const err = await stackError(() => loadStackFile(file));
  assert.equal(err.file, file);
  assert.equal(err.line, 9);
  assert.equal(err.field, 'services.api.depends_on.db');
  assert.ok(err.message.startsWith(`${file}:9:`), err.message);
  assert.match(err.message, /services\.api\.depends_on\.db: Dependency cycle: db → worker → api → db/);
});

// --- more invalid files --------------------------------------------------------------------

test('every problem in a file is listed, one line each', async () => {
  const err = await stackError(() =>
    parse(yaml('  api:\n    command: [server, --port, 8080]\n    restart: { policy: sometimes }\n    stop: { grace: soon }\n')),
  );
  assert.equal(err.problems.length, 3);
  const lines = err.message.split('\n');
  assert.equal(lines[0], '/stacks/t/corral.yaml:5:31: services.api.command[2]: Expected a string, got the number 8080: quote it in YAML ("8080")');
  assert.match(lines[1]!, /:6:24: services\.api\.restart\.policy: Expected a restart policy: "always", "on-failure" or "never", got "sometimes"$/);
  assert.match(lines[2]!, /:7:20: services\.api\.stop\.grace: Expected a duration such as "500ms", "10s" or "2m".*got "soon"$/);
});

test('a missing required field is placed at its parent', async () => {
  const err = await stackError(() => parse(yaml('  api:\n    ports: [1234]\n')));
  assert.equal(err.message, '/stacks/t/corral.yaml:4:3: services.api.command: Missing required field "command"');
});

test('depends_on an unknown service is an error that suggests the closest name', async () => {
  const err = await stackError(() => parse(yaml('  db: { command: [pg] }\n  api:\n    command: [api]\n    depends_on: [dbb]\n')));
  assert.equal(err.field, 'services.api.depends_on.dbb');
  assert.equal(err.line, 7);
  assert.match(err.message, /Unknown service "dbb"; did you mean "db"\?/);
});

test('depending on a service as healthy requires it to have a health check', async () => {
  const err = await stackError(() => parse(yaml('  db: { command: [pg] }\n  api: { command: [api], depends_on: { db: healthy } }\n')));
  assert.equal(err.field, 'services.api.depends_on.db');
  assert.match(err.message, /"db" has no health check.*add a health check to db, or depend on it as "started"/);
});

test('a service that depends on itself is a cycle', async () => {
  const err = await stackError(() => parse(yaml('  a: { command: [a], depends_on: [a] }\n')));
  assert.match(err.message, /Dependency cycle: a → a/);
});

test('the same port in two services is an error at the second one', async () => {
  const err = await stackError(() => parse(yaml('  a: { command: [a], ports: [7233] }\n  b: { command: [b], ports: [7234, 7233] }\n')));
  assert.equal(err.field, 'services.b.ports[1]');
  assert.equal(err.line, 5);
  assert.match(err.message, /Port 7233 is already declared by service "a"/);
});

test('a version other than 1 asks for a migration, before anything else is checked', async () => {
  let err = await stackError(() => parse('version: 2\nname: t\nservices: { a: { command: x, novel_field: 1 } }\n'));
  assert.equal(err.problems.length, 1);
  assert.equal(err.field, 'version');
  assert.match(err.message, /:1:10: version: Stack file version 2 is newer than this Corral understands \(1\): upgrade Corral/);
  err = await stackError(() => parse('name: t\nservices: {}\n'));
  assert.match(err.message, /Missing "version": add `version: 1` at the top of the file/);
  err = await stackError(() => parse('version: "1"\nname: t\n'));
  assert.match(err.message, /Unsupported stack file version "1".*set `version: 1`/);
});

test('stack and service names must match STACK_NAME_PATTERN', async () => {
  const err = await stackError(() => parse(yaml('  "bad name": { command: x }\n', 'version: 1\nname: -t\n')));
  assert.equal(err.problems.length, 2);
  assert.equal(err.problems[0]!.field, 'name');
  assert.match(err.problems[0]!.message, /Invalid stack name "-t"/);
  assert.equal(err.problems[1]!.field, 'services["bad name"]');
  assert.equal(err.problems[1]!.line, 4);
});

test('service names that differ only in case are rejected (they would share log files on macOS)', async () => {
  const err = await stackError(() => parse(yaml('  api: { command: x }\n  API: { command: y }\n')));
  assert.equal(err.field, 'services.API');
  assert.equal(err.line, 5);
  assert.match(err.message, /Service "api" differs from this one only in case/);
});

test('an unknown field deep inside a service is placed on its own line', async () => {
  const err = await stackError(() => parse(yaml('  a:\n    command: x\n    restart:\n      crash_loop: { count: 2, windw: 1s }\n')));
  assert.equal(err.message, '/stacks/t/corral.yaml:7:31: services.a.restart.crash_loop.windw: Unknown field "windw"; did you mean "window"?');
  const other = await stackError(() => parse(yaml('  a: { command: x, stop: { kill_after: 1s } }\n')));
  assert.match(other.message, /services\.a\.stop\.kill_after: Unknown field "kill_after"; allowed here: signal, grace$/);
});

test('an empty file or a file with no services says what a stack file needs', async () => {
  assert.match((await stackError(() => parse(''))).message, /The file is empty: a stack file has `version: 1`, a `name` and `services`/);
  assert.match((await stackError(() => parse('version: 1\nname: t\nservices: {}\n'))).message, /services: A stack needs at least one service/);
});

test('a health check needs exactly one probe', async () => {
  let err = await stackError(() => parse(yaml('  a: { command: x, health: { interval: 1s } }\n')));
  assert.match(err.message, /services\.a\.health: A health check needs one probe: tcp, http, grpc, exec or log/);
  err = await stackError(() => parse(yaml('  a: { command: x, health: { tcp: { port: 1 }, exec: { command: x } } }\n')));
  assert.match(err.message, /A health check has one probe, got tcp and exec: keep one/);
});

test('durations must be positive where zero makes no sense, and max_backoff >= backoff', async () => {
  let err = await stackError(() => parse(yaml('  a: { command: x, health: { tcp: { port: 1 }, interval: 0 } }\n')));
  assert.match(err.message, /services\.a\.health\.interval: Expected a duration above zero, got 0/);
  err = await stackError(() => parse(yaml('  a: { command: x, restart: { backoff: 5s, max_backoff: 1s } }\n')));
  assert.match(err.message, /services\.a\.restart\.max_backoff: max_backoff is shorter than backoff/);
});

test('a missing stack file or directory without corral.yaml is a StackFileError with what to do', async () => {
  const { home, cleanup } = tempHome('stackfile');
  try {
    const missing = join(home, 'nope.yaml');
    let err = await stackError(() => loadStackFile(missing));
    assert.equal(err.file, missing);
    assert.equal(err.line, undefined);
    assert.match(err.message, /nope\.yaml: No such stack file: create it, or fix the path/);
    err = await stackError(() => loadStackFile(home));
    assert.match(err.message, /No corral\.yaml in this directory/);
  } finally {
    cleanup();
  }
});

// --- valid files ----------------------------------------------------------------------------------

test('every field of the documented example resolves to the StackSpec', () => {
  const file = stackFixture('full.yaml');
  const spec = parseStack(readFileSync(file, 'utf8'), file, { env: {}, home: '/home/dev' });
  assert.equal(spec.version, 1);
  assert.equal(spec.name, 'stigmer');
  assert.equal(spec.file, file);
  assert.deepEqual(
    spec.services.map((s) => s.name),
    ['temporal', 'api', 'grpc', 'checker'],
  );
  const [temporal, api, grpc, checker] = spec.services;
  assert.deepEqual(temporal, {
    name: 'temporal',
    command: ['temporal', 'server', 'start-dev', '--port', '7233'],
    cwd: join(resolveRepo('test/fixtures/stacks'), 'work'),
    cwdAt: `${file}:7`,
    env: { FOO: 'bar', PORT: '7233', DEBUG: 'true' },
    ports: [7233],
    health: { check: { kind: 'tcp', host: '127.0.0.1', port: 7233 }, intervalMs: 5000, timeoutMs: 2000, failureThreshold: 3 },
    dependsOn: {},
    restart: { policy: 'on-failure', backoffMs: 500, maxBackoffMs: 30_000, resetAfterMs: 30_000, crashLoopCount: 5, crashLoopWindowMs: 60_000 },
    stop: { signal: 'SIGTERM', graceMs: 10_000 },
    startTimeoutMs: 60_000,
    readyAfterMs: 1000,
    oneshot: false,
    foregroundOnly: false,
    url: null,
    watch: [],
  });
  assert.deepEqual(api!.watch, [join(resolveRepo('test/fixtures/stacks'), 'src'), '/home/dev/lib'], 'relative to the file; ~ is the home');
  assert.deepEqual(api!.command, ['/bin/sh', '-c', './bin/api --listen 127.0.0.1:8080']);
  assert.deepEqual(api!.health, { check: { kind: 'http', url: 'http://127.0.0.1:8080/healthz', status: [200, 299] }, intervalMs: 50, timeoutMs: 500, failureThreshold: 2 });
  assert.equal(api!.restart.policy, 'always');
  assert.deepEqual(api!.stop, { signal: 'SIGINT', graceMs: 1000 });
  assert.equal(api!.startTimeoutMs, 120_000);
  assert.deepEqual(grpc!.health?.check, { kind: 'grpc', host: '127.0.0.1', port: 7234, service: '' });
  assert.deepEqual(grpc!.dependsOn, { temporal: 'started' });
  assert.deepEqual(checker!.health?.check, { kind: 'exec', command: ['/bin/sh', '-c', 'test -f /tmp/ready'] });
  assert.deepEqual(checker!.dependsOn, { api: 'started', grpc: 'healthy' });
});

test('a minimal service gets every default', () => {
  const svc = only(yaml('  a:\n    command: [run]\n    health: { http: { url: "http://127.0.0.1:1/" } }\n'));
  assert.equal(svc.cwd, '/stacks/t', "default cwd is the stack file's directory");
  assert.deepEqual(svc.env, {});
  assert.deepEqual(svc.ports, []);
  assert.deepEqual(svc.dependsOn, {});
  assert.deepEqual(svc.health, {
    check: { kind: 'http', url: 'http://127.0.0.1:1/', status: STACK_DEFAULTS.health.status },
    intervalMs: 5000,
    timeoutMs: 2000,
    failureThreshold: 3,
  });
  assert.deepEqual(svc.restart, { policy: 'on-failure', backoffMs: 500, maxBackoffMs: 30_000, resetAfterMs: 30_000, crashLoopCount: 5, crashLoopWindowMs: 60_000 });
  assert.deepEqual(svc.stop, { signal: 'SIGTERM', graceMs: 10_000 });
  assert.equal(svc.startTimeoutMs, 60_000);
  assert.equal(only(yaml('  a: { command: [run] }\n')).health, null);
});

test('YAML anchors and merge keys can share settings between services', () => {
  const spec = parse(yaml('  a: &base { command: [a], restart: { policy: always }, env: { X: "1" } }\n  b:\n    <<: *base\n    command: [b]\n'));
  const b = spec.services.find((s) => s.name === 'b')!;
  assert.deepEqual(b.command, ['b']);
  assert.equal(b.restart.policy, 'always');
  assert.deepEqual(b.env, { X: '1' });
});

test('a shared (aliased) value is expanded once per service, not once per use', () => {
  const spec = parse(yaml('  a: { command: [a], env: &env { LITERAL: "$${KEEP}", V: "${V}" } }\n  b: { command: [b], env: *env }\n'), { V: 'v' });
  for (const svc of spec.services) assert.deepEqual(svc.env, { LITERAL: '${KEEP}', V: 'v' }, svc.name);
});

test('durations accept ms/s/m/h strings and numbers of seconds, tiny test timers included', () => {
  const svc = only(
    yaml('  a:\n    command: [x]\n    restart: { backoff: 50ms, max_backoff: 0.2, reset_after: 1m, crash_loop: { count: 2, window: 1h } }\n    stop: { grace: 0 }\n    start_timeout: 250ms\n'),
  );
  assert.deepEqual(svc.restart, { policy: 'on-failure', backoffMs: 50, maxBackoffMs: 200, resetAfterMs: 60_000, crashLoopCount: 2, crashLoopWindowMs: 3_600_000 });
  assert.equal(svc.stop.graceMs, 0);
  assert.equal(svc.startTimeoutMs, 250);
});

test('a string command runs through /bin/sh -c; a list is the argv', () => {
  assert.deepEqual(only(yaml('  a: { command: "echo $HOME && sleep 1" }\n')).command, ['/bin/sh', '-c', 'echo $HOME && sleep 1']);
  assert.deepEqual(only(yaml('  a: { command: [node, "-e", "1"] }\n')).command, ['node', '-e', '1']);
});

test('cwd is relative to the stack file; ~ is the home directory', () => {
  assert.equal(only(yaml('  a: { command: x, cwd: ../api }\n')).cwd, '/stacks/api');
  assert.equal(only(yaml('  a: { command: x, cwd: /srv/api }\n')).cwd, '/srv/api');
  assert.equal(only(yaml('  a: { command: x, cwd: "~/code" }\n')).cwd, '/home/dev/code');
  assert.equal(only(yaml('  a: { command: x, cwd: "~" }\n')).cwd, '/home/dev');
  assert.deepEqual(only(yaml('  a: { command: ["~/bin/server", "~/not-a-path"] }\n')).command, ['/home/dev/bin/server', '~/not-a-path']);
  assert.deepEqual(only(yaml('  a: { command: ["~other/bin/x"] }\n')).command, ['~other/bin/x'], '~user is not expanded');
});

// --- ${VAR} ---------------------------------------------------------------------------------

test('${VAR} and ${VAR:-default} expand in command, cwd, env, env_file and health urls', () => {
  const { home, cleanup } = tempHome('stackfile');
  try {
    writeFileSync(join(home, 'dev.env'), 'FROM_FILE=1\n');
    const env = { BIN: '/opt/bin', PORT: '8080', EMPTY: '', ENV_NAME: 'dev' };
    const text = yaml(
      [
        '  a:',
        '    command: ["${BIN}/server", "--port=${PORT}", "${MISSING:-9}", "${EMPTY:-fallback}", "$${PORT}", "$PORT"]',
        '    cwd: "${WORKDIR:-~/work}"',
        '    env: { URL: "http://localhost:${PORT}", LITERAL: "$${NOT_EXPANDED}" }',
        '    env_file: "${ENV_NAME}.env"',
        '    health: { http: { url: "http://127.0.0.1:${PORT}/healthz" } }',
        '',
      ].join('\n'),
    );
    const svc = parseStack(text, join(home, 'corral.yaml'), { env, home: '/home/dev' }).services[0]!;
    assert.deepEqual(svc.command, ['/opt/bin/server', '--port=8080', '9', 'fallback', '${PORT}', '$PORT']);
    assert.equal(svc.cwd, '/home/dev/work');
    assert.deepEqual(svc.env, { FROM_FILE: '1', URL: 'http://localhost:8080', LITERAL: '${NOT_EXPANDED}' });
    assert.equal(svc.health?.check.kind === 'http' && svc.health.check.url, 'http://127.0.0.1:8080/healthz');
  } finally {
    cleanup();
  }
});

test('an unset variable without a default is an error naming it', async () => {
  const err = await stackError(() => parse(yaml('  a:\n    command: [server]\n    cwd: "${APP_DIR}/x"\n')));
  assert.equal(err.field, 'services.a.cwd');
  assert.equal(err.line, 6);
  assert.match(err.message, /Variable APP_DIR is not set: set it in the environment Corral runs in, or give a default with \$\{APP_DIR:-value\}/);
});

test("a variable set only in the service's env gets a hint about when each is expanded", async () => {
  const err = await stackError(() => parse(yaml('  a:\n    command: "server --port ${PORT}"\n    env: { PORT: 1 }\n')));
  assert.match(err.message, /Variable PORT is not set.*PORT is in this service's env.*write \$PORT/);
});

test('expandVars handles defaults, escapes and malformed references', () => {
  const env = { A: 'x', E: '' };
  assert.deepEqual(expandVars('${A}-${E}-${E:-d}-${U:-}-$A-$${A}-$', env), { value: 'x--d--$A-${A}-$' });
  assert.deepEqual(expandVars('${U:-a:-b}', env), { value: 'a:-b' });
  assert.match((expandVars('${A', env) as { error: string }).error, /Malformed variable reference "\$\{A"/);
  assert.match((expandVars('${1A}', env) as { error: string }).error, /Malformed/);
  assert.deepEqual(expandVars('${U}', env), { name: 'U', error: 'Variable U is not set: set it in the environment Corral runs in, or give a default with ${U:-value}' });
});

// --- env files --------------------------------------------------------------------------------

test('env_file values are merged under env, in order, relative to the stack file', () => {
  const { home, cleanup } = tempHome('stackfile');
  try {
    mkdirSync(join(home, 'conf'));
    writeFileSync(join(home, 'conf', 'base.env'), ['# base settings', 'A=base', 'B=base', 'export C="line\\nbreak"', '', "D='single # kept'", 'E=plain # comment', 'F=a#b'].join('\n'));
    writeFileSync(join(home, 'local.env'), 'B=local\r\nG=\r\n');
    const text = yaml('  a:\n    command: x\n    env_file: [conf/base.env, local.env]\n    env: { A: from-env }\n');
    const svc = parseStack(text, join(home, 'corral.yaml'), { env: {} }).services[0]!;
    assert.deepEqual(svc.env, { A: 'from-env', B: 'local', C: 'line\nbreak', D: 'single # kept', E: 'plain', F: 'a#b', G: '' });
  } finally {
    cleanup();
  }
});

test('a missing env file names the field and the path it looked at', async () => {
  const err = await stackError(() => parse(yaml('  a:\n    command: x\n    env_file: [.env, secrets.env]\n')));
  assert.equal(err.field, 'services.a.env_file[0]');
  assert.equal(err.line, 6);
  assert.match(err.message, /No such env file: create it, or fix the path \(\/stacks\/t\/\.env\)/);
});

test('F32 a bad env file line names the env file and its line, never its text (env files hold secrets)', async () => {
  const { home, cleanup } = tempHome('stackfile');
  try {
    writeFileSync(join(home, '.env'), 'A=1\n\nnot a pair\n');
    const err = await stackError(() => parseStack(yaml('  a: { command: x, env_file: .env }\n'), join(home, 'corral.yaml'), { env: {} }));
    assert.equal(err.file, join(home, '.env'));
    assert.equal(err.line, 3);
    assert.match(err.message, /\.env:3:1: services\.a\.env_file: Expected KEY=VALUE on each line of an env file; line 3 is not/);
    assert.doesNotMatch(err.message, /not a pair/);
    // A wrong path may name any file: a private key, /etc/shadow.
    writeFileSync(join(home, 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n');
    writeFileSync(join(home, 'shadow'), 'root:$y$j9T$secrethash:19000:0:99999:7:::\n');
    for (const secret of ['id_ed25519', 'shadow']) {
      const e = await stackError(() => parseStack(yaml(`  a: { command: x, env_file: ${secret} }\n`), join(home, 'corral.yaml'), { env: {} }));
      assert.equal(e.line, 1, e.message);
      assert.doesNotMatch(e.message, /PRIVATE KEY|b3Bl|root|secrethash/, e.message);
    }
  } finally {
    cleanup();
  }
});

test('parseEnvFile reports an unclosed quote', () => {
  assert.deepEqual(parseEnvFile('A="x\n'), { line: 1, error: 'Missing closing quote in the value of A: env file values are one line each' });
});

// --- order ------------------------------------------------------------------------------------

test('services come out dependencies first, in file order where free', async () => {
  const spec = await loadStackFile(stackFixture('stigmer.yaml'), { env: {}, home: '/home/dev' });
  assert.deepEqual(
    spec.services.map((s) => s.name),
    ['temporal', 'stigmer-server', 'workflow-runner', 'agent-runner'],
  );
  assert.deepEqual(spec.services[1]!.command, ['/home/dev/.stigmer/bin/stigmer-server']);
});

test('start order is stable and keeps the file order of numeric-looking names', () => {
  const spec = parse(yaml(['  web: { command: x, depends_on: [api] }', '  "2": { command: x }', '  api: { command: x, depends_on: [db] }', '  "1": { command: x }', '  db: { command: x }', ''].join('\n')));
  assert.deepEqual(
    spec.services.map((s) => s.name),
    ['2', '1', 'db', 'api', 'web'],
  );
  const svc = (name: string, ...deps: string[]) => ({ name, dependsOn: Object.fromEntries(deps.map((d) => [d, 'started'])) });
  assert.deepEqual(
    startOrder([svc('d', 'b', 'c'), svc('c', 'a'), svc('b', 'a'), svc('a')]).map((s) => s.name),
    ['a', 'c', 'b', 'd'],
  );
});

// --- JSON Schema ---------------------------------------------------------------------------------

test('the committed shared/corral.schema.json is up to date (node scripts/gen-json-schema.mjs)', () => {
  const committed = JSON.parse(readFileSync(resolveRepo('shared', 'corral.schema.json'), 'utf8')) as unknown;
  assert.deepEqual(committed, stackJsonSchema());
});

test('the JSON Schema describes services and rejects unknown fields', () => {
  const schema = stackJsonSchema() as JsonSchema;
  assert.deepEqual(schema.required, ['version', 'name', 'services']);
  assert.equal(schema.additionalProperties, false);
  const service = (schema.properties!.services as JsonSchema).additionalProperties as JsonSchema;
  assert.equal(service.additionalProperties, false);
  assert.deepEqual(service.required, ['command']);
  for (const example of [stackFixture('full.yaml'), stackFixture('stigmer.yaml')]) {
    assert.deepEqual(validate(schema, parseYaml(readFileSync(example, 'utf8'))), [], example);
  }
  const full = parseYaml(readFileSync(stackFixture('full.yaml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
  assert.deepEqual(validate(schema, { ...full, extra: 1 }), ['/extra: not allowed']);
  full.services.api!.helth = {};
  (full.services.temporal!.health as Record<string, unknown>).tcp = { port: 7233, hots: 'x' };
  assert.deepEqual(validate(schema, full).sort(), ['/services/api/helth: not allowed', '/services/temporal/health/tcp/hots: not allowed']);
});

test('the JSON Schema name pattern agrees with STACK_NAME_PATTERN', () => {
  const pattern = new RegExp((stackJsonSchema() as JsonSchema).properties!.name!.pattern!);
  for (const name of ['stigmer', 'Stigmer-2', 'a.b_c', '-x', '', 'a b', 'x'.repeat(63), 'x'.repeat(64)]) {
    assert.equal(pattern.test(name), STACK_NAME_PATTERN.test(name), name);
  }
});

test('the zod schema and the JSON Schema agree on a valid file', () => {
  const raw = parseYaml(readFileSync(stackFixture('full.yaml'), 'utf8'));
  assert.equal(StackFileSchema.safeParse(raw).success, true);
});

// A JSON Schema (draft-07) checker for the keywords the generated schema uses,
// so the test needs no validator package. Returns `path: problem` strings.
interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema | JsonSchema[];
  additionalItems?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

function validate(s: JsonSchema, v: unknown, at = ''): string[] {
  const out: string[] = [];
  const typeOf = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : Number.isInteger(x) ? 'integer' : typeof x);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: expected ${types.join('|')}`];
  }
  if ('const' in s && v !== s.const) out.push(`${at}: expected ${String(s.const)}`);
  if (s.enum && !s.enum.includes(v)) out.push(`${at}: not in enum`);
  if (typeof v === 'string') {
    if (s.pattern && !new RegExp(s.pattern).test(v)) out.push(`${at}: does not match ${s.pattern}`);
    if (s.minLength !== undefined && v.length < s.minLength) out.push(`${at}: too short`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${at}: below minimum`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${at}: above maximum`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${at}: too few items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(`${at}: too many items`);
    v.forEach((item, i) => {
      const itemSchema = Array.isArray(s.items) ? s.items[i] : s.items;
      if (itemSchema) out.push(...validate(itemSchema, item, `${at}/${i}`));
      else if (Array.isArray(s.items) && s.additionalItems === false) out.push(`${at}/${i}: not allowed`);
    });
  }
  if (typeOf(v) === 'object') {
    const obj = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) out.push(`${at}/${r}: required`);
    for (const [k, val] of Object.entries(obj)) {
      if (s.propertyNames) out.push(...validate(s.propertyNames, k, `${at}/${k} (name)`));
      const p = s.properties?.[k];
      if (p) out.push(...validate(p, val, `${at}/${k}`));
      else if (s.additionalProperties === false) out.push(`${at}/${k}: not allowed`);
      else if (typeof s.additionalProperties === 'object') out.push(...validate(s.additionalProperties, val, `${at}/${k}`));
    }
  }
  if (s.anyOf) {
    const results = s.anyOf.map((b) => validate(b, v, at));
    if (!results.some((r) => r.length === 0)) out.push(...(results.find((r) => r.some((m) => m.startsWith(`${at}/`))) ?? [`${at}: matches no alternative`]));
  }
  if (s.oneOf && s.oneOf.filter((b) => validate(b, v, at).length === 0).length !== 1) out.push(`${at}: must match exactly one of oneOf`);
  return out;
}

// --- hostile and broken files: one clear error each, bounded --------------------------------

test('F28 an alias bomb is a stack file error at the alias that multiplies, not a crash', async () => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (const n of 'bcdef') levels.push(`${n}: &${n} [${Array(10).fill(`*${String.fromCharCode(n.charCodeAt(0) - 1)}`).join(',')}]`);
  const err = await stackError(() => parse(`version: 1\nname: t\n${levels.join('\n')}\nservices:\n  x:\n    command: [*f]\n`));
  assert.equal(err.line, 5, err.message);
  assert.match(err.message, /^\/stacks\/t\/corral\.yaml:5:\d+: c\[0\]: YAML aliases expand to too much data: \*b repeats an anchor that holds aliases itself/);
});

test('F30 a huge value is quoted cut short, with how much was left out', async () => {
  const big = 'a'.repeat(200_000);
  const err = await stackError(() => parse(`version: 1\nname: "${big}"\nservices:\n  a:\n    command: x\n    env: { "${big}=": x }\n`));
  assert.ok(err.message.length < 1000, `${err.message.length} characters`);
  assert.match(err.message, /:2:7: name: Invalid stack name "a{80}"… \(199920 more characters\)/);
  assert.equal(err.problems.length, 2);
});

test('F30 a huge unknown key or many unknown keys are named cut short', async () => {
  const keys = Array.from({ length: 50 }, (_, i) => `k${i}${'z'.repeat(1000)}: 1`).join('\n    ');
  const err = await stackError(() => parse(yaml(`  a:\n    command: x\n    ${keys}\n`)));
  assert.ok(err.message.length < 700, `${err.message.length} characters`);
  assert.match(err.message, /Unknown fields "k0z+"… \(922 more characters\), "k1z+"… \(922 more characters\)/);
});

test('F29 nesting deeper than any setting is refused at its line, with a short field name', async () => {
  for (const [open, close] of [['[', ']'], ['{a: ', '}']] as const) {
    for (const depth of [40, 50_000]) {
      const err = await stackError(() => parse(yaml(`  a:\n    command: x\n    env: ${open.repeat(depth)}x${close.repeat(depth)}\n`)));
      assert.equal(err.line, 6, err.message);
      assert.match(err.message, depth === 40 ? /: services\.a\.env(\[0\]|\.a){9}…: Nested more than 32 levels deep/ : /:6:\d+: Brackets nested more than 256 deep/);
      assert.ok(err.message.length < 400, err.message.slice(0, 400));
    }
  }
});

test('F31 binary data, a too large file, a directory and a named pipe are refused with what they are', async () => {
  const { home, cleanup } = tempHome('stackfile');
  try {
    const bin = join(home, 'bin.yaml');
    writeFileSync(bin, Buffer.concat([Buffer.from('version: 1\nname: t\n'), Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0, 0xff, 0x9b])]));
    const b = await stackError(() => loadStackFile(bin));
    assert.equal(b.message, `${bin}:3:1: This file holds binary data (a NUL byte), not YAML text: is it the right file?`);

    const large = join(home, 'large.yaml');
    writeFileSync(large, `version: 1\nname: t\n# ${'x'.repeat(2 << 20)}\n`);
    assert.match((await stackError(() => loadStackFile(large))).message, /larger than 1 MiB/);

    const dir = join(home, 'stack.yaml');
    mkdirSync(dir);
    assert.match((await stackError(() => loadStackFile(dir))).message, /No corral\.yaml in this directory/);

    const fifo = join(home, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    assert.match((await stackError(() => loadStackFile(fifo))).message, /found a named pipe/);
    // An env file that is not a regular file is refused the same way, at its field's line.
    const viaEnv = await stackError(() => parseStack(yaml('  a:\n    command: x\n    env_file: /dev/zero\n'), join(home, 'corral.yaml'), { env: {} }));
    assert.match(viaEnv.message, /:6:\d+: services\.a\.env_file: Expected an env file, found a device/);
  } finally {
    cleanup();
  }
});

test('F31 control characters in a quoted value are escaped, not sent to the terminal', async () => {
  const err = await stackError(() => parse('version: 1\nname: "\\e[2J\\u009b31m\\u202e"\nservices:\n  a:\n    command: x\n'));
  assert.deepEqual([...err.message].filter((c) => '\u001b\u009b\u202e'.includes(c)), []);
  assert.match(err.message, /\\u001b\[2J/);
});

test('F33 more services than a stack may have is one error at `services`', async () => {
  const services = Array.from({ length: 1001 }, (_, i) => `  s${i}:\n    command: x\n`).join('');
  const err = await stackError(() => parse(yaml(services)));
  assert.equal(err.message, '/stacks/t/corral.yaml:3:1: services: 1001 services: a stack has at most 1000; split it into several stacks');
});

test('a repeated key is still a syntax error at the repeat (checked in linear time)', async () => {
  const err = await stackError(() => parse(yaml('  a:\n    command: x\n  a:\n    command: y\n')));
  assert.equal(err.message, '/stacks/t/corral.yaml:6:3: services.a: YAML syntax error: Map keys must be unique: remove or rename one of them');
  const keys = Array.from({ length: 20_000 }, (_, i) => `K${i}: x`).join(', ');
  const started = Date.now();
  parse(yaml(`  a:\n    command: x\n    env: { ${keys} }\n`));
  assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms for a 20,000-key mapping`);
});

// --- keys at the wrong level ------------------------------------------------------------------

test('F35 a dedented block is reported as indented as a service of its own, under the service above', async () => {
  const err = await stackError(() => parse(yaml('  api:\n    command: x\n    ports: [8080]\n  health:\n    http:\n      url: http://localhost:8080\n')));
  assert.equal(err.message, '/stacks/t/corral.yaml:7:3: services.health: `health` at line 7 is indented as a service of its own, but it is a service field: indent it under `api`');
  const stop = await stackError(() => parse(yaml('  api:\n    command: x\n    stop:\n  grace: 3s\n')));
  assert.match(stop.message, /:7:3: services\.grace: `grace` at line 7 is indented as a service of its own, but it is a `stop` setting: indent it under `stop:` of `api`$/);
});

test('F35 a key one level too shallow or too deep says where it belongs', async () => {
  const err = await stackError(() =>
    parse(yaml('  api:\n    command: x\n    interval: 3s\n    health:\n      exec: { command: "true" }\n      ports: [1]\n    policy: always\n    http: { url: "http://x" }\n')),
  );
  assert.deepEqual(
    err.problems.map((p) => `${p.line} ${p.field}: ${p.message}`),
    [
      '6 services.api.interval: `interval` at line 6 belongs inside `health`: indent it under `health:`',
      '9 services.api.health.ports: `ports` at line 9 is a field of `services.api`, not of `health`: indent it less, in line with `health`',
      '10 services.api.policy: `policy` at line 10 belongs inside `restart`: indent it under `restart:`',
      '11 services.api.http: `http` at line 11 belongs inside `health`: indent it under `health:`',
    ],
  );
  const probe = await stackError(() => parse(yaml('  api:\n    command: x\n    health:\n      http:\n      url: http://x\n')));
  assert.match(probe.message, /services\.api\.health\.url: `url` at line 8 belongs inside `http`: indent it under `http:`/);
});

test('F35 a service or a service field at the top level of the file says to indent it', async () => {
  const err = await stackError(() => parse(yaml('  api:\n    command: x\nports: [1]\nworker:\n  command: y\n')));
  assert.deepEqual(
    err.problems.map((p) => p.message),
    [
      '`ports` at line 6 is a service field, but it sits at the top level of the file: indent it under the service it belongs to',
      '`worker` at line 7 looks like a service, but it is not under `services:`: indent it under `services:`',
    ],
  );
  // A real misspelling still gets its suggestion.
  assert.match((await stackError(() => parse(yaml('  api:\n    command: x\n    helth: {}\n')))).message, /Unknown field "helth"; did you mean "health"\?/);
});

// --- working directory --------------------------------------------------------------------------

test('F34 a cwd that does not exist is an error at its line when the file is read', async () => {
  const { home, cleanup } = tempHome('stackfile');
  try {
    const file = join(home, 'corral.yaml');
    writeFileSync(file, yaml('  api:\n    command: x\n  web:\n    command: y\n    cwd: ./nope\n  file:\n    command: z\n    cwd: corral.yaml\n'));
    const err = await stackError(() => loadStackFile(file));
    assert.deepEqual(err.message.split('\n'), [
      `${file}:8:10: services.web.cwd: Working directory ${join(home, 'nope')} does not exist: create it, or fix \`cwd\` (a relative path starts at the stack file's directory)`,
      `${file}:11:10: services.file.cwd: Working directory ${file} is not a directory: fix \`cwd\``,
    ]);
    // Parsing text alone (init, tests) does not look at the disk.
    assert.equal(parseStack(readFileSync(file, 'utf8'), file, { env: {} }).services[1]!.cwdAt, `${file}:8`);
  } finally {
    cleanup();
  }
});

test('one-shot tasks: completed is a condition on a task only; a task takes no health check; ready_after defaults to 1s', () => {
  const spec = parse(`version: 1
name: t
services:
  migrate: { command: ./migrate, oneshot: true }
  api: { command: ./api, depends_on: { migrate: completed }, ready_after: 0 }
`);
  assert.deepEqual(spec.services.map((s) => [s.name, s.oneshot, s.readyAfterMs]), [['migrate', true, 1000], ['api', false, 0]]);
  assert.deepEqual(spec.services[1]!.dependsOn, { migrate: 'completed' });
  assert.throws(
    () => parse('version: 1\nname: t\nservices:\n  db: { command: ./db }\n  api: { command: ./api, depends_on: { db: completed } }\n'),
    (e: StackFileError) => /services\.api\.depends_on\.db: "db" is not a one-shot task, so it never completes: depend on it as "started" or "healthy", or add `oneshot: true` to db/.test(e.message),
  );
  assert.throws(
    () => parse('version: 1\nname: t\nservices:\n  m: { command: ./m, oneshot: true, health: { tcp: { port: 1 } } }\n'),
    (e: StackFileError) => /services\.m\.health: A one-shot task has no health check/.test(e.message),
  );
  assert.throws(
    () => parse('version: 1\nname: t\nservices:\n  m: { command: ./m, oneshot: true }\n  api: { command: ./api, depends_on: { m: healthy } }\n'),
    (e: StackFileError) => /"m" is a one-shot task, so it is never healthy: depend on it as "completed"/.test(e.message),
  );
});

test('watch: a path or a list of them, relative to the file; a one-shot task has nothing to watch', () => {
  assert.deepEqual(only(yaml('  a: { command: [a], watch: src }\n')).watch, ['/stacks/t/src']);
  assert.deepEqual(only(yaml('  a: { command: [a], watch: [src, "${ROOT}/lib", ~/x, /abs] }\n'), { ROOT: '/r' }).watch, ['/stacks/t/src', '/r/lib', '/home/dev/x', '/abs']);
  assert.throws(
    () => parse('version: 1\nname: t\nservices:\n  m: { command: ./m, oneshot: true, watch: [src] }\n'),
    (e: StackFileError) => /services\.m\.watch: A one-shot task is never restarted, so it has nothing to watch/.test(e.message),
  );
  assert.throws(() => parse(yaml('  a: { command: [a], watch: [1] }\n')), (e: StackFileError) => /services\.a\.watch/.test(e.message));
});

test('watch: the file system root, the home directory and what covers Corral\'s logs are refused, naming the path and why; a repeated path is watched once', async () => {
  const refusal = (watch: string, opts: { dataHome?: string } = {}) => {
    try {
      parseStack(`version: 1\nname: t\nservices:\n  a:\n    command: [a]\n    watch: [src, ${watch}]\n`, '/stacks/t/corral.yaml', { env: { ROOT: '/' }, home: '/home/dev', dataHome: '/home/dev/.local/state/corral', ...opts });
    } catch (e) {
      assert.ok(e instanceof StackFileError, String(e));
      return e.message;
    }
    return null;
  };
  assert.match(refusal('/')!, /corral\.yaml:6:\d+: services\.a\.watch\[1\]: Watched path "\/" is the root of the file system: it would watch every directory of the machine, \/proc included/);
  assert.match(refusal('"${ROOT}"')!, /watch\[1\]: Watched path "\/" is the root of the file system/);
  assert.match(refusal('../../..')!, /watch\[1\]: Watched path "..\/..\/.." \(\/\) is the root of the file system/);
  assert.match(refusal('"~"')!, /watch\[1\]: Watched path "\/home\/dev" is your home directory: it would watch every directory you own/);
  assert.match(refusal('/home/dev/')!, /is your home directory/);
  assert.match(refusal('~/.local')!, /watch\[1\]: Watched path "\/home\/dev\/.local" contains Corral's log directory \(\/home\/dev\/.local\/state\/corral\/logs\): the service's own output, written there, would restart it/);
  assert.match(refusal('~/.local/state/corral/logs/t')!, /is inside Corral's log directory, which Corral writes as services start/);
  assert.match(refusal('~/.local/state/corral/state')!, /is inside Corral's state directory/);
  assert.equal(refusal('~/.local/state/corral/projects/app'), null, 'a project kept in the data directory is not its logs');
  assert.match(refusal('/data', { dataHome: '/data/corral' })!, /contains Corral's log directory \(\/data\/corral\/logs\)/);
  assert.equal(refusal('~/src'), null, 'below the home is fine');
  assert.equal(refusal('/stacks'), null);
  // A repeated path (as written, or the same once resolved) is watched once; none is no watch.
  assert.deepEqual(only(yaml('  a: { command: [a], watch: [lib, lib, ./lib/, /stacks/t/lib, src] }\n')).watch, ['/stacks/t/lib', '/stacks/t/src']);
  assert.deepEqual(only(yaml('  a: { command: [a], watch: [] }\n')).watch, []);

  // Read from disk: a symbolic link to the home, or to the data directory, is refused too; a missing path is named at its own index after a repeat.
  const { home, cleanup } = tempHome('watch-refused');
  try {
    const proj = join(home, 'proj');
    const data = join(home, 'data');
    mkdirSync(join(proj, 'lib'), { recursive: true });
    mkdirSync(join(data, 'logs'), { recursive: true });
    symlinkSync(home, join(proj, 'up'));
    symlinkSync(data, join(proj, 'corral-data'));
    const load = async (watch: string) => {
      writeFileSync(join(proj, 'corral.yaml'), `version: 1\nname: t\nservices:\n  a:\n    command: [a]\n    watch: ${watch}\n`);
      return (await stackError(() => loadStackFile(join(proj, 'corral.yaml'), { env: {}, home, dataHome: data }))).message;
    };
    assert.match(await load('[lib, up]'), /watch\[1\]: Watched path "up" \(.*\/proj\/up\) is your home directory/);
    assert.match(await load('[lib, corral-data/logs]'), /watch\[1\]: Watched path "corral-data\/logs" .* contains Corral's log directory/);
    assert.match(await load('[lib, lib, nope]'), /watch\[2\]: Watched path "nope" \(.*\/proj\/nope\) does not exist/);
    writeFileSync(join(proj, 'corral.yaml'), 'version: 1\nname: t\nservices:\n  a:\n    command: [a]\n    watch: [lib, lib]\n');
    assert.deepEqual((await loadStackFile(join(proj, 'corral.yaml'), { env: {}, home, dataHome: data })).services[0]!.watch, [join(proj, 'lib')]);
  } finally {
    cleanup();
  }
});

test('the variables a file was expanded with are recorded (null: unset), for the owner to read it again the same way', () => {
  const spec = parse(yaml('  a: { command: ["${BIN}", "${MODE:-dev}"], env: { X: "$${LITERAL}" } }\n'), { BIN: '/usr/bin/a', OTHER: 'not used' });
  assert.deepEqual(spec.vars, { BIN: '/usr/bin/a', MODE: null });
  assert.equal(parse(yaml('  a: { command: [a] }\n')).vars, undefined, 'none used: none recorded');
});

test('the example stack (PostgreSQL, a migration, an API, a worker) is valid and orders its tasks', async () => {
  const spec = await loadStackFile(resolveRepo('stacks/examples/shop/corral.yaml'), { env: {}, home: '/home/dev' });
  assert.deepEqual(spec.services.filter((s) => s.oneshot).map((s) => s.name), ['initdb', 'migrate']);
  assert.deepEqual(startOrder(spec.services).map((s) => s.name), ['initdb', 'postgres', 'migrate', 'api', 'worker']);
  assert.deepEqual(spec.services.find((s) => s.name === 'api')!.dependsOn, { migrate: 'completed' });
});

test('F28 a file of many problems full of control characters gives a bounded message (escaped, then cut)', () => {
  // Each problem quotes 500 control characters: escaped, each shows as six.
  const noisy = '\u0010'.repeat(500);
  const err = new StackFileError(Array.from({ length: 40 }, (_, i) => ({ file: '/p/corral.yaml', line: i + 1, column: 1, field: `services.${noisy}`, message: 'YAML syntax error' })));
  assert.ok(err.message.length < 4096, `${err.message.length} characters`);
  assert.match(err.message, /^\/p\/corral\.yaml:1:1: services\.(\\u0010)+/);
  assert.match(err.message, /… and \d+ more problems$/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(err.message, /[\u0010]/, 'no raw control character');
});
