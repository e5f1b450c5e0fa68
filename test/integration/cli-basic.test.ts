// The CLI as a user meets it: up (which starts the daemon), status, logs, ps,
// restart, down, exit codes, --help, NO_COLOR, init, doctor, daemon stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { harness, svcYaml, CLI, type StackJson } from './cli-harness.js';
import { freePort, isLive, waitFor } from '../helpers/env.js';

test('up starts a daemon and the stack; status, logs, ps, restart and down work through it', async () => {
  const h = harness('cli-basic');
  try {
    const port = await freePort();
    const dir = h.project();
    h.writeStack(
      dir,
      `version: 1
name: basic
services:
${svcYaml('db', ['--port', String(port), '--children', '1'], `    ports: [${port}]\n    health: { tcp: { port: ${port} }, interval: 200ms }\n`)}${svcYaml('worker', ['--tick', '50'], '    depends_on: { db: healthy }\n')}`,
    );
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stderr, /Starting the Corral daemon/);
    assert.match(up.stdout, /✓ db .*healthy/);
    assert.match(up.stdout, /Stack basic is up/);
    const owner = h.ownerPid();
    assert.ok(owner, 'a daemon owns the data directory');

    const stacks = await h.json<StackJson[]>(['status'], { cwd: dir });
    assert.equal(stacks.length, 1);
    const svcs = stacks[0]!.services;
    assert.deepEqual(svcs.map((s) => [s.name, s.state, s.adopted, s.restarts]), [['db', 'running', false, 0], ['worker', 'running', false, 0]]);
    for (const s of svcs) assert.ok(s.pid && isLive(s.pid));
    assert.deepEqual(svcs[0]!.ports, [port]);

    // Human status: a table, no colour codes under NO_COLOR.
    const st = await h.run(['status'], { cwd: dir });
    assert.equal(st.code, 0);
    assert.match(st.stdout, /SERVICE\s+STATE\s+PID/);
    assert.equal(st.stdout.includes('\u001b['), false);
    // `status worker`: that service only; an unknown service or stack is an error that names what there is.
    const one = await h.json<StackJson[]>(['status', 'worker'], { cwd: dir });
    assert.deepEqual(one[0]!.services.map((s) => s.name), ['worker']);
    const unknownSvc = await h.run(['status', 'nosuch'], { cwd: dir });
    assert.equal(unknownSvc.code, 2);
    assert.match(unknownSvc.stderr, /No service `nosuch` in stack `basic`\. Its services: db, worker\./);
    const unknownStack = await h.run(['status', '-s', 'nosuch'], { cwd: dir });
    assert.equal(unknownStack.code, 2);
    assert.match(unknownStack.stderr, /The owner knows no stack named `nosuch`\. Known stacks: basic/);

    // Logs: merged, prefixed; JSON lines.
    await waitFor(async () => /tick 3/.test((await h.run(['logs', 'worker', '-n', '50'], { cwd: dir })).stdout), 10_000, 'ticks in the log');
    const lj = await h.run(['logs', '--json', '-n', '5'], { cwd: dir });
    const lines = lj.stdout.trim().split('\n').map((l) => JSON.parse(l) as { service: string; text: string });
    assert.equal(lines.length, 5);
    assert.ok(lines.every((l) => l.service === 'db' || l.service === 'worker'));
    const logs = await h.run(['logs', '-n', '200'], { cwd: dir });
    assert.match(logs.stdout, /^db +\| started pid=/m);
    assert.match(logs.stdout, /^worker \| tick \d+/m);

    // logs -f: history, then new lines as they come, each once; Ctrl-C ends it with 0.
    const follow = spawn(process.execPath, [CLI, 'logs', '-f', '-n', '3', 'worker'], { cwd: dir, env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follow.stdout.on('data', (d) => (followed += d));
    await waitFor(() => (followed.match(/tick \d+/g) ?? []).length >= 8, 10_000, 'followed ticks');
    follow.kill('SIGINT');
    const followCode = await new Promise((r) => follow.on('close', r));
    assert.equal(followCode, 0);
    const ticks = (followed.match(/tick (\d+)/g) ?? []).map((t) => Number(t.slice(5)));
    assert.deepEqual(ticks, ticks.map((_, i) => ticks[0]! + i), `consecutive, no gap, no duplicate: ${ticks.join(' ')}`);

    // ps: the db's forked child is listed in its group.
    const ps = await h.json<{ service: string; role: string; pid: number }[]>(['ps'], { cwd: dir });
    assert.equal(ps.filter((p) => p.service === 'db' && p.role === 'leader').length, 1);
    assert.equal(ps.filter((p) => p.service === 'db' && p.role === 'group').length, 1);

    // restart: new pids, still one instance each.
    const before = svcs.map((s) => s.pid);
    const rs = await h.run(['restart', 'worker'], { cwd: dir });
    assert.equal(rs.code, 0, rs.stderr + rs.stdout);
    const after = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    assert.equal(after[0]!.pid, before[0]);
    assert.notEqual(after[1]!.pid, before[1]);
    assert.equal(isLive(before[1]!), false);

    // up again is idempotent.
    const again = await h.run(['up', '--json'], { cwd: dir });
    assert.equal(again.code, 0);
    assert.deepEqual((JSON.parse(again.stdout) as { services: { pid: number }[] }).services.map((s) => s.pid), after.map((s) => s.pid));
    assert.equal(h.ownerPid(), owner, 'the same owner served every call');

    const down = await h.run(['down'], { cwd: dir });
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stdout, /Stack basic is down/);
    for (const p of [...before, ...after.map((s) => s.pid)]) assert.equal(isLive(p!), false);

    const stop = await h.run(['daemon', 'stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^Owner daemon pid \d+ stopped; no service was running\.$/m);
    await waitFor(() => !isLive(owner), 5000, 'daemon gone');
  } finally {
    await h.cleanup();
  }
});

test('exit codes, --help on every verb, errors that name the next step', async () => {
  const h = harness('cli-codes');
  try {
    const dir = h.project();
    for (const verb of ['up', 'down', 'restart', 'status', 'logs', 'ps', 'doctor', 'init', 'stacks', 'daemon']) {
      const r = await h.run([verb, '--help']);
      assert.equal(r.code, 0, verb);
      assert.match(r.stdout, new RegExp(`Usage: corral ${verb}`));
      assert.match(r.stdout, /Exit:/);
    }
    const top = await h.run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Exit codes: 0 ok/);
    assert.equal((await h.run(['frobnicate'])).code, 2);
    const badOpt = await h.run(['status', '--bogus']);
    assert.equal(badOpt.code, 2);
    assert.match(badOpt.stderr, /--bogus.*corral status --help/s);

    // No stack file: exit 3 with what to do, and no daemon was started for it.
    const none = await h.run(['up'], { cwd: dir });
    assert.equal(none.code, 3);
    assert.match(none.stderr, /corral init/);
    assert.equal(h.ownerPid(), null);

    // Invalid stack file: exit 3, file:line: field.
    const file = h.writeStack(dir, 'version: 1\nname: bad\nservices:\n  a:\n    command: [x]\n    ports: [99999]\n');
    const invalid = await h.run(['up'], { cwd: dir });
    assert.equal(invalid.code, 3);
    assert.ok(invalid.stderr.includes(`${file}:6:`), invalid.stderr);
    assert.match(invalid.stderr, /services\.a\.ports\[0\]/);
    // The daemon `up` started meanwhile is not announced: the error is all there is to read.
    assert.doesNotMatch(invalid.stderr, /Starting the Corral daemon/);

    // Unknown service: usage error listing the services.
    h.writeStack(dir, `version: 1\nname: ok\nservices:\n${svcYaml('a', ['--tick', '1000'])}`);
    const unknown = await h.run(['up', 'nope'], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no service `nope`.*Its services: a/);

    // A service that cannot become healthy: exit 1 with the reason and its last log lines.
    h.writeStack(dir, `version: 1\nname: sick\nservices:\n${svcYaml('sick', ['--exit-after', '50', '--code', '3'], `    health: { tcp: { port: ${await freePort()} } }\n`, '{ policy: never }')}`);
    const sick = await h.run(['up'], { cwd: dir });
    assert.equal(sick.code, 1, sick.stdout + sick.stderr);
    assert.match(sick.stdout, /✗ sick/);
    assert.match(sick.stdout, /exiting with 3/, 'last log lines shown');
    assert.match(sick.stdout, /^Stack sick is not up: 1 failed \(Corral does not retry it on its own: fix the cause, then `corral up` again\)\./m);
    const d = await h.run(['down'], { cwd: dir });
    assert.equal(d.code, 0, d.stdout + d.stderr);

    // Refused before spawning (its port is held): the reason, and no log lines from the earlier run.
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    try {
      const held = (holder.address() as { port: number }).port;
      h.writeStack(
        dir,
        `version: 1\nname: sick\nservices:\n${svcYaml('sick', ['--tick', '1000'], `    ports: [${held}]\n    health: { tcp: { port: ${held} } }\n`, '{ policy: never }')}${svcYaml('after', ['--tick', '1000'], '    depends_on: { sick: healthy }\n')}`,
      );
      const refused = await h.run(['up'], { cwd: dir });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stdout, new RegExp(`✗ sick .*port ${held} is held by process ${process.pid}`));
      assert.doesNotMatch(refused.stdout, /last lines of its log|exiting with 3/, 'no lines of an earlier run');
      // Its dependent is held, and says why as of now (not the `starting` it saw first).
      assert.match(refused.stdout, /✗ after +not started: waiting for sick to be healthy \(sick is failed\)/);
      assert.match(refused.stdout, /^Stack sick is not up: 1 failed \(.*\); 1 held until what it depends on is up\./m);
    } finally {
      holder.close();
    }
  } finally {
    await h.cleanup();
  }
});

test('init writes the stigmer preset and imports a Procfile; doctor names missing binaries and port holders', async () => {
  const h = harness('cli-init');
  const blocker = createServer();
  try {
    const dir = h.project('stig');
    const r = await h.run(['init', '--preset', 'stigmer'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stack stigmer: temporal, stigmer-server, workflow-runner, agent-runner/);
    assert.equal((await h.run(['init', '--preset', 'stigmer'], { cwd: dir })).code, 1, 'refuses to overwrite');
    // HOME points at an empty directory: the Stigmer binaries are missing.
    const doc = await h.run(['doctor', '--json'], { cwd: dir, env: { HOME: h.project('emptyhome') } });
    assert.equal(doc.code, 1);
    const findings = JSON.parse(doc.stdout) as { level: string; topic: string; subject: string; fix?: string }[];
    const missing = findings.filter((f) => f.topic === 'binary' && f.level === 'error');
    assert.equal(missing.length, 4, JSON.stringify(findings, null, 2));
    assert.ok(missing.some((f) => f.subject === 'stigmer/stigmer-server' && /stigmer server/.test(f.fix ?? '')));

    // A foreign process on a declared port is named, with the fix.
    const port = await freePort();
    await new Promise<void>((res) => blocker.listen(port, '127.0.0.1', () => res()));
    const pdir = h.project('proc');
    writeFileSync(join(pdir, 'Procfile'), `web: ${process.execPath} -e "setInterval(()=>{},1000)" # $PORT\nworker: sleep 1000\n`);
    const imp = await h.run(['init', '--from', 'Procfile', '--name', 'procs'], { cwd: pdir });
    assert.equal(imp.code, 0, imp.stderr);
    const yaml = readFileSync(join(pdir, 'corral.yaml'), 'utf8');
    assert.match(yaml, /web:/);
    assert.match(yaml, /worker:/);
    writeFileSync(join(pdir, 'corral.yaml'), yaml.replace(/PORT: "5000"/, `PORT: "${port}"`).replace(/- 5000/, `- ${port}`));
    const doc2 = await h.run(['doctor'], { cwd: pdir });
    assert.equal(doc2.code, 1, doc2.stdout);
    assert.match(doc2.stdout, new RegExp(`port ${port} .*held by process ${process.pid}`));
    assert.match(doc2.stdout, /fix: Stop process/);
  } finally {
    blocker.close();
    await h.cleanup();
  }
});
