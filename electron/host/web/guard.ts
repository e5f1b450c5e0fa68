// Who may talk to the web UI. The server listens on 127.0.0.1 only, but any
// web page the user opens, and any local program, can still send requests
// there; these checks come before anything else:
//   - Host must name our loopback port: a DNS-rebinding page reaches us with
//     its own host name and is refused before anything else.
//   - Any Origin a browser sends must be ours, and fetch metadata must not say
//     another site started the request (a top-level navigation to the page
//     excepted: that is how the page is opened).
//   - The API needs a credential sent on purpose (sessions.ts): the token, or
//     a session, as `Authorization: Bearer`. Nothing ambient (no cookie) counts,
//     so no other page or server, on any port, can ride or read it.
import type { IncomingHttpHeaders } from 'node:http';

export interface GuardConfig {
  port: number;
}

export type GuardResult =
  | { ok: true; origin: string }
  | { ok: false; status: 400 | 401 | 403 | 421; code: 'bad-request' | 'unauthorized'; message: string };

export type Refusal = Extract<GuardResult, { ok: false }>;

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** The Host header if it names us, else null. */
export function checkHost(host: string | undefined, port: number): string | null {
  if (!host) return null;
  const h = host.toLowerCase();
  return allowedHosts(port).includes(h) ? h : null;
}

export function bearer(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
}

export interface GuardRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** A top-level navigation from elsewhere may open this (the page itself). */
  navigable: boolean;
}

/** Host, Origin and fetch metadata: where the request comes from. Who sends it is `unauthorized()`'s question. */
export function guard(req: GuardRequest, cfg: GuardConfig): GuardResult {
  const host = checkHost(req.headers.host, cfg.port);
  if (!host) {
    return { ok: false, status: 421, code: 'bad-request', message: `Host must be 127.0.0.1:${cfg.port} or localhost:${cfg.port}.` };
  }
  const origin = `http://${host}`;
  const sentOrigin = req.headers.origin;
  if (sentOrigin !== undefined && sentOrigin !== origin) {
    return { ok: false, status: 403, code: 'unauthorized', message: `Requests from ${sentOrigin} are not allowed.` };
  }
  // Fetch metadata, where the browser sends it: refuse anything another site started.
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    const navigation = req.headers['sec-fetch-mode'] === 'navigate' && req.method === 'GET';
    if (!(navigation && req.navigable)) {
      return { ok: false, status: 403, code: 'unauthorized', message: 'Cross-site requests are not allowed.' };
    }
  }
  return { ok: true, origin };
}

export function unauthorized(): Refusal {
  return { ok: false, status: 401, code: 'unauthorized', message: 'Missing or wrong credentials. Open the address `corral ui` prints (its one-time code signs this page in).' };
}
