// The log view's time column: what is known of when a line was written
// (shared/api.ts `LogLine.at`), never an invented time. One width whatever
// the value, so the text after it never moves.
import type { LogLine } from '../../../shared/api.js';

/** Characters the column takes (the longest form, `MM-DD HH:MM:SS`). */
export const TIME_COLUMN_CH = 14;
const UNKNOWN = '—';

const two = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS.mmm` for a line of today, `MM-DD HH:MM:SS` for an older one, `—` when not known. */
export function lineTime(l: Pick<LogLine, 'at'>, now = Date.now()): string {
  if (l.at === undefined) return UNKNOWN;
  const d = new Date(l.at);
  const today = new Date(now);
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  if (d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate()) {
    return `${clock}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  }
  return `${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock}`;
}

/** Where the time comes from, for the column's tooltip. */
export function lineTimeSource(l: Pick<LogLine, 'at' | 'stamped'>): string {
  if (l.at === undefined) return 'Time not known: read back from the log file, and the line has no timestamp of its own';
  const when = new Date(l.at).toString();
  return l.stamped ? `The service's own timestamp: ${when}` : `Arrived (read by Corral) at ${when}`;
}

/** The line's time as copied text: ISO 8601, or `—`. */
export function lineTimeIso(l: Pick<LogLine, 'at'>): string {
  return l.at === undefined ? UNKNOWN : new Date(l.at).toISOString();
}
