// A `log` readiness check: ready when a line the service wrote since this
// start matches a regular expression ("Server started", "ready to accept
// connections"). It reads what was appended to the service's log file since
// its last look, a bounded amount at a time, never the whole file again.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** At most this much is read per look (a flood cannot stall the owner). */
const READ_BYTES = 1 << 20;
/** A line longer than this is judged on its first part. */
const MAX_LINE = 16 * 1024;

export class LogMatcher {
  private offset: number;
  private partial = '';
  private lines = 0;
  private readonly re: RegExp;

  constructor(
    private readonly file: string,
    pattern: string,
    /** Where this start's output begins in the file. */
    from = 0,
  ) {
    this.offset = from;
    this.re = new RegExp(pattern);
  }

  /** Reads what is new; ok with the matching line, else how many lines were seen. */
  check(): { ok: boolean; detail: string } {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch (e) {
      return { ok: false, detail: `cannot read its log (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    if (size < this.offset) {
      // Truncated or replaced (a rotation): start over with what is there now.
      this.offset = 0;
      this.partial = '';
    }
    if (size > this.offset) {
      const len = Math.min(size - this.offset, READ_BYTES);
      const buf = Buffer.alloc(len);
      let fd: number | null = null;
      try {
        fd = openSync(this.file, 'r');
        const n = readSync(fd, buf, 0, len, this.offset);
        this.offset += n;
        const parts = (this.partial + buf.subarray(0, n).toString('utf8')).split('\n');
        this.partial = (parts.pop() ?? '').slice(0, MAX_LINE);
        for (const raw of parts) {
          this.lines++;
          const line = raw.replace(/\r$/, '').slice(0, MAX_LINE);
          if (this.re.test(line)) return { ok: true, detail: `log line matched /${this.re.source}/: ${line.length > 120 ? `${line.slice(0, 119)}…` : line}` };
        }
      } catch (e) {
        return { ok: false, detail: `cannot read its log (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
      } finally {
        if (fd !== null) closeSync(fd);
      }
    }
    return { ok: false, detail: `no log line matches /${this.re.source}/ yet (${this.lines} line${this.lines === 1 ? '' : 's'} written)` };
  }
}
