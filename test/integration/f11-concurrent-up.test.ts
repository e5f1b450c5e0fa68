// F11: ten `corral up` at the same moment in one data directory, no owner
// running: each may start a daemon, the owner lock lets exactly one win, and
// every call ends talking to it. One instance of each service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, svcYaml, type StackJson } from './cli-harness.js';
import { freePort, markedPids, taggedPids, waitFor } from '../helpers/env.js';
import { readFileSync } from 'node:fs';

test('F11 10 concurrent `corral up`: one owner, one instance of each service, every call succeeds or reports the existing owner', async () => {
  const h = harness('f11');
  try {
    const dir = h.project();
    const port = await freePort();
    h.writeStack(
      dir,
      `version: 1
name: f11
services:
${svcYaml('db', ['--port', String(port)], `    ports: [${port}]\n    health: { tcp: { port: ${port} } }\n`)}${svcYaml('w1', ['--tick', '100'], '    depends_on: { db: healthy }\n')}${svcYaml('w2', ['--tick', '100'], '    depends_on: { db: healthy }\n')}`,
    );
    const results = await Promise.all(Array.from({ length: 10 }, () => h.run(['up'], { cwd: dir })));
    for (const r of results) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

    const owner = h.ownerPid();
    assert.ok(owner);
    // Exactly one daemon process stays (a loser exits once it has seen the lock
    // taken; a late one may still be on its way out when the last `up` returns).
    const daemons = () =>
      taggedPids(h.tag).filter((pid) => {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {}
        return cmd.includes('corral.js') || cmd.includes('cli/main.js');
      });
    await waitFor(() => daemons().length === 1, 15_000, 'the losing daemons to exit');
    assert.deepEqual(daemons(), [owner]);
    const log = readFileSync(h.dir.ownerLog, 'utf8');
    const started = log.match(/owner daemon started/g)?.length ?? 0;
    const refused = log.match(/a Corral owner already runs/g)?.length ?? 0;
    assert.equal(started, 1, log);
    assert.ok(refused <= 9);

    const svcs = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    assert.deepEqual(svcs.map((s) => [s.name, s.state, s.restarts]), [['db', 'running', 0], ['w1', 'running', 0], ['w2', 'running', 0]]);
    // One process per service (svc.mjs without --children): three marked processes in all.
    assert.equal(markedPids(h.dir.markerPrefix()).length, 3);
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);
  } finally {
    await h.cleanup();
  }
});
