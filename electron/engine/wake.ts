// Sleep/wake and stalls, seen from inside the owner. During suspend the
// monotonic clock stops while the wall clock runs on; during a stall (SIGSTOP,
// a blocked loop) the tick itself arrives late. Either way every service is
// re-checked at once instead of waiting for timers that fired late (F22).
import { every } from './scheduler.js';

export interface WakeInfo {
  kind: 'clock-jump' | 'stall';
  gapMs: number;
}

export function watchForWake(onWake: (info: WakeInfo) => void, opts: { tickMs?: number; thresholdMs?: number } = {}): () => void {
  const tickMs = opts.tickMs ?? 1000;
  const thresholdMs = opts.thresholdMs ?? Math.max(3 * tickMs, 3000);
  let lastWall = Date.now();
  let lastMono = performance.now();
  // The owner's heartbeat: the other periodic jobs (scheduler.ts) share its wakes.
  return every(tickMs, () => {
    const wall = Date.now();
    const mono = performance.now();
    const wallGap = wall - lastWall;
    const monoGap = mono - lastMono;
    lastWall = wall;
    lastMono = mono;
    if (wallGap - monoGap > thresholdMs) onWake({ kind: 'clock-jump', gapMs: wallGap - monoGap });
    else if (monoGap - tickMs > thresholdMs) onWake({ kind: 'stall', gapMs: monoGap });
  }, { ref: false });
}
