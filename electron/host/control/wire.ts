// The byte level of the control socket: newline-delimited messages with a size
// bound. Kept apart from the schemas (protocol.ts) so a client that only
// sends requests and reads answers does not load zod.

/** A request line longer than this is refused and its connection closed (F21). */
export const MAX_REQUEST_BYTES = 1 << 20;
/** Answers can be large (a page of logs); a client still refuses a runaway line. */
export const MAX_RESPONSE_BYTES = 256 << 20;

export class MessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Message larger than ${limit} bytes; the connection is closed.`);
    this.name = 'MessageTooLargeError';
  }
}

/**
 * Splits a byte stream into lines without ever holding more than `max` bytes
 * of one line: a peer that never sends a newline cannot grow our memory.
 */
export class LineDecoder {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.max) throw new MessageTooLargeError(this.max);
      this.parts.push(piece);
      out.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.size + rest.length > this.max) throw new MessageTooLargeError(this.max);
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return out;
  }
}
