// One server-sent-events stream. A slow reader must not make the owner buffer
// without bound: while the socket is congested only the newest snapshot is
// kept, and log lines are dropped and counted; when it drains, a `gap` event
// tells the client to resubscribe from where it stands (its line positions).
import type { ServerResponse } from 'node:http';

export interface SseOptions {
  /** Comment line sent this often so proxies and idle timers keep the stream. */
  heartbeatMs?: number;
  /** Bytes queued in the socket beyond which the stream counts as congested. */
  highWaterBytes?: number;
  /** Extra response headers (security headers). */
  headers?: Record<string, string>;
}

const MAX_LINES_PER_EVENT = 2000;

/** One event in the wire format. `data` is JSON, which has no raw newlines. */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SseStream<Line = unknown> {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly highWater: number;
  private pendingSnapshot: { event: string; data: unknown } | null = null;
  private lines: Line[] = [];
  private flushQueued = false;
  private dropped = 0;
  private waitingDrain = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly res: ServerResponse, opts: SseOptions = {}) {
    this.highWater = opts.highWaterBytes ?? 4 << 20;
    res.writeHead(200, {
      ...opts.headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    // Reconnect quickly after a drop; the client catches up on its own.
    res.write('retry: 1000\n\n');
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    res.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  private get congested(): boolean {
    return this.res.writableLength > this.highWater;
  }

  private write(chunk: string): void {
    if (this.closed) return;
    this.res.write(chunk);
    if (this.congested) this.awaitDrain();
  }

  private awaitDrain(): void {
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    this.res.once('drain', () => {
      this.waitingDrain = false;
      if (this.closed) return;
      const snap = this.pendingSnapshot;
      this.pendingSnapshot = null;
      if (snap) this.write(formatEvent(snap.event, snap.data));
      if (this.dropped > 0) {
        this.write(formatEvent('gap', { dropped: this.dropped }));
        this.dropped = 0;
      }
      this.queueFlush();
    });
  }

  /** For state: when congested, a newer value replaces one not yet sent. */
  sendLatest(event: string, data: unknown): void {
    if (this.closed) return;
    if (this.congested || this.waitingDrain) {
      this.pendingSnapshot = { event, data };
      this.awaitDrain();
      return;
    }
    this.write(formatEvent(event, data));
  }

  send(event: string, data: unknown): void {
    this.write(formatEvent(event, data));
  }

  /** Log lines: batched per tick, dropped (and counted) while congested. */
  sendLines(lines: readonly Line[]): void {
    if (this.closed || lines.length === 0) return;
    for (const l of lines) this.lines.push(l);
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued || this.lines.length === 0) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (this.closed) return;
      if (this.congested || this.waitingDrain) {
        this.dropped += this.lines.length;
        this.lines = [];
        this.awaitDrain();
        return;
      }
      const all = this.lines;
      this.lines = [];
      for (let i = 0; i < all.length; i += MAX_LINES_PER_EVENT) {
        if (this.congested) {
          this.dropped += all.length - i;
          this.awaitDrain();
          break;
        }
        this.write(formatEvent('logs', { lines: all.slice(i, i + MAX_LINES_PER_EVENT) }));
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.lines = [];
    this.pendingSnapshot = null;
    if (!this.res.writableEnded) this.res.end();
    for (const fn of this.closeListeners.splice(0)) {
      try {
        fn();
      } catch {}
    }
  }
}
