// F23: size-based rotation of a running chatty service's log. The owner
// copies and truncates (the service keeps its O_APPEND descriptor), pausing
// the service for the last copy and the truncate: no line may be lost. The
// same run without the pause measures what plain copy-truncate loses, for the
// README's bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './cli-harness.js';
import { chattyYaml, countLines, writtenSoFar } from './chatty.js';
import { waitFor } from '../helpers/env.js';
import { readFileSync } from 'node:fs';

async function run(label: string, pause: boolean, t: { diagnostic(msg: string): void }) {
  const h = harness(label);
  try {
    const dir = h.project();
    const total = 600_000;
    h.writeStack(dir, `version: 1\nname: rot\nservices:\n${chattyYaml('chatty', total, 150_000)}`);
    const env = { CORRAL_LOG_MAX_BYTES: String(512 * 1024), CORRAL_LOG_CHECK_MS: '50', CORRAL_LOG_KEEP: '1000', ...(pause ? {} : { CORRAL_LOG_PAUSE: '0' }) };
    const up = await h.run(['up'], { cwd: dir, env });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const file = h.dir.logFile('rot', 'chatty');
    // Without the pause the `chatty done` line itself may be lost: then wait for the time the writer needs.
    const t0 = Date.now();
    await waitFor(() => writtenSoFar(file, total) === total || (!pause && Date.now() - t0 > 12_000), 60_000, 'chatty done');
    // Counted with no owner running: no rotation can move files while we read them.
    assert.equal((await h.run(['daemon', 'stop'])).code, 0);
    const c = countLines(file, total);
    const rotations = c.files - 1;
    const pauses = [...readFileSync(h.dir.ownerLog, 'utf8').matchAll(/service paused ([\d.]+) ms/g)].map((m) => Number(m[1]));
    if (pauses.length > 0) t.diagnostic(`pauses: ${pauses.length}, max ${Math.max(...pauses).toFixed(2)} ms, median ${pauses.sort((a, b) => a - b)[pauses.length >> 1]!.toFixed(2)} ms`);
    const lost = c.missing.length;
    t.diagnostic(`${pause ? 'with pause' : 'without pause'}: ${total} lines in ${c.doneMs} ms (${Math.round(total / ((c.doneMs ?? 1) / 1000))} lines/s), ${rotations} rotations, ${lost} lines lost (${rotations ? (lost / rotations).toFixed(2) : 0} per rotation), ${c.duplicates} duplicated`);
    assert.ok(rotations >= 5, `expected several rotations, got ${rotations}`);
    assert.equal((await h.run(['down'], { cwd: dir })).code, 0);
    return { lost, rotations, duplicates: c.duplicates };
  } finally {
    await h.cleanup();
  }
}

test('F23 size rotation under a chatty service (150k lines/s), with the pause: no line lost', async (t) => {
  const r = await run('f23', true, t);
  assert.equal(r.lost, 0, 'lines lost with the pause');
  assert.equal(r.duplicates, 0);
});

test('F23 size rotation without the pause (plain copy-truncate): lines lost counted and reported', async (t) => {
  const r = await run('f23-nopause', false, t);
  // No assertion on the count: this measures the bound the README states for CORRAL_LOG_PAUSE=0.
  t.diagnostic(`copy-truncate without pause lost ${r.lost} lines over ${r.rotations} rotations`);
});
