// The lines the log viewer holds: one service or several merged, in time
// order. Held outside component state (a million lines must not be copied on
// every change); `version` tells the view something changed and
// `stableBefore` which indexes kept their line.
import type { LogLine } from '../../../shared/api.js';
import { hasEscapes, stripAnsi } from './ansi.js';

export type StoredLine = LogLine & { plain?: string };

/** By stamp; on equal stamps a service keeps its own order (the owner merges the same way). */
export function compareLines(a: LogLine, b: LogLine): number {
  return a.ts - b.ts || (a.service === b.service ? a.seq - b.seq : a.service < b.service ? -1 : 1);
}

/** One service: the order of its file, whatever the lines' stamps say. */
export function compareSeq(a: LogLine, b: LogLine): number {
  return a.seq - b.seq;
}

type Compare = (a: LogLine, b: LogLine) => number;

/** The text without escape sequences: what the filter matches and copy copies. */
export function plainText(l: StoredLine): string {
  if (l.plain !== undefined) return l.plain;
  const p = hasEscapes(l.text) || l.text.indexOf('\r') !== -1 ? stripAnsi(l.text) : l.text;
  l.plain = p;
  return p;
}

function isSorted(lines: readonly LogLine[], from: number, compareLines: Compare): boolean {
  for (let i = Math.max(1, from); i < lines.length; i++) if (compareLines(lines[i - 1]!, lines[i]!) > 0) return false;
  return true;
}

function upperBound(lines: readonly LogLine[], x: LogLine, end: number, compareLines: Compare): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareLines(lines[mid]!, x) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class LogStore {
  lines: StoredLine[] = [];
  /** Bumped on every change. */
  version = 0;
  /** Lines before this index are the same as in the previous version. */
  stableBefore = 0;
  private readonly compare: Compare;

  /** `merged`: lines of several services, in time order; else one service's, in the order of its file. */
  constructor(merged = true) {
    this.compare = merged ? compareLines : compareSeq;
  }

  /** Replaces everything (sorted here if it is not). */
  load(lines: StoredLine[]): void {
    this.lines = isSorted(lines, 1, this.compare) ? lines : lines.slice().sort(this.compare);
    this.stableBefore = 0;
    this.version++;
  }

  append(batch: readonly StoredLine[]): void {
    if (batch.length === 0) return;
    const n = this.lines.length;
    for (const l of batch) this.lines.push(l);
    if (isSorted(this.lines, n, this.compare)) {
      this.stableBefore = n;
    } else {
      // A line stamped earlier than what we hold (a timestamp parsed from the
      // line, or a slower service): sort the affected tail into place.
      let first = n;
      for (const l of batch) first = Math.min(first, upperBound(this.lines, l, n, this.compare));
      const tail = this.lines.slice(first).sort(this.compare);
      for (let i = 0; i < tail.length; i++) this.lines[first + i] = tail[i]!;
      this.stableBefore = first;
    }
    this.version++;
  }

  clear(): void {
    this.lines = [];
    this.stableBefore = 0;
    this.version++;
  }
}
