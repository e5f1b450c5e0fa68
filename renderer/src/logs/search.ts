// Filtering a million lines without freezing the page: the scan runs in
// slices of a few milliseconds, results are shown as they come, and only the
// lines that changed are scanned again when new ones arrive.
import { plainText, type LogStore } from './log-store.js';

const SLICE_MS = 8;
const BATCH = 4096;

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Case-insensitive literal match; `global` for highlighting. */
export function matcher(query: string, global = false): RegExp | null {
  return query === '' ? null : new RegExp(escapeRegExp(query), global ? 'gi' : 'i');
}

// setTimeout(0) is clamped to 4 ms after a few nestings; a message is not.
const channel = typeof MessageChannel === 'undefined' ? null : new MessageChannel();
const queue: (() => void)[] = [];
if (channel) {
  const port = channel.port1 as unknown as { onmessage: (() => void) | null; unref?: () => void };
  port.onmessage = () => queue.shift()?.();
  // Under Node (unit tests) an open port would keep the process alive.
  port.unref?.();
}
function yieldThen(fn: () => void): void {
  if (!channel) return void setTimeout(fn, 0);
  queue.push(fn);
  channel.port2.postMessage(null);
}

export class LogSearch {
  query = '';
  /** Indexes into store.lines of the matching lines, ascending. */
  matches: number[] = [];
  private re: RegExp | null = null;
  private scanned = 0;
  private seenVersion = -1;
  private running = false;
  private generation = 0;

  constructor(
    private readonly store: LogStore,
    private readonly onProgress: () => void,
  ) {}

  get active(): boolean {
    return this.re !== null;
  }

  get done(): boolean {
    return this.re === null || this.scanned >= this.store.lines.length;
  }

  setQuery(query: string): void {
    if (query === this.query) return;
    this.query = query;
    this.re = matcher(query);
    this.matches = [];
    this.scanned = 0;
    this.seenVersion = this.store.version;
    this.generation++;
    this.running = false;
    if (this.re) this.step(this.generation);
    else this.onProgress();
  }

  /** Call after the store changed. */
  sync(): void {
    if (this.seenVersion === this.store.version) return;
    this.seenVersion = this.store.version;
    const stable = this.store.stableBefore;
    if (stable < this.scanned) {
      let keep = this.matches.length;
      while (keep > 0 && this.matches[keep - 1]! >= stable) keep--;
      this.matches.length = keep;
      this.scanned = stable;
    }
    if (this.re && !this.running) this.step(this.generation);
  }

  private step(gen: number): void {
    if (gen !== this.generation || !this.re) return;
    this.running = true;
    const re = this.re;
    const lines = this.store.lines;
    const deadline = performance.now() + SLICE_MS;
    while (this.scanned < lines.length && performance.now() < deadline) {
      const end = Math.min(lines.length, this.scanned + BATCH);
      for (let i = this.scanned; i < end; i++) if (re.test(plainText(lines[i]!))) this.matches.push(i);
      this.scanned = end;
    }
    this.onProgress();
    if (this.scanned < this.store.lines.length) yieldThen(() => this.step(gen));
    else this.running = false;
  }

  dispose(): void {
    this.generation++;
    this.running = false;
  }
}
