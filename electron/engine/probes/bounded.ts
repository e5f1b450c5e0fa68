// Runs one probe attempt under a hard deadline and frees what it made exactly
// once, whichever comes first: probes run every few seconds for days, so a
// socket, timer or child left behind per attempt adds up to an outage.
import type { ProbeResult } from './types.js';

/** Starts the attempt; may call `settle` at any time (even synchronously); returns the cleanup. */
export type Attempt = (settle: (result: ProbeResult) => void) => () => void;

export function bounded(timeoutMs: number, onTimeout: () => ProbeResult, attempt: Attempt): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let cleanup: (() => void) | undefined;
    const runCleanup = (): void => {
      try {
        cleanup?.();
      } catch {}
    };
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      // When settled synchronously inside `attempt`, cleanup is not known yet; it runs below.
      runCleanup();
    };
    const timer = setTimeout(() => {
      let result: ProbeResult;
      try {
        result = onTimeout();
      } catch (err) {
        result = { ok: false, detail: `timed out after ${timeoutMs} ms (${errorMessage(err)})` };
      }
      settle(result);
    }, timeoutMs);
    try {
      cleanup = attempt(settle);
    } catch (err) {
      settle({ ok: false, detail: `probe could not start: ${errorMessage(err)}` });
    }
    if (settled) runCleanup();
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Milliseconds since `t0` (a performance.now() reading), rounded for a human. */
export function since(t0: number): number {
  return Math.round(performance.now() - t0);
}
