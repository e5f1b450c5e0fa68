// Sleep/wake and stalls, seen from inside the owner. During suspend the
// monotonic clock stops while the wall clock runs on; during a stall (SIGSTOP,
// a blocked loop) the tick itself arrives late. Either way every service is
// re-checked at once instead of waiting for timers that fired late (F22).
import { scheduler } from './scheduler.js';

export interface WakeInfo {
  kind: 'clock-jump' | 'stall';
  gapMs: number;
}

export function watchForWake(onWake: (info: WakeInfo) => void, opts: { tickMs?: number; slackMs?: number; thresholdMs?: number } = {}): () => void {
  const tickMs = opts.tickMs ?? 1000;
  // The tick rides other jobs' wakes (a probe's, a poll's) when one comes after `tickMs`; it
  // wakes the owner itself only when none came within `tickMs + slackMs` (5 s by default).
  const slackMs = opts.slackMs ?? 4 * tickMs;
  const thresholdMs = opts.thresholdMs ?? Math.max(3 * tickMs, 3000);
  let lastWall = 0;
  let lastMono = 0;
  let cancel: (() => void) | null = null;
  let stopped = false;
  const next = () => {
    cancel = scheduler.after(tickMs, tick, { ref: false, slackMs });
  };
  // Ticks only while the scheduler has work a sleep could make stale (a probe, a poll): an
  // owner of services that need neither has nothing to re-check, and does not wake each second.
  const resume = () => {
    if (stopped || cancel) return;
    lastWall = Date.now();
    lastMono = performance.now();
    next();
  };
  function tick() {
    cancel = null;
    const wall = Date.now();
    const mono = performance.now();
    const wallGap = wall - lastWall;
    const monoGap = mono - lastMono;
    lastWall = wall;
    lastMono = mono;
    if (wallGap - monoGap > thresholdMs) onWake({ kind: 'clock-jump', gapMs: wallGap - monoGap });
    else if (monoGap - (tickMs + slackMs) > thresholdMs) onWake({ kind: 'stall', gapMs: monoGap });
    if (!stopped && scheduler.busy) next();
  }
  const offBusy = scheduler.onBusy(resume);
  if (scheduler.busy) resume();
  return () => {
    stopped = true;
    cancel?.();
    offBusy();
  };
}
