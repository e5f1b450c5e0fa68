// Serves the built renderer, and nothing else on the disk: the path is decoded
// once, encoded dot segments / backslashes / NUL are refused rather than
// reinterpreted, the result must stay under the root, and again after
// following symlinks.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export type Resolved = { ok: true; path: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/** True when `path` is `root` or inside it. */
export const within = (root: string, path: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** Maps a URL path (still percent-encoded, no query) to a file under `root`. Pure. */
export function resolveStaticPath(root: string, urlPath: string): Resolved {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (!path.startsWith('/')) return { ok: false, status: 400, reason: 'path must start with /' };
  if (path.includes('\0') || path.includes('\\')) return { ok: false, status: 400, reason: 'NUL or backslash in path' };
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 403, reason: 'dot segment in path' };
  // Hidden files (.env, .git) are never part of a build.
  if (segments.some((s) => s.startsWith('.'))) return { ok: false, status: 404, reason: 'hidden file' };
  if (path.endsWith('/')) path += 'index.html';
  const full = resolve(root, `.${path}`);
  if (!within(resolve(root), full)) return { ok: false, status: 403, reason: 'outside the renderer directory' };
  return { ok: true, path: full };
}

export type Opened = { ok: true; path: string; size: number; open: () => NodeJS.ReadableStream } | { ok: false; status: 400 | 403 | 404; reason: string };

/** Resolves and checks a request path against the real (symlink-free) root. */
export async function openStatic(realRoot: string, urlPath: string): Promise<Opened> {
  const r = resolveStaticPath(realRoot, urlPath);
  if (!r.ok) return r;
  try {
    const real = await realpath(r.path);
    if (!within(realRoot, real)) return { ok: false, status: 403, reason: 'symlink leaves the renderer directory' };
    const st = await stat(real);
    if (!st.isFile()) return { ok: false, status: 404, reason: 'not a file' };
    return { ok: true, path: real, size: st.size, open: () => createReadStream(real) };
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
}
