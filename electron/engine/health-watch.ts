// Liveness checks of one running instance, as an object the supervisor starts
// and stops: a probe every `interval`, a count of consecutive failures, and a
// promise that settles when the count reaches the threshold (the supervisor
// then ends the instance, where its restart policy allows).
import type { HealthSpec } from '../../shared/stack.js';
import { probe, type ProbeResult } from './probes/index.js';
import { every } from './scheduler.js';
import { raceAbort } from './abort.js';

/** How late past its timeout a failed probe may finish before it is taken for the owner's stall, not the service's. */
const STALL_MARGIN_MS = 1000;

export class HealthWatch {
  private failures = 0;
  private settleFatal: (detail: string) => void = () => {};
  /** Settles with the last probe's detail when `failureThreshold` probes in a row failed. */
  readonly fatal = new Promise<string>((resolve) => (this.settleFatal = resolve));

  constructor(
    private readonly health: HealthSpec,
    private readonly cwd: string,
    /** Aborted when the instance ends or the supervisor stops watching it. */
    private readonly signal: AbortSignal,
    private readonly report: (r: ProbeResult, failures: number) => void,
  ) {}

  /** Probes every interval until the signal aborts. */
  start(): void {
    if (this.signal.aborted) return;
    // Up to a tenth of the interval (at most 500 ms) early, to share the owner's wakes with other
    // jobs: all probes of one interval run together (scheduler.ts).
    const stop = every(this.health.intervalMs, () => this.once(), { slackMs: Math.min(this.health.intervalMs / 10, 500) });
    this.signal.addEventListener('abort', stop, { once: true });
  }

  /** One probe now (also after a wake); reports it unless the watch was stopped meanwhile. */
  async once(): Promise<void> {
    const started = performance.now();
    const r = await raceAbort(probe(this.health.check, { timeoutMs: this.health.timeoutMs, cwd: this.cwd }), this.signal);
    // A probe that could not even open its socket (out of descriptors) says nothing about the service.
    if (r === null || this.signal.aborted || r.transient) return;
    // A failure that took far longer than the probe's own bound says the owner was stopped or
    // starved meanwhile (sleep, SIGSTOP, a stall): its timeout fired late, the service is not to blame (F22).
    if (!r.ok && performance.now() - started > this.health.timeoutMs + STALL_MARGIN_MS) return;
    this.failures = r.ok ? 0 : this.failures + 1;
    this.report(r, this.failures);
    if (this.failures >= this.health.failureThreshold) this.settleFatal(r.detail);
  }

  /** After a sleep or a stall: failures counted across it say nothing about the service. */
  reset(): void {
    this.failures = 0;
  }
}
