// Refused requests are logged without flooding the owner log: 13,731 lines in
// 5 s of unauthenticated requests used to overwrite its kept history in under
// a minute. The first few are logged; the rest are counted and summarised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, Agent } from 'node:http';
import { RefusalLog } from '../../electron/host/refusal-log.js';
import { startWebUi } from '../../electron/host/web/server.js';
import { FakeOwner } from '../helpers/fake-api.js';
import { tempHome } from '../helpers/env.js';

test('F26 RefusalLog: a burst is logged line by line, the rest summarised by reason', () => {
  const lines: string[] = [];
  const log = new RefusalLog((l) => lines.push(l), { burst: 2, windowMs: 60_000 });
  for (let i = 0; i < 5; i++) log.refuse(`refused ${i}`, 'wrong token');
  log.refuse('refused bad host', 'bad host');
  assert.deepEqual(lines, ['refused 0', 'refused 1']);
  log.flush();
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /^4 more requests refused in the last \d+ s: 3 × wrong token; 1 × bad host$/);
  log.close();
});

test('F26 the web UI under a flood of 3000 unauthenticated requests writes a handful of lines, not one each', { timeout: 60_000 }, async () => {
  const tmp = tempHome('refusals');
  const rendererDir = join(tmp.home, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Corral</title>');
  const lines: string[] = [];
  const ui = await startWebUi(new FakeOwner().api, { rendererDir, log: (l) => lines.push(l) });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: ui.port, path: '/api/snapshot', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end('{}');
      });
    const statuses = await Promise.all(Array.from({ length: 3000 }, one));
    assert.ok(statuses.every((s) => s === 401));
  } finally {
    agent.destroy();
    await ui.close();
    tmp.cleanup();
  }
  // Five lines, then one summary, per 10 s window: a handful, however slow the machine.
  assert.ok(lines.length <= 20, `${lines.length} lines logged`);
  const summaries = lines.filter((l) => / more requests refused in the last \d+ s: /.test(l));
  assert.ok(summaries.length >= 1);
  assert.match(summaries[0]!, /^web ui: \d+ more requests refused in the last \d+ s: \d+ × 401 Missing or wrong credentials/);
  const counted = summaries.reduce((n, l) => n + Number(/: (\d+) more/.exec(l)![1]), 0);
  assert.equal(counted + lines.length - summaries.length, 3000, 'every refusal is in a line or a count');
});
