// The byte level of the control socket: newline-delimited messages with a size
// bound. Kept apart from the schemas (protocol.ts) so a client that only
// sends requests and reads answers does not load zod.

/** A request line longer than this is refused and its connection closed (F21). */
export const MAX_REQUEST_BYTES = 1 << 20;
/**
 * What all the connections of one server may hold of unfinished request lines
 * together: a hundred peers each sending most of a megabyte without a newline
 * must not grow the owner by a hundred megabytes.
 */
export const MAX_PENDING_BYTES = 8 << 20;
/** Answers can be large (a page of logs); a client still refuses a runaway line. */
export const MAX_RESPONSE_BYTES = 256 << 20;

export class MessageTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Message larger than ${limit} bytes; the connection is closed.`);
    this.name = 'MessageTooLargeError';
  }
}

/** Thrown when the shared budget of unfinished lines is spent: the connection that asks for more is closed. */
export class BudgetExceededError extends Error {
  constructor(readonly limit: number) {
    super(`The owner holds ${limit} bytes of unfinished requests from other connections already; this connection is closed.`);
    this.name = 'BudgetExceededError';
  }
}

/** Bytes of unfinished lines held across every decoder that shares it. */
export class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

/**
 * Splits a byte stream into lines without ever holding more than `max` bytes
 * of one line (nor, with a shared `budget`, more than its limit across all
 * decoders): a peer that never sends a newline cannot grow our memory.
 */
export class LineDecoder {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly max: number,
    private readonly budget?: ByteBudget,
  ) {}

  /** Bytes of an unfinished line held now. */
  get pending(): number {
    return this.size;
  }

  /** Drops what is held (the connection closed) and gives it back to the budget. */
  dispose(): void {
    this.take(-this.size);
    this.parts = [];
    this.size = 0;
  }

  private take(n: number): void {
    if (this.budget) this.budget.used += n;
  }

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
      this.take(-this.size);
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (this.size + rest.length > this.max) throw new MessageTooLargeError(this.max);
      if (this.budget && this.budget.used + rest.length > this.budget.limit) throw new BudgetExceededError(this.budget.limit);
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
      this.take(rest.length);
    }
    return out;
  }
}
