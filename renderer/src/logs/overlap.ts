// Joining a history read with followed lines. The owner numbers history lines
// from the end of the file and stamps followed lines as it reads them, so the
// same line has different (seq, ts) in the two; what they share is the text and
// the order within one service. These helpers find the seam by text (KMP, so a
// chatty service does not make it quadratic).
import type { LogLine } from '../../../shared/api.js';

function failure(p: readonly string[]): Int32Array {
  const f = new Int32Array(p.length);
  let k = 0;
  for (let i = 1; i < p.length; i++) {
    while (k > 0 && p[i] !== p[k]) k = f[k - 1]!;
    if (p[i] === p[k]) k++;
    f[i] = k;
  }
  return f;
}

/** Longest k such that the last k items of `a` equal the first k items of `b`. */
export function overlap(a: readonly string[], b: readonly string[]): number {
  const m = Math.min(a.length, b.length);
  if (m === 0) return 0;
  const p = b.slice(0, m);
  const f = failure(p);
  let k = 0;
  for (let i = a.length - m; i < a.length; i++) {
    while (k > 0 && a[i] !== p[k]) k = f[k - 1]!;
    if (a[i] === p[k]) k++;
    if (k === m && i < a.length - 1) k = f[k - 1]!;
  }
  return k;
}

/** Index just after the last full occurrence of `tail` in `items`, or -1. */
export function endOfLast(items: readonly string[], tail: readonly string[]): number {
  if (tail.length === 0) return -1;
  const f = failure(tail);
  let k = 0;
  let found = -1;
  for (let i = 0; i < items.length; i++) {
    while (k > 0 && items[i] !== tail[k]) k = f[k - 1]!;
    if (items[i] === tail[k]) k++;
    if (k === tail.length) {
      found = i + 1;
      k = f[k - 1]!;
    }
  }
  return found;
}

function byService(lines: readonly LogLine[]): Map<string, LogLine[]> {
  const m = new Map<string, LogLine[]>();
  for (const l of lines) {
    let list = m.get(l.service);
    if (!list) m.set(l.service, (list = []));
    list.push(l);
  }
  return m;
}

const texts = (lines: readonly LogLine[]) => lines.map((l) => l.text);

/**
 * The followed lines that `history` does not already contain. `live` holds
 * every line followed since before `history` was read, so per service its
 * start may repeat the end of the history.
 */
export function liveAfterHistory(history: readonly LogLine[], live: readonly LogLine[]): LogLine[] {
  if (live.length === 0) return [];
  const hist = byService(history);
  const drop = new Map<string, number>();
  for (const [service, lines] of byService(live)) {
    const h = hist.get(service);
    // Only the end of the history can overlap: no need to copy a million texts.
    drop.set(service, h ? overlap(texts(h.slice(-lines.length)), texts(lines)) : 0);
  }
  const seen = new Map<string, number>();
  return live.filter((l) => {
    const n = seen.get(l.service) ?? 0;
    seen.set(l.service, n + 1);
    return n >= (drop.get(l.service) ?? 0);
  });
}

/**
 * After a break in following: the lines of a fresh tail read that come after
 * what was delivered (`delivered` maps a service to its last few texts).
 */
export function linesAfterDelivered(tail: readonly LogLine[], delivered: ReadonlyMap<string, readonly string[]>): LogLine[] {
  const out: LogLine[] = [];
  for (const [service, lines] of byService(tail)) {
    const last = delivered.get(service);
    const from = last && last.length > 0 ? endOfLast(texts(lines), last) : -1;
    // Not found: the break was longer than the tail; deliver all of it.
    for (const l of from === -1 ? lines : lines.slice(from)) out.push(l);
  }
  return out;
}
