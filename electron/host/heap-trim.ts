// An owner that has just done a burst of work (an `up` of 200 services, a round
// of `status` calls) keeps the garbage it made for as long as it then idles: V8
// collects its old generation only as the heap grows, and an idle owner hardly
// allocates. So once things have been quiet for a moment after work that grew
// the heap, one full collection gives that memory back. It costs a few ms, at
// most once in 10 s and only after 2 MB were allocated since the last one, and
// nothing while nothing happens (no timer runs then).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const QUIET_MS = 2000;
const MIN_GAP_MS = 10_000;
/** Growth of the used heap since the last collection that is worth one. */
const WORTH_BYTES = 2 << 20;

let collect: (() => void) | null | undefined;

/** V8's `gc()`, exposed on demand (the daemon runs without --expose-gc, and the app's main process cannot take V8 flags on its command line). */
function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  return collect;
}

export interface HeapTrim {
  /** Something happened (a call, a state change): the trim waits for quiet. */
  activity(): void;
  dispose(): void;
}

/** `collect`: what a trim runs (default V8's full collection). */
export function heapTrim(opts: { quietMs?: number; collect?: () => void } = {}): HeapTrim {
  let timer: NodeJS.Timeout | null = null;
  let lastAt = -Infinity;
  let base = getHeapStatistics().used_heap_size;
  const arm = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    timer = null;
    if (getHeapStatistics().used_heap_size < base + WORTH_BYTES) return;
    const wait = lastAt + MIN_GAP_MS - performance.now();
    if (wait > 0) return arm(wait);
    (opts.collect ?? collector())?.();
    lastAt = performance.now();
    base = getHeapStatistics().used_heap_size;
  };
  return {
    activity: () => arm(opts.quietMs ?? QUIET_MS),
    dispose() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
