// The demo stack that ships with Corral (`corral up --demo`, `npm start`):
// it comes up healthy in dependency order, its crash-on-demand service shows
// the crash path (restart, then `failed` with its last log lines), and it
// goes down with nothing left. Uses the demo's fixed ports (17233, 17234, 17280).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type StackJson } from './cli-harness.js';
import { waitFor } from '../helpers/env.js';

interface Svc {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  reason: string | null;
  lastLogLines: string[];
}

test('demo stack: up --demo, crash on demand, crash loop to failed, restart, down', async () => {
  const h = harness('demo');
  const tmp = h.project('tmp');
  const env = { TMPDIR: tmp };
  try {
    const up = await h.run(['up', '--demo'], { env });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stderr, /stigmer-server +held +waiting for (temporal to be healthy|migrate to be completed)/);
    assert.match(up.stdout, /✓ migrate +completed in \S+ \(exit code 0\)/);
    const st = (await h.json<StackJson[]>(['status', '-s', 'demo'], { env }))[0]!;
    assert.deepEqual(st.services.map((s) => [s.name, s.state]), [
      ['temporal', 'running'],
      ['migrate', 'completed'],
      ['stigmer-server', 'running'],
      ['workflow-runner', 'running'],
      ['agent-runner', 'running'],
      ['flaky', 'running'],
    ]);
    const ps = await h.json<{ service: string; role: string }[]>(['ps'], { env });
    assert.equal(ps.filter((p) => p.service === 'temporal').length, 2, 'temporal forks a child in its group');

    // Crash on demand: restarted by the owner.
    const flaky = async () => (await h.json<{ services: Svc[] }[]>(['status', '-s', 'demo'], { env }))[0]!.services.find((s) => s.name === 'flaky')!;
    const flaky0 = await flaky();
    await fetch('http://127.0.0.1:17280/crash').then((r) => r.text());
    await waitFor(async () => {
      const f = await flaky();
      return f.state === 'running' && f.pid !== flaky0.pid && f.restarts === 1;
    }, 15_000, 'flaky restarted');

    // With the crash file it crashes at every start: a crash loop ends in `failed`, with its last log lines.
    const crashFile = join(tmp, 'corral-demo-crash');
    writeFileSync(crashFile, '');
    await fetch('http://127.0.0.1:17280/crash').then((r) => r.text());
    const failed = await waitFor(async () => {
      const f = await flaky();
      return f.state === 'failed' ? f : null;
    }, 40_000, 'flaky failed');
    assert.match(failed.reason ?? '', /crashed 5 times/);
    assert.ok(failed.lastLogLines.some((l) => l.includes('crashing on purpose')), failed.lastLogLines.join('\n'));
    const human = await h.run(['status', '-s', 'demo'], { env });
    assert.match(human.stdout, /flaky +failed/);

    rmSync(crashFile);
    const again = await h.run(['restart', 'flaky', '-s', 'demo'], { env });
    assert.equal(again.code, 0, again.stdout + again.stderr);

    // Colour: prefixes are coloured when asked (FORCE_COLOR), plain with NO_COLOR.
    const coloured = await h.run(['logs', '-n', '5', '-s', 'demo'], { env: { ...env, NO_COLOR: '', FORCE_COLOR: '1' } });
    assert.ok(coloured.stdout.includes('\u001b['), coloured.stdout);
    const plain = await h.run(['logs', '-n', '5', '-s', 'demo'], { env });
    assert.equal(plain.stdout.includes('\u001b['), false);

    const down = await h.run(['down', '-s', 'demo'], { env });
    assert.equal(down.code, 0, down.stdout + down.stderr);
  } finally {
    await h.cleanup();
  }
});
