// Who may talk to the web UI. The server listens on 127.0.0.1 only, but any
// web page the user opens can still send requests there; these checks make
// sure only the page we served (or a client holding the token) gets an answer:
//   - Host must name our loopback port: a DNS-rebinding page reaches us with
//     its own host name and is refused before anything else.
//   - The token (Bearer header, or the cookie set from `?token=` on the first
//     page load) is compared in constant time.
//   - Any Origin a browser sends must be ours; a change (POST) authenticated
//     by the cookie must come with that Origin, so no other site can ride it.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface GuardConfig {
  port: number;
  token: string;
}

export type GuardResult =
  | { ok: true; via: 'bearer' | 'cookie' | 'query'; origin: string }
  | { ok: false; status: 400 | 401 | 403 | 421; code: 'bad-request' | 'unauthorized'; message: string };

export const cookieName = (port: number): string => `corral_${port}`;

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** The Host header if it names us, else null. */
export function checkHost(host: string | undefined, port: number): string | null {
  if (!host) return null;
  const h = host.toLowerCase();
  return allowedHosts(port).includes(h) ? h : null;
}

export function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i === -1) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

function bearer(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
}

export interface GuardRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** `?token=` of the URL, honoured only where the caller allows it (the page load). */
  queryToken: string | null;
}

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
    // A top-level navigation from elsewhere (a link in a terminal or a chat) is how the
    // URL is opened the first time; it carries the token and may only read the page.
    if (!(navigation && req.queryToken !== null)) {
      return { ok: false, status: 403, code: 'unauthorized', message: 'Cross-site requests are not allowed.' };
    }
  }
  const viaBearer = bearer(req.headers.authorization);
  if (viaBearer !== null) {
    if (!sameToken(viaBearer, cfg.token)) return deny();
    return { ok: true, via: 'bearer', origin };
  }
  if (req.queryToken !== null) {
    if (!sameToken(req.queryToken, cfg.token)) return deny();
    return { ok: true, via: 'query', origin };
  }
  const fromCookie = readCookie(req.headers.cookie, cookieName(cfg.port));
  if (!sameToken(fromCookie, cfg.token)) return deny();
  // A cookie rides along with any request the browser makes, so a change
  // must prove it comes from our page.
  if (req.method !== 'GET' && req.method !== 'HEAD' && sentOrigin !== origin) {
    return { ok: false, status: 403, code: 'unauthorized', message: 'A change needs the Origin of this page.' };
  }
  return { ok: true, via: 'cookie', origin };
}

function deny(): GuardResult {
  return { ok: false, status: 401, code: 'unauthorized', message: 'Missing or wrong token. Open the URL printed by `corral ui`.' };
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
