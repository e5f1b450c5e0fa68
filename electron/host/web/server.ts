// The headless owner's local web UI: the same renderer the Electron window
// loads, served on 127.0.0.1 with a random token, plus the API contract over
// HTTP (`POST /api/<call>`) and server-sent events (`GET /api/events`).
// Every request passes guard.ts (Host, token, Origin) before anything else
// happens; a refused request changes nothing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ApiError, CallName, CorralApi, LogLine, LogSubscription } from '../../../shared/api.js';
import type { Snapshot } from '../../../shared/state.js';
import { isCallName, logSubscriptionSchema, validateRequest } from '../../../shared/api.js';
import { guard, sessionCookie } from './guard.js';
import { contentType, openStatic } from './static-files.js';
import { CONTENT_SECURITY_POLICY } from '../../../shared/csp.js';
import { readJsonBody } from './read-body.js';
import { SseStream } from './sse.js';

export interface WebUiOptions {
  /** 0 or absent: a free port chosen by the kernel. */
  port?: number;
  /** The built renderer (renderer/dist). */
  rendererDir: string;
  /** Absent: 32 random bytes. Tests pass their own. */
  token?: string;
  /** Where refused requests and internal errors are reported. */
  log?: (line: string) => void;
  /** SSE heartbeat (default 15 s). */
  heartbeatMs?: number;
  /** Bytes queued to one event stream before log lines are dropped (default 4 MiB; tests lower it). */
  sseHighWaterBytes?: number;
}

export interface WebUi {
  /** The URL to open: carries the token once; the page turns it into a cookie. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** renderer/dist of this checkout, found above this module (dist/electron/lifecycle/web/, the CLI bundle in dist/cli/, or the .ts source). */
export function defaultRendererDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'renderer', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return join(here, '../../../../renderer/dist');
  }
}

export { CONTENT_SECURITY_POLICY };

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;
/** Arrays longer than this (a big readLogs) are streamed one item per line. */
const STREAM_ARRAY_OVER = 2000;
const STREAM_CHUNK = 2000;
const STREAM_BUFFER_BYTES = 8 << 20;

const STATUS_OF: Record<ApiError['error']['code'], number> = {
  'bad-request': 400,
  unauthorized: 401,
  'not-found': 404,
  conflict: 409,
  internal: 500,
};

function apiError(code: ApiError['error']['code'], message: string): ApiError {
  return { error: { code, message } };
}

/** Turns whatever a call threw into the plain error the contract promises. */
export function toApiError(err: unknown): ApiError {
  if (err && typeof err === 'object') {
    const e = err as { error?: { code?: unknown; message?: unknown }; code?: unknown; message?: unknown };
    if (e.error && typeof e.error.code === 'string' && e.error.code in STATUS_OF) {
      return apiError(e.error.code as ApiError['error']['code'], String(e.error.message ?? e.error.code));
    }
    if (typeof e.code === 'string' && e.code in STATUS_OF) return apiError(e.code as ApiError['error']['code'], String(e.message ?? e.code));
    if (typeof e.message === 'string') return apiError('internal', e.message);
  }
  return apiError('internal', String(err));
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
    ...extra,
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, err: ApiError, close = false): void {
  sendJson(res, status, err, close ? { Connection: 'close' } : {});
}

/**
 * `[` + lines of whole items + `]`: valid JSON for any client, and the browser
 * transport parses it line by line in slices. Chunks are serialized as arrays
 * (twice as fast as item by item) and their brackets dropped; a JSON text
 * has no raw newline, so each chunk is one line.
 */
async function sendArray(res: ServerResponse, items: readonly unknown[]): Promise<void> {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Corral-Format': 'lines',
  });
  res.write('[\n');
  for (let i = 0; i < items.length; i += STREAM_CHUNK) {
    const end = Math.min(items.length, i + STREAM_CHUNK);
    const json = JSON.stringify(items.slice(i, end));
    res.write(json.slice(1, -1) + (end < items.length ? ',\n' : '\n'));
    // Keep a few MB in flight rather than waiting for every chunk to drain.
    if (res.writableLength > STREAM_BUFFER_BYTES) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
      if (res.destroyed) return;
    }
  }
  res.end(']\n');
}

function splitUrl(raw: string | undefined): { path: string; query: URLSearchParams } {
  const url = raw ?? '/';
  const q = url.indexOf('?');
  return { path: q === -1 ? url : url.slice(0, q), query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)) };
}

export async function startWebUi(api: CorralApi, opts: WebUiOptions): Promise<WebUi> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  if (!TOKEN_PATTERN.test(token)) throw new Error('The web UI token must be 16–256 characters of A–Z, a–z, 0–9, "_" or "-".');
  if (!existsSync(join(opts.rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built: ${join(opts.rendererDir, 'index.html')} is missing. Run \`npx vite build renderer\` (npm run build), then try again.`);
  }
  const root = realpathSync(opts.rendererDir);
  const log = opts.log ?? (() => {});
  const streams = new Set<SseStream<LogLine>>();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const { path, query } = splitUrl(req.url);
    const isPage = (method === 'GET' || method === 'HEAD') && (path === '/' || path === '/index.html');
    const g = guard({ method, headers: req.headers, queryToken: isPage ? query.get('token') : null }, { port, token });
    if (!g.ok) {
      log(`web ui: ${g.status} ${method} ${path}: ${g.message}`);
      sendError(res, g.status, apiError(g.code, g.message), true);
      return;
    }

    if (path === '/api/events') {
      if (method !== 'GET') return sendError(res, 405, apiError('bad-request', 'Use GET for /api/events.'));
      return openEvents(req, res, query);
    }
    if (path.startsWith('/api/')) {
      const name = path.slice('/api/'.length);
      if (method !== 'POST') return sendError(res, 405, apiError('bad-request', `Use POST for /api/${name}.`));
      if (!isCallName(name)) return sendError(res, 404, apiError('not-found', `Unknown call \`${name}\`.`), true);
      const body = await readJsonBody(req);
      if (!body.ok) return sendError(res, body.status, apiError('bad-request', body.message), body.status === 413);
      const v = validateRequest(name, body.value);
      if (!v.ok) return sendError(res, STATUS_OF[v.error.error.code], v.error);
      let result: unknown;
      try {
        result = await (api[name as CallName] as (r: unknown) => Promise<unknown>)(v.value);
      } catch (err) {
        const e = toApiError(err);
        if (e.error.code === 'internal') log(`web ui: ${name} failed: ${e.error.message}`);
        return sendError(res, STATUS_OF[e.error.code], e);
      }
      if (Array.isArray(result) && result.length > STREAM_ARRAY_OVER) return sendArray(res, result);
      return sendJson(res, 200, result ?? null);
    }

    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, apiError('bad-request', `${method} is not allowed here.`));
    const file = await openStatic(root, path);
    if (!file.ok) {
      res.writeHead(file.status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(file.status === 404 ? 'Not found\n' : `Refused: ${file.reason}\n`);
      return;
    }
    const isHtml = file.path.endsWith('.html');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': contentType(file.path),
      'Content-Length': String(file.size),
      'Cache-Control': isHtml ? 'no-store' : 'no-cache',
      ...(g.via === 'query' ? { 'Set-Cookie': sessionCookie(port, token) } : {}),
    });
    if (method === 'HEAD') return void res.end();
    const stream = file.open();
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const openEvents = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void => {
    const stack = query.get('stack');
    const services = query
      .getAll('services')
      .flatMap((s) => s.split(','))
      .filter(Boolean);
    let logSub: LogSubscription | null = null;
    if (stack !== null) {
      // The same schema as every log subscription: same names, same limits.
      // `history=N` asks for the last lines; `from=service:pos` (repeated) resumes exactly.
      const history = query.get('history');
      const from: Record<string, number> = {};
      for (const f of query.getAll('from')) {
        const i = f.lastIndexOf(':');
        from[i > 0 ? f.slice(0, i) : f] = i > 0 && /^-?\d+$/.test(f.slice(i + 1)) ? Number(f.slice(i + 1)) : NaN;
      }
      const v = logSubscriptionSchema.safeParse({
        stack,
        ...(services.length > 0 ? { services } : {}),
        ...(history !== null ? { history: { lines: /^\d+$/.test(history) ? Number(history) : NaN } } : {}),
        ...(Object.keys(from).length > 0 ? { from } : {}),
      });
      if (!v.success) {
        const issue = v.error.issues[0]!;
        const where = issue.path.length > 0 ? ` at \`${issue.path.join('.')}\`` : '';
        return sendError(res, 400, apiError('bad-request', `Invalid log subscription${where}: ${issue.message}`));
      }
      logSub = v.data;
    }
    const wantSnapshots = query.get('snapshots') !== '0';
    const stream = new SseStream<LogLine>(res, {
      headers: SECURITY_HEADERS,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.sseHighWaterBytes ? { highWaterBytes: opts.sseHighWaterBytes } : {}),
    });
    streams.add(stream);
    const offs: (() => void)[] = [];
    stream.onClose(() => {
      streams.delete(stream);
      for (const off of offs) off();
    });
    req.on('close', () => stream.close());
    if (wantSnapshots) {
      let lastSeq = -1;
      let lastSince = -1;
      const take = (s: Snapshot) => {
        // The initial read may lose the race with a pushed snapshot.
        if (s.owner.since === lastSince && s.seq <= lastSeq) return;
        lastSeq = s.seq;
        lastSince = s.owner.since;
        stream.sendLatest('snapshot', s);
      };
      offs.push(api.onSnapshot(take));
      api.snapshot({}).then(take, (err: unknown) => log(`web ui: snapshot failed: ${toApiError(err).error.message}`));
    }
    if (logSub) {
      try {
        // The first batch (history and cursor) is sent whole; later lines may be dropped when the reader is slow (then a `gap`).
        offs.push(api.onLogs(logSub, (batch) => (batch.cursor ? stream.send('logs', batch) : stream.sendLines(batch.lines))));
      } catch (err) {
        stream.send('error', toApiError(err));
        stream.close();
      }
    }
    if (stream.isClosed) for (const off of offs.splice(0)) off();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`web ui: internal error: ${(err as Error)?.stack ?? String(err)}`);
      if (!res.headersSent) sendError(res, 500, apiError('internal', 'Internal error in the web UI server.'), true);
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${opts.port} on 127.0.0.1 is in use; choose another with --port, or leave it out for a free one.`, { cause: err }) : err);
    };
    server.once('error', onError);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const s of [...streams]) s.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
