// F13 through the CLI: an invalid stack file is refused with file, line and field,
// and the services already running from the previous version are untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, SVC } from './cli-harness.js';
import { freePort } from '../helpers/env.js';

interface StatusJson {
  name: string;
  services: { name: string; state: string; pid: number | null; restarts: number }[];
}

test('F13 stack file made invalid while its services run: clear error, running services untouched', async () => {
  const h = harness('f13');
  try {
    const port = await freePort();
    const dir = h.project();
    const good = `version: 1
name: app
services:
  db:
    command: ["${process.execPath}", "${SVC}", "--port", "${port}"]
    ports: [${port}]
    health: { tcp: { port: ${port} } }
  worker:
    command: ["${process.execPath}", "${SVC}", "--tick", "100"]
    depends_on: { db: healthy }
`;
    h.writeStack(dir, good);
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stderr + up.stdout);
    const before = await h.json<StatusJson[]>(['status'], { cwd: dir });
    const pids = before[0]!.services.map((s) => s.pid);
    assert.equal(pids.every((p) => typeof p === 'number'), true);

    const broken: [string, RegExp][] = [
      [good.replace('ports: [', 'ports: [abc, '), /corral\.yaml:\d+:\d+: services\.db\.ports\[0\]/],
      [good.replace('    depends_on', '    colour: blue\n    depends_on'), /corral\.yaml:\d+:\d+: services\.worker.*colour/],
      [good.replace('depends_on: { db: healthy }', 'depends_on: { db: healthy }\n  db2:\n    command: [x]\n    depends_on: { db3: started }\n  db3:\n    command: [y]\n    depends_on: { db2: started }'), /db2 → db3 → db2|db3 → db2 → db3/],
      [good.replace('services:', 'services: [\n'), /corral\.yaml:\d+:\d+/],
    ];
    for (const [text, message] of broken) {
      h.writeStack(dir, text);
      const r = await h.run(['up'], { cwd: dir });
      assert.equal(r.code, 3, `exit code 3 for an invalid file: ${r.stderr}`);
      assert.match(r.stderr + r.stdout, message);
      const after = await h.json<StatusJson[]>(['status'], { cwd: dir, env: {} }).catch(() => null);
      // status needs no valid file: it falls back to the stack the owner knows.
      const now = after ?? (await h.json<StatusJson[]>(['status', '-s', 'app']));
      assert.deepEqual(now[0]!.services.map((s) => s.pid), pids, 'same pids');
      assert.equal(now[0]!.services.every((s) => s.state === 'running' && s.restarts === 0), true);
    }
  } finally {
    await h.cleanup();
  }
});
