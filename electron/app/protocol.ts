// Serves renderer/dist over `corral-app://app/…`. A custom scheme instead of
// file:// gives the page a real origin (so the IPC sender check and CSP mean
// something) and keeps the rest of the disk out of reach: every path is
// decoded once, confined to the root, and checked again after symlinks.
import { readFile, realpath, stat } from 'node:fs/promises';
import type { Protocol } from 'electron';
import { APP_HOST, APP_SCHEME } from './app-url.js';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.js';
import { contentType, resolveStaticPath, within, type Resolved } from '../host/web/static-files.js';

export { CONTENT_SECURITY_POLICY, contentType };

export function responseHeaders(path: string): Record<string, string> {
  return {
    'Content-Type': contentType(path),
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

export type ResolvedPath = Resolved;

/** Maps a request URL to a file under `root` (absolute), or says why not. Pure: no file system access. */
export function resolveAppPath(root: string, requestUrl: string): ResolvedPath {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { ok: false, status: 404, reason: `not under ${APP_SCHEME}://${APP_HOST}/` };
  // The URL parser already removed literal dot segments; what is left came
  // percent-encoded (%2e%2e, %2f, %5c) and is refused, not reinterpreted.
  return resolveStaticPath(root, url.pathname);
}

const plain = (status: number, text: string) =>
  new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY } });

/** The request handler for `protocol.handle`; takes and returns the Fetch API's Request/Response, so tests run it in plain Node. */
export function createProtocolHandler(root: string, log: (message: string) => void = () => {}) {
  return async (request: Request): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
    const r = resolveAppPath(root, request.url);
    if (!r.ok) {
      log(`corral-app: ${r.status} for ${request.url}: ${r.reason}`);
      return plain(r.status, r.reason);
    }
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      log(`corral-app: the renderer is not built (${root} is missing); build it, then reload the window`);
      return plain(404, `The renderer is not built: ${root} is missing.`);
    }
    try {
      const real = await realpath(r.path);
      // A symlink inside the root must not lead outside it.
      if (!within(realRoot, real)) {
        log(`corral-app: 403 for ${request.url}: symlink leaves the renderer directory`);
        return plain(403, 'outside the renderer directory');
      }
      if (!(await stat(real)).isFile()) return plain(404, 'not found');
      const body = request.method === 'HEAD' ? null : new Uint8Array(await readFile(real));
      return new Response(body, { status: 200, headers: responseHeaders(real) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return plain(404, 'not found');
      log(`corral-app: 500 for ${request.url}: ${(err as Error).message}`);
      return plain(500, 'could not read the file');
    }
  };
}

/** Must run before the app is ready: privileges are fixed at startup. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    // standard: real origin and relative URLs; secure: a secure context (clipboard, crypto.subtle).
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function serveRenderer(protocol: Pick<Protocol, 'handle'>, root: string, log: (message: string) => void): void {
  protocol.handle(APP_SCHEME, createProtocolHandler(root, log));
}
