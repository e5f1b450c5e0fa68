// Who holds a web UI session, without cookies. Cookies are not scoped by port:
// one set by 127.0.0.1:<ours> is sent to every server on 127.0.0.1, the dev
// servers Corral runs included. So nothing is ambient:
//   - `corral ui` gets a one-time code (in the URL it opens: visible in `ps`
//     for a moment, useless once redeemed or after CODE_TTL_MS);
//   - the page redeems it for a session, held in its own sessionStorage
//     (origin-scoped, port included) and sent as `Authorization: Bearer`;
//   - an event stream (EventSource cannot send headers) opens with a ticket
//     the page asks for just before: single use, valid for seconds.
import { randomBytes, timingSafeEqual } from 'node:crypto';

const CODE_TTL_MS = 10 * 60_000;
const TICKET_TTL_MS = 30_000;
/** Beyond these, the oldest is forgotten: nothing here grows with what a client asks. */
const MAX_CODES = 16;
const MAX_SESSIONS = 64;
const MAX_TICKETS = 256;

const secret = (): string => randomBytes(32).toString('base64url');

/** Constant-time equality of two strings of any length. */
export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Secrets kept with an expiry, oldest first; looking one up walks them all in constant time per entry. */
class SecretSet {
  private readonly items: { value: string; until: number }[] = [];

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  add(): string {
    const value = secret();
    this.items.push({ value, until: Date.now() + this.ttlMs });
    if (this.items.length > this.max) this.items.shift();
    return value;
  }

  /** True when `given` is held and live; with `consume`, it is gone afterwards. */
  check(given: string | null | undefined, consume: boolean): boolean {
    const now = Date.now();
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i]!.until <= now) this.items.splice(i, 1);
    let found = -1;
    for (let i = 0; i < this.items.length; i++) if (sameSecret(given, this.items[i]!.value)) found = i;
    if (found < 0) return false;
    if (consume) this.items.splice(found, 1);
    return true;
  }

  clear(): void {
    this.items.length = 0;
  }
}

export class WebSessions {
  private readonly codes = new SecretSet(MAX_CODES, CODE_TTL_MS);
  private readonly sessions = new SecretSet(MAX_SESSIONS, Number.POSITIVE_INFINITY);
  private readonly tickets = new SecretSet(MAX_TICKETS, TICKET_TTL_MS);

  /** A fresh one-time code for the URL `corral ui` opens. */
  newCode(): string {
    return this.codes.add();
  }

  /** Redeems a code (once) for a new session; null when the code is unknown, used or expired. */
  redeem(code: string): string | null {
    return this.codes.check(code, true) ? this.sessions.add() : null;
  }

  isSession(value: string | null | undefined): boolean {
    return this.sessions.check(value, false);
  }

  newTicket(): string {
    return this.tickets.add();
  }

  /** Uses up a ticket; true when it was live. */
  useTicket(value: string | null | undefined): boolean {
    return this.tickets.check(value, true);
  }

  clear(): void {
    this.codes.clear();
    this.sessions.clear();
    this.tickets.clear();
  }
}
