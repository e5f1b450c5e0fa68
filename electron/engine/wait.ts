// Bounded waits for a condition: no fixed sleeps anywhere in Corral.

/** Polls `check` with a growing interval (from `firstMs` up to `maxMs`) until it is truthy or `timeoutMs` passes. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, firstMs = 5, maxMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let delay = firstMs;
  for (;;) {
    if (await check()) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await delayMs(Math.min(delay, left));
    delay = Math.min(delay * 1.5, maxMs);
  }
}

/** A timer as a promise; used only between condition checks. */
export function delayMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
