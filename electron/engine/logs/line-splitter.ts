// Cuts a service's bytes into log lines, the same way in every reader (the
// owner's tailer and its history reads), so a line has the same identity (its
// byte position) whoever read it. Two rules keep memory bounded whatever the
// service writes:
// - a line longer than LINE_CAP_BYTES is delivered as pieces of at most that
//   size, each but the last marked `cont` (one 200 MB line without a newline
//   must not become one 200 MB string in the owner, the CLI or the window);
// - a line redrawn with `\r` (a progress bar) is delivered as its last state,
//   not as every frame: a `\r` starts the line over.
// Splitting depends only on the bytes since the last newline, so a reader that
// starts at any line start produces the same pieces at the same positions.

/**
 * 16 KiB, Docker's json-file cut, rather than journald's 48 KiB: the window
 * holds up to a million lines and draws one row per piece, and a reader keeps
 * up to (lines asked) × cap bytes; real log lines above 16 KiB are rare, and
 * their pieces are marked so a consumer can join them again.
 */
export const LINE_CAP_BYTES = 16 * 1024;

/** One line (or piece) as the splitter emits it: `pos` is the absolute byte position of its first byte. */
export interface RawLine {
  pos: number;
  text: string;
  cont: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

/** Length of `buf` without an unfinished UTF-8 sequence at its end (so a cut never splits a character). */
function utf8Cut(buf: Buffer): number {
  for (let k = 1; k <= 3 && k <= buf.length; k++) {
    const b = buf[buf.length - k]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > k ? buf.length - k : buf.length;
  }
  return buf.length;
}

export class LineSplitter {
  /** The frame being read (bytes since the last newline, `\r` or piece), at most `cap` bytes. */
  private frame: Buffer[] = [];
  private frameLen = 0;
  private frameStart: number;
  /** The last complete non-empty frame of this line (before a `\r`): what a line ending in `\r\n` shows. */
  private last: { pos: number; bytes: Buffer } | null = null;

  constructor(
    /** Absolute position of the first byte pushed; must be a line start. */
    private at: number,
    private readonly cap = LINE_CAP_BYTES,
  ) {
    this.frameStart = at;
  }

  /** Where the next byte pushed goes. */
  get position(): number {
    return this.at;
  }

  /** The position of the first byte not yet part of an emitted line: every line before it was emitted. */
  get pending(): number {
    return this.last ? this.last.pos : this.frameStart;
  }

  /** Feeds bytes; calls `emit` for each line (or piece) they complete. */
  push(buf: Buffer, emit: (l: RawLine) => void): void {
    let i = 0;
    while (i < buf.length) {
      // The next newline or carriage return, but no further than the frame may grow.
      const room = this.cap - this.frameLen;
      let j = i;
      const stop = Math.min(buf.length, i + room + 1);
      while (j < stop && buf[j] !== NL && buf[j] !== CR) j++;
      if (j - i > room) {
        // The frame would pass the cap: emit a piece (cut on a character boundary) and go on.
        this.add(buf.subarray(i, i + room));
        const whole = Buffer.concat(this.frame, this.frameLen);
        const n = utf8Cut(whole);
        emit({ pos: this.frameStart, text: whole.subarray(0, n).toString('utf8'), cont: true });
        const rest = whole.subarray(n);
        this.frame = rest.length > 0 ? [Buffer.from(rest)] : [];
        this.frameLen = rest.length;
        this.frameStart += n;
        this.last = null;
        this.at += room;
        i += room;
        continue;
      }
      this.add(buf.subarray(i, j));
      this.at += j - i;
      i = j;
      if (i >= buf.length) break;
      const c = buf[i]!;
      this.at++;
      i++;
      if (c === CR) {
        if (this.frameLen > 0) this.last = { pos: this.frameStart, bytes: Buffer.concat(this.frame, this.frameLen) };
        this.frame = [];
        this.frameLen = 0;
        this.frameStart = this.at;
        continue;
      }
      // Newline: the frame if it has text, else the last state before `\r`, else an empty line.
      if (this.frameLen > 0 || !this.last) emit({ pos: this.frameStart, text: Buffer.concat(this.frame, this.frameLen).toString('utf8'), cont: false });
      else emit({ pos: this.last.pos, text: this.last.bytes.toString('utf8'), cont: false });
      this.frame = [];
      this.frameLen = 0;
      this.frameStart = this.at;
      this.last = null;
    }
  }

  /** Ends an unfinished line (its file was rotated away, or a read wants it): emits what it holds. */
  flush(emit: (l: RawLine) => void): void {
    if (this.frameLen > 0) emit({ pos: this.frameStart, text: Buffer.concat(this.frame, this.frameLen).toString('utf8'), cont: false });
    else if (this.last) emit({ pos: this.last.pos, text: this.last.bytes.toString('utf8'), cont: false });
    this.frame = [];
    this.frameLen = 0;
    this.frameStart = this.at;
    this.last = null;
  }

  /** Bytes held for the unfinished line (bounded by twice the cap). */
  get held(): number {
    return this.frameLen + (this.last?.bytes.length ?? 0);
  }

  private add(b: Buffer): void {
    if (b.length === 0) return;
    // A copy: the caller's buffer is reused or large.
    this.frame.push(Buffer.from(b));
    this.frameLen += b.length;
  }
}
