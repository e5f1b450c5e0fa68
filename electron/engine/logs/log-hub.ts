// Reading and following service logs. Services write their files directly; the
// owner tails them (fs.watch as a hint, stat polling as the truth), detects
// truncation and rotation, and stamps lines as it reads them so several
// services can be merged in time order.
import { openSync, readSync, closeSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';
import type { LogLine } from '../../../shared/api.js';
import type { DataDir } from '../state/paths.js';

const TS_AT_START = /^\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)/;

/** A timestamp written by the service itself at the start of the line, if any. */
export function parseLineTimestamp(line: string): number | null {
  const m = TS_AT_START.exec(line);
  if (!m) return null;
  const t = Date.parse(m[1]!.replace(' ', 'T').replace(',', '.'));
  return Number.isFinite(t) ? t : null;
}

/** Merges per-service lines by time, keeping each service's own order (stable on equal stamps). */
export function mergeByTime(streams: LogLine[][]): LogLine[] {
  const all = streams.flat();
  return all.sort((a, b) => a.ts - b.ts || (a.service === b.service ? a.seq - b.seq : a.service < b.service ? -1 : 1));
}

function readRange(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, to - from));
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, from + off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Byte offset where the last `want` lines of `file` (of size `size`) begin: reads backwards, counting newlines. */
function tailStart(file: string, size: number, want: number): number {
  const CHUNK = 1 << 20;
  let pos = size;
  let newlines = 0;
  // A final newline ends the last line; it does not start another one.
  let skipLast = size > 0 && readRange(file, size - 1, size)[0] === 0x0a;
  while (pos > 0) {
    const from = Math.max(0, pos - CHUNK);
    const buf = readRange(file, from, pos);
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (skipLast) {
        skipLast = false;
        continue;
      }
      if (++newlines === want) return from + i + 1;
    }
    pos = from;
  }
  return 0;
}

/**
 * The last `lines` lines of one service (current file, then rotated ones).
 * Lines without their own timestamp get one interpolated between the file's
 * birth and last write by byte offset: good enough to interleave history.
 */
export function readServiceLog(path: string, stack: string, service: string, lines: number, since?: number, cut?: Cut): LogLine[] {
  const chunks: LogLine[][] = [];
  let have = 0;
  let seqBase = 0;
  for (const file of [path, `${path}.1`, `${path}.2`]) {
    if (have >= lines) break;
    let st;
    try {
      st = statSync(file);
    } catch {
      continue;
    }
    const want = lines - have;
    // The current file only up to what its followers were given (older files are complete).
    const end = file === path && cut && cut.ino === st.ino ? Math.min(st.size, cut.at) : st.size;
    const start = tailStart(file, end, want);
    const text = readRange(file, start, end).toString('utf8');
    const take = text.split('\n');
    if (take[take.length - 1] === '') take.pop();
    const birth = st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs;
    const t0 = Math.min(birth, st.mtimeMs);
    let offset = start;
    const chunk: LogLine[] = new Array(take.length);
    for (let i = 0; i < take.length; i++) {
      const line = take[i]!;
      const ts = parseLineTimestamp(line) ?? (st.size > 0 ? t0 + ((st.mtimeMs - t0) * offset) / st.size : st.mtimeMs);
      offset += Buffer.byteLength(line) + 1;
      chunk[i] = { stack, service, ts, seq: seqBase - take.length + i, text: line };
    }
    seqBase -= take.length;
    have += take.length;
    chunks.unshift(chunk);
  }
  const out = chunks.flat();
  return since !== undefined ? out.filter((l) => l.ts >= since) : out;
}

/** Where a follower stands in the current file: every complete line before `at` has been delivered. */
export interface Cut {
  ino: number;
  at: number;
}

/** Offset just after the last newline before `size` (looking back at most 64 KiB), so following starts on a line boundary. */
function lineBoundary(path: string, size: number): number {
  if (size === 0) return 0;
  const from = Math.max(0, size - (64 << 10));
  const i = readRange(path, from, size).lastIndexOf(0x0a);
  return i === -1 ? (from === 0 ? 0 : size) : from + i + 1;
}

/** Follows one file from its current end; survives truncation and rotation (rename + new file). */
class Tailer {
  private ino = -1;
  private offset = 0;
  private partial = '';
  private seq = 0;
  private timer: NodeJS.Timeout;
  private watcher: FSWatcher | null = null;
  private readonly listeners = new Set<(lines: LogLine[]) => void>();

  constructor(
    private readonly path: string,
    private readonly stack: string,
    private readonly service: string,
    pollMs: number,
  ) {
    try {
      const st = statSync(path);
      this.ino = st.ino;
      // An unfinished last line is delivered whole once it ends, not as a fragment.
      this.offset = lineBoundary(path, st.size);
    } catch {}
    this.timer = setInterval(() => this.pollSafely(), pollMs);
    this.timer.unref();
    try {
      this.watcher = watch(dirname(path), (_e, name) => {
        if (name === null || name === basename(path)) this.pollSafely();
      });
      this.watcher.unref();
      this.watcher.on('error', () => {});
    } catch {}
  }

  add(l: (lines: LogLine[]) => void): void {
    this.listeners.add(l);
  }
  remove(l: (lines: LogLine[]) => void): boolean {
    this.listeners.delete(l);
    return this.listeners.size === 0;
  }

  /** From a timer or a watcher: a read that fails (out of descriptors) is retried at the next tick, never thrown. */
  private pollSafely(): void {
    try {
      this.poll();
    } catch {}
  }

  poll(): void {
    let st;
    try {
      st = statSync(this.path);
    } catch {
      return;
    }
    const now = Date.now();
    const lines: LogLine[] = [];
    if (st.ino !== this.ino) {
      // Rotated: finish the old file (now `.1`) if it is the one we were reading.
      try {
        const old = statSync(`${this.path}.1`);
        if (old.ino === this.ino && old.size > this.offset) this.consume(readRange(`${this.path}.1`, this.offset, old.size), now, lines);
      } catch {}
      this.flushPartial(now, lines);
      this.ino = st.ino;
      this.offset = 0;
    } else if (st.size < this.offset) {
      // Truncated: by the size rotation (copy, then truncate) the old bytes are now in `.1`
      // at the same offsets; finish them from there so `logs -f` misses nothing.
      try {
        const copy = statSync(`${this.path}.1`);
        if (copy.size > this.offset && now - copy.mtimeMs < 60_000) this.consume(readRange(`${this.path}.1`, this.offset, copy.size), now, lines);
      } catch {}
      this.flushPartial(now, lines);
      this.offset = 0;
    }
    if (st.size > this.offset) {
      const to = Math.min(st.size, this.offset + (8 << 20));
      this.consume(readRange(this.path, this.offset, to), now, lines);
      this.offset = to;
    }
    if (lines.length > 0) for (const l of this.listeners) l(lines);
  }

  /** Reads what is new (delivering it to the listeners) and says where that leaves the current file. */
  cut(): Cut {
    this.poll();
    return { ino: this.ino, at: this.offset - Buffer.byteLength(this.partial) };
  }

  private consume(buf: Buffer, now: number, out: LogLine[]): void {
    const text = this.partial + buf.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) out.push({ stack: this.stack, service: this.service, ts: parseLineTimestamp(p) ?? now, seq: this.seq++, text: p });
  }

  private flushPartial(now: number, out: LogLine[]): void {
    if (this.partial) out.push({ stack: this.stack, service: this.service, ts: now, seq: this.seq++, text: this.partial });
    this.partial = '';
  }

  close(): void {
    clearInterval(this.timer);
    this.watcher?.close();
    this.listeners.clear();
  }
}

export interface HistoryOptions {
  lines?: number;
  since?: number;
}

export class LogHub {
  private readonly tailers = new Map<string, Tailer>();

  constructor(
    private readonly dir: DataDir,
    private readonly pollMs = 250,
  ) {}

  /**
   * The last lines of these services. Where a service is being followed, its
   * new lines are first delivered to the followers and the history stops where
   * they stand, so a line is never both in a history and delivered after it.
   */
  read(stack: string, services: string[], opts: HistoryOptions = {}): LogLine[] {
    const n = opts.lines ?? 200;
    const merged = mergeByTime(
      services.map((s) => readServiceLog(this.dir.logFile(stack, s), stack, s, n, opts.since, this.tailers.get(`${stack}/${s}`)?.cut())),
    );
    return merged.slice(-n);
  }

  /**
   * Follows new lines. With `history`, the listener first gets the last lines
   * (possibly none) and then every later line, each exactly once, in order.
   */
  follow(stack: string, services: string[], listener: (lines: LogLine[]) => void, history?: HistoryOptions): () => void {
    const keys: string[] = [];
    const tailers: Tailer[] = [];
    for (const s of services) {
      const key = `${stack}/${s}`;
      let t = this.tailers.get(key);
      if (!t) this.tailers.set(key, (t = new Tailer(this.dir.logFile(stack, s), stack, s, this.pollMs)));
      tailers.push(t);
      keys.push(key);
    }
    // Synchronous from the cut to adding the listener: nothing can fall in between.
    if (history) listener(this.read(stack, services, history));
    for (const t of tailers) t.add(listener);
    return () => {
      for (const key of keys) {
        const t = this.tailers.get(key);
        if (t?.remove(listener)) {
          t.close();
          this.tailers.delete(key);
        }
      }
    };
  }

  close(): void {
    for (const t of this.tailers.values()) t.close();
    this.tailers.clear();
  }
}

