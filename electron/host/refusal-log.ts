// Refused requests, told to the owner log without flooding it: a hostile or
// broken client can send thousands a second, and the log's kept history would
// be overwritten in under a minute. The first few of a window are logged as
// they come; the rest are counted by reason and summarised once per window.

export interface RefusalLogOptions {
  /** Length of a window (default 10 s). */
  windowMs?: number;
  /** Refusals logged one by one per window before counting starts (default 5). */
  burst?: number;
  /** Put before the summary line (`web ui: `, `control: `). */
  prefix?: string;
}

export class RefusalLog {
  private readonly windowMs: number;
  private readonly burst: number;
  private readonly prefix: string;
  private windowStart = 0;
  private logged = 0;
  private readonly counted = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: (line: string) => void,
    opts: RefusalLogOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 10_000;
    this.burst = opts.burst ?? 5;
    this.prefix = opts.prefix ?? '';
  }

  /** `line` is logged as is while under the burst; beyond it, only `reason` is counted. */
  refuse(line: string, reason: string): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs && this.counted.size === 0) {
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < this.burst) {
      this.logged++;
      this.log(line);
      return;
    }
    this.counted.set(reason, (this.counted.get(reason) ?? 0) + 1);
    // The summary is written when the window ends, by a timer that never throws.
    this.timer ??= setTimeout(() => this.flush(), Math.max(1, this.windowStart + this.windowMs - now));
    this.timer.unref();
  }

  /** Writes the summary of what was counted, if anything. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.counted.size === 0) return;
    const total = [...this.counted.values()].reduce((a, b) => a + b, 0);
    const reasons = [...this.counted.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${n} × ${reason}`)
      .join('; ');
    const seconds = Math.max(1, Math.round((Date.now() - this.windowStart) / 1000));
    this.counted.clear();
    // A new window begins: the next refusals are logged one by one again, up to the burst.
    this.windowStart = Date.now();
    this.logged = 0;
    try {
      this.log(`${this.prefix}${total} more requests refused in the last ${seconds} s: ${reasons}`);
    } catch {}
  }

  close(): void {
    this.flush();
  }
}
