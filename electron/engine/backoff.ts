// Restart pacing: capped exponential backoff, reset after a stable uptime,
// and crash-loop detection (N crashes within a window → give up, tell the user).
import type { RestartSpec } from '../../shared/stack.js';

export class CrashTracker {
  private crashes: number[] = [];
  private consecutive = 0;

  constructor(private readonly spec: RestartSpec) {}

  /** Records a crash at `now` after `uptimeMs` of running; returns what to do next. */
  crash(now: number, uptimeMs: number): { action: 'restart'; delayMs: number } | { action: 'give-up'; crashes: number } {
    if (uptimeMs >= this.spec.resetAfterMs) this.reset();
    this.crashes = this.crashes.filter((t) => now - t < this.spec.crashLoopWindowMs);
    this.crashes.push(now);
    this.consecutive++;
    if (this.crashes.length >= this.spec.crashLoopCount) return { action: 'give-up', crashes: this.crashes.length };
    return { action: 'restart', delayMs: backoffDelay(this.spec, this.consecutive) };
  }

  reset(): void {
    this.crashes = [];
    this.consecutive = 0;
  }
}

/**
 * Delay before restart number `attempt` (1-based). The first restart after a
 * stable run is immediate (a one-off crash should cost nothing); consecutive
 * crashes then wait backoff, 2×, 4×… capped at maxBackoffMs.
 */
export function backoffDelay(spec: Pick<RestartSpec, 'backoffMs' | 'maxBackoffMs'>, attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(spec.maxBackoffMs, spec.backoffMs * 2 ** (attempt - 2));
}

/** Whether a policy restarts after an exit. */
export function shouldRestart(policy: RestartSpec['policy'], exit: { code: number | null; signal: string | null; requested: boolean }): boolean {
  if (exit.requested) return false;
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return exit.code !== 0 || exit.signal !== null;
}
