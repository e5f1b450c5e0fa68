// The owner gives back the garbage of a burst of work once things are quiet
// (electron/host/heap-trim.ts): an idle process would otherwise keep it, as V8
// collects the old generation only when the heap grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapStatistics } from 'node:v8';
import { heapTrim } from '../../electron/host/heap-trim.js';
import { waitFor } from '../helpers/env.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a collection once things are quiet after work that grew the heap; none without activity, none without growth', async () => {
  let runs = 0;
  const trim = heapTrim({ quietMs: 100, collect: () => runs++ });
  try {
    const kept = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `line ${i}` }));
    await pause(300);
    assert.equal(runs, 0, 'nothing reported: no timer, no collection');
    trim.activity();
    trim.activity();
    await waitFor(() => runs === 1, 5000, 'one collection after the quiet');
    // The heap has not grown since: activity alone is not worth a collection.
    trim.activity();
    await pause(400);
    assert.equal(runs, 1);
    assert.equal(kept.length, 200_000);
  } finally {
    trim.dispose();
  }
});

test("V8's own full collection is reachable without --expose-gc and frees what a burst left", async () => {
  const trim = heapTrim({ quietMs: 50 });
  try {
    let burst: { i: number; s: string }[] | null = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `line ${i}` }));
    const peak = getHeapStatistics().used_heap_size;
    assert.equal(burst.length, 300_000);
    burst = null;
    trim.activity();
    await waitFor(() => getHeapStatistics().used_heap_size < peak - (8 << 20), 5000, 'the burst collected');
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'gc is not left on the global object');
  } finally {
    trim.dispose();
  }
});
