// What a service did lately, for its detail view (`describeService`): its last
// exits and its last health results. The snapshot carries only the latest of
// each; this keeps a few more, in memory, for the life of the supervisor.
import type { ExitInfo, HealthResult } from '../../shared/state.js';

/** How many of each are kept. */
export const HISTORY_SIZE = 10;

/** The last `size` values pushed, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];
  constructor(private readonly size: number) {}

  push(value: T): void {
    this.items.push(value);
    if (this.items.length > this.size) this.items.shift();
  }

  /** Newest first (how a view lists them). */
  newestFirst(): T[] {
    return this.items.slice().reverse();
  }
}

export class ServiceHistory {
  readonly exits = new Ring<ExitInfo>(HISTORY_SIZE);
  readonly health = new Ring<HealthResult>(HISTORY_SIZE);
  private lastExit: ExitInfo | null = null;
  private lastHealth: HealthResult | null = null;

  /** Called with every value the supervisor's `lastExit` takes; records each exit once. */
  exit(e: ExitInfo | null): void {
    if (e && e !== this.lastExit) this.exits.push(e);
    this.lastExit = e;
  }

  /** Called with every value the supervisor's `health` takes; records each result once. */
  healthResult(h: HealthResult | null): void {
    if (h && h !== this.lastHealth) this.health.push(h);
    this.lastHealth = h;
  }
}
