// Reading and following service logs. Services write their files directly; the
// owner tails them (fs.watch as a hint, stat polling as the truth), detects
// truncation and rotation, and stamps lines as it reads them (the time a
// line arrived; history read back from a file has only the lines' own
// timestamps) so several services can be merged in time order.
import { openSync, readSync, closeSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';
import type { LogBatch, LogCursor, LogLine } from '../../../shared/api.js';
import type { DataDir } from '../state/paths.js';
import { advanceLogBase, readLogBase } from './log-files.js';
import { LINE_CAP_BYTES, LineSplitter, type RawLine } from './line-splitter.js';

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
    const buf = Buffer.allocUnsafe(Math.max(0, to - from));
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

const CHUNK = 1 << 20;
/** One read keeps at most this much text per service (the newest), whatever number of lines was asked. */
const READ_MAX_CHARS = 8 << 20;
/**
 * A tailer reads at most this fast (and this much at once): the files are the
 * buffer, so a flood is followed late rather than held in the owner's memory
 * or queued to followers faster than they read (the control socket drops a
 * client with 32 MiB queued).
 */
const READ_RATE_BYTES_PER_S = 8 << 20;
const READ_BURST_BYTES = 2 << 20;

/** Feeds file[from..to) to the splitter a chunk at a time (a huge file is never one buffer). */
function feed(path: string, from: number, to: number, splitter: LineSplitter, emit: (l: RawLine) => void): void {
  for (let pos = from; pos < to; ) {
    const buf = readRange(path, pos, Math.min(to, pos + CHUNK));
    if (buf.length === 0) return;
    splitter.push(buf, emit);
    pos += buf.length;
  }
}

/** Offset just after the last newline before `at` (0 if none): a line start, from which splitting gives the same lines. */
function lineStartBefore(path: string, at: number): number {
  for (let pos = at; pos > 0; ) {
    const from = Math.max(0, pos - CHUNK);
    const i = readRange(path, from, pos).lastIndexOf(0x0a);
    if (i !== -1) return from + i + 1;
    pos = from;
  }
  return 0;
}

/** Byte offset where the last `want` lines of `file` before `size` begin: reads backwards, counting newlines. */
function tailStart(file: string, size: number, want: number): number {
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

/** One file of a service's log: the current one or a kept rotation, with the position of its first byte. */
export interface LogFile {
  path: string;
  base: number;
  size: number;
  ino: number;
  mtimeMs: number;
  birthMs: number;
}

/**
 * Every file of the service's log, oldest first: the kept rotations (`.1`,
 * `.2`, … as many as exist, up to the first missing one) and the current file.
 */
export function logFiles(path: string): LogFile[] {
  let base = readLogBase(path);
  const out: LogFile[] = [];
  const at = (p: string, b: number, st: { size: number; ino: number; mtimeMs: number; birthtimeMs: number; ctimeMs: number }): LogFile => ({
    path: p,
    base: b,
    size: st.size,
    ino: st.ino,
    mtimeMs: st.mtimeMs,
    birthMs: Math.min(st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs, st.mtimeMs),
  });
  try {
    out.push(at(path, base, statSync(path)));
  } catch {}
  for (let k = 1; ; k++) {
    let st;
    try {
      st = statSync(`${path}.${k}`);
    } catch {
      break;
    }
    base -= st.size;
    out.unshift(at(`${path}.${k}`, base, st));
  }
  return out;
}

export interface ReadOptions {
  lines: number;
  since?: number;
  /** Only lines at or after this position. */
  from?: number;
  /** Only lines before this position. */
  before?: number;
  /** Where a follower stands: only lines it has been given (the unfinished one is its to deliver). */
  cut?: number;
}

/**
 * The last `lines` lines of one service, from every kept file (the current
 * one and its rotations, oldest first). A line's time (`at`) is known only
 * where it starts with its own timestamp; the others are ordered (`ts`) by an
 * estimate between the file's birth and last write by byte offset, good
 * enough to interleave history, and carry no `at`.
 */
export function readServiceLog(path: string, stack: string, service: string, opts: ReadOptions): LogLine[] {
  const { lines, since, from, before, cut } = opts;
  const files = logFiles(path);
  const chunks: LogLine[][] = [];
  let have = 0;
  // Reading a little past `before` completes the piece that ends there.
  const end = Math.min(cut ?? Infinity, before !== undefined ? before + LINE_CAP_BYTES + 8 : Infinity);
  for (let k = files.length - 1; k >= 0 && have < lines; k--) {
    const f = files[k]!;
    const current = f.path === path;
    const hi = Math.min(f.size, end - f.base);
    if (hi <= 0) continue;
    if (from !== undefined && from >= f.base + hi) break;
    const lo = from !== undefined && from > f.base ? lineStartBefore(f.path, from - f.base) : 0;
    // A couple more newline-lines than asked: a few around `before` or `from` are filtered out.
    const start = Math.max(lo, tailStart(f.path, hi, lines - have + 2));
    let chunk: LogLine[] = [];
    let head = 0;
    let bytes = 0;
    const keep = (l: RawLine) => {
      if (from !== undefined && l.pos < from) return;
      if (before !== undefined && l.pos >= before) return;
      const off = l.pos - f.base;
      // Only the line's own timestamp is a known time; the estimate orders it, and is never shown.
      const own = parseLineTimestamp(l.text);
      const ts = own ?? (f.size > 0 ? f.birthMs + ((f.mtimeMs - f.birthMs) * off) / f.size : f.mtimeMs);
      if (since !== undefined && ts < since) return;
      chunk.push({ stack, service, ts, seq: l.pos, text: l.text, ...(own !== null ? { at: own, stamped: true as const } : {}), ...(l.cont ? { cont: true as const } : {}) });
      bytes += l.text.length;
      // Bounded whatever the file holds: only the last lines asked, and at most READ_MAX_CHARS of text.
      while (chunk.length - head > lines - have || bytes > READ_MAX_CHARS) bytes -= chunk[head++]!.text.length;
      if (head > 4096 && head > chunk.length / 2) {
        chunk = chunk.slice(head);
        head = 0;
      }
    };
    const splitter = new LineSplitter(f.base + start);
    feed(f.path, start, hi, splitter, keep);
    // A rotated file is complete; so is the current one when nobody follows it.
    if (hi === f.size && (!current || cut === undefined)) splitter.flush(keep);
    const take = chunk.slice(head);
    have += take.length;
    chunks.unshift(take);
    if (from !== undefined && from >= f.base) break;
  }
  return inFileOrder(chunks.flat());
}

/**
 * Keeps a service's lines in their own (file) order when merged by `ts`: an
 * order key never goes back (a line stamped earlier than the one before it,
 * or an estimate behind a stamp, takes the previous key). `at` is untouched.
 */
function inFileOrder(lines: LogLine[]): LogLine[] {
  let prev = -Infinity;
  for (const l of lines) {
    if (l.ts < prev) l.ts = prev;
    else prev = l.ts;
  }
  return lines;
}

/**
 * Follows one service's log from its current end, across rotations: it reads
 * by position (base, offset), so a change of the base (log-files.ts) says the
 * bytes it was reading moved to a rotated file, which it finishes first.
 */
class Tailer {
  private base: number;
  private ino = -1;
  private offset = 0;
  private splitter: LineSplitter;
  private tokens = READ_BURST_BYTES;
  /** The last order key delivered: the next is never before it (see inFileOrder). */
  private lastTs = -Infinity;
  private refilled = performance.now();
  private timer: NodeJS.Timeout;
  private watcher: FSWatcher | null = null;
  private readonly listeners = new Set<(lines: LogLine[]) => void>();

  constructor(
    private readonly path: string,
    private readonly stack: string,
    private readonly service: string,
    pollMs: number,
  ) {
    this.base = readLogBase(path);
    let start = 0;
    let size = 0;
    try {
      const st = statSync(path);
      this.ino = st.ino;
      size = st.size;
      start = lineStartBefore(path, size);
    } catch {}
    // The unfinished last line is read (not delivered) so its pieces match a history read's.
    this.splitter = new LineSplitter(this.base + start);
    feed(path, start, size, this.splitter, () => {});
    this.offset = size;
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

  /** Everything before this position has been delivered (the follower's cursor). */
  get pending(): number {
    return this.splitter.pending;
  }

  poll(): void {
    const now = Date.now();
    const lines: LogLine[] = [];
    // Read as it arrived: the read time is when the line was written (to within the poll interval).
    const emit = (l: RawLine) => {
      const own = parseLineTimestamp(l.text);
      const at = own ?? now;
      this.lastTs = Math.max(this.lastTs, at);
      lines.push({ stack: this.stack, service: this.service, ts: this.lastTs, at, ...(own !== null ? { stamped: true as const } : {}), seq: l.pos, text: l.text, ...(l.cont ? { cont: true as const } : {}) });
    };
    try {
      this.read(emit);
    } catch {
      // A file vanishing mid-read: the next poll sees where things stand.
    }
    if (lines.length > 0) for (const l of this.listeners) l(lines);
  }

  /**
   * Reads on from (base, offset), at a bounded pace (READ_RATE_BYTES_PER_S:
   * a flood is followed late, never buffered whole). When the base moved on, the bytes
   * being read are in a rotated file (found by its base): it is finished, then
   * each newer one, then the current file.
   */
  private read(emit: (l: RawLine) => void): void {
    const t = performance.now();
    this.tokens = Math.min(READ_BURST_BYTES, this.tokens + ((t - this.refilled) / 1000) * READ_RATE_BYTES_PER_S);
    this.refilled = t;
    const start = Math.floor(this.tokens);
    let budget = start;
    try {
      this.readUpTo(emit, () => budget, (n) => (budget -= n));
    } finally {
      this.tokens -= start - budget;
    }
  }

  private readUpTo(emit: (l: RawLine) => void, left: () => number, spend: (n: number) => void): void {
    while (left() > 0) {
      const budget = left();
      const currentBase = readLogBase(this.path);
      if (this.base === currentBase) {
        let st;
        try {
          st = statSync(this.path);
        } catch {
          return;
        }
        if (this.ino !== -1 && (st.ino !== this.ino || st.size < this.offset)) {
          // Truncated or replaced outside Corral: positions go on after what was read, never back.
          this.splitter.flush(emit);
          if (this.offset > 0) advanceLogBase(this.path, this.offset);
          this.base = readLogBase(this.path);
          this.offset = 0;
          this.splitter = new LineSplitter(this.base);
        }
        this.ino = st.ino;
        const to = Math.min(st.size, this.offset + budget);
        feed(this.path, this.offset, to, this.splitter, emit);
        spend(to - this.offset);
        this.offset = to;
        return;
      }
      const rotated = logFiles(this.path).filter((f) => f.path !== this.path);
      const f = rotated.find((x) => x.base === this.base);
      if (!f) {
        // Pruned before it was read (or the base was reset): go on with the oldest file after it.
        this.splitter.flush(emit);
        const next = rotated.find((x) => x.base > this.base);
        this.base = next ? next.base : currentBase;
        this.offset = 0;
        this.ino = -1;
        this.splitter = new LineSplitter(this.base);
        continue;
      }
      const to = Math.min(f.size, this.offset + budget);
      feed(f.path, this.offset, to, this.splitter, emit);
      spend(to - this.offset);
      this.offset = to;
      if (to < f.size) return;
      this.splitter.flush(emit);
      this.base = f.base + f.size;
      this.offset = 0;
      this.ino = -1;
      this.splitter = new LineSplitter(this.base);
    }
  }

  /** Reads what is new (delivering it to the listeners) and says where that leaves the log. */
  cut(): number {
    this.poll();
    return this.base + this.offset;
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

export interface FollowOptions {
  history?: HistoryOptions;
  /** Per service, resume at this position: history and live lines from it on. */
  from?: LogCursor;
}

/** Lines a resume may bring back at once (an owner away for long while a service was chatty). */
const RESUME_MAX_LINES = 1_000_000;

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
  read(stack: string, services: string[], opts: HistoryOptions & { before?: LogCursor } = {}): LogLine[] {
    const n = opts.lines ?? 200;
    const merged = mergeByTime(
      services.map((s) => {
        const cut = this.tailers.get(`${stack}/${s}`)?.cut();
        const before = opts.before?.[s];
        return readServiceLog(this.dir.logFile(stack, s), stack, s, {
          lines: n,
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          ...(before !== undefined ? { before } : {}),
          ...(cut !== undefined ? { cut } : {}),
        });
      }),
    );
    return merged.slice(-n);
  }

  /**
   * Follows new lines. The listener first gets one batch (at once, possibly
   * empty) with the history asked for and the cursor, then every later line
   * exactly once, in order: history and live lines meet at an exact position.
   */
  follow(stack: string, services: string[], listener: (batch: LogBatch) => void, opts: FollowOptions = {}): () => void {
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
    const cursor: LogCursor = {};
    let skipped: LogCursor | undefined;
    const streams: LogLine[][] = [];
    const history = opts.history ? { lines: opts.history.lines ?? 200, ...(opts.history.since !== undefined ? { since: opts.history.since } : {}) } : null;
    services.forEach((s, i) => {
      const t = tailers[i]!;
      const cut = t.cut();
      cursor[s] = t.pending;
      const file = this.dir.logFile(stack, s);
      const from = opts.from?.[s];
      if (from !== undefined) {
        // Past the log's end: the log was reset (its files deleted); what it holds now is all new.
        const lines = readServiceLog(file, stack, s, { lines: RESUME_MAX_LINES, cut, from: from <= cut ? from : -Infinity });
        // A resume keeps the newest lines when the gap is larger than one read: say how much was left out.
        const first = lines[0]?.seq ?? cursor[s]!;
        if (from <= cut && first - from > LINE_CAP_BYTES) (skipped ??= {})[s] = first - from;
        streams.push(lines);
      } else if (history) {
        streams.push(readServiceLog(file, stack, s, { ...history, cut }));
      }
    });
    const merged = mergeByTime(streams);
    listener({ lines: history && !opts.from ? merged.slice(-history.lines) : merged, cursor, ...(skipped ? { skipped } : {}) });
    for (const t of tailers) t.add(lineListener(listener));
    return () => {
      for (const key of keys) {
        const t = this.tailers.get(key);
        if (t?.remove(lineListener(listener))) {
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

// One line listener per batch listener, so several tailers share it and removal finds it.
const lineListeners = new WeakMap<(batch: LogBatch) => void, (lines: LogLine[]) => void>();
function lineListener(listener: (batch: LogBatch) => void): (lines: LogLine[]) => void {
  let l = lineListeners.get(listener);
  if (!l) lineListeners.set(listener, (l = (lines) => listener({ lines })));
  return l;
}
