// The headless owner's local web UI: the same renderer the Electron window
// loads, served on 127.0.0.1, plus the API contract over HTTP
// (`POST /api/<call>`) and server-sent events (`GET /api/events`). Every
// request passes guard.ts (Host, Origin, fetch metadata) before anything else;
// the API then needs a Bearer credential (sessions.ts: the token, or a session
// the page redeemed from the one-time code in its address). A refused request
// changes nothing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { calls, isCallName, type LogBatch, type LogLine } from '../../../shared/api.js';
import type { Snapshot } from '../../../shared/state.js';
import { HTTP_STATUS, apiError, type ApiError } from '../../../shared/errors.js';
import type { HostApi } from '../api.js';
import { createDispatch, unknownCall } from '../dispatch.js';
import { bearer, guard, unauthorized } from './guard.js';
import { WebSessions, sameSecret } from './sessions.js';
import { contentType, openStatic } from './static-files.js';
import { CONTENT_SECURITY_POLICY } from '../../../shared/csp.js';
import { readJsonBody } from './read-body.js';
import { SseStream } from './sse.js';
import { RefusalLog } from '../refusal-log.js';

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
  /** Open connections at most; more are closed as they come (default 64). */
  maxConnections?: number;
  /** A connection that has not sent a whole request head within this is closed (default 10 s). */
  headersTimeoutMs?: number;
}

/**
 * The bounds that keep idle or slow clients from taking the owner's file
 * descriptors (the owner also supervises; at EMFILE it can read neither /proc
 * nor its logs): a few tabs need a handful of connections each.
 */
const DEFAULT_MAX_CONNECTIONS = 64;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A request (head and body) must be in within this; event streams are answers, not requests, and are not cut. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A kept-alive connection with no new request is closed after this. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export interface WebUi {
  /** An address to open in a browser: a one-time sign-in code (not the token), valid 10 minutes, for one page. */
  openUrl(): string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * renderer/dist of the checkout (or packaged app) this module belongs to: the nearest folder above it
 * with a package.json, whether it runs as tsc output (dist/electron/host/web/), in the CLI bundle
 * (dist/cli/), in the app bundle (app.asar/dist-electron/) or from source. Built or not: when it is
 * missing, the error names this path and the command to run there.
 */
export function defaultRendererDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'renderer', 'dist');
    if (dirname(dir) === dir) return join(here, 'renderer', 'dist');
  }
}

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** What to run when the renderer is missing: `npm run build:renderer` in the checkout that holds renderer/dist. */
function rendererMissingMessage(rendererDir: string): string {
  const index = join(rendererDir, 'index.html');
  const checkout = basename(rendererDir) === 'dist' && basename(dirname(rendererDir)) === 'renderer' ? dirname(dirname(rendererDir)) : null;
  const how = checkout ? `cd ${shellQuote(checkout)} && npm run build:renderer` : 'npm run build:renderer (in the Corral checkout)';
  return `The web UI is not built: ${index} is missing. Build it with \`${how}\` (\`npm install\` there builds it too), then try again.`;
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

export async function startWebUi(api: HostApi, opts: WebUiOptions): Promise<WebUi> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  if (!TOKEN_PATTERN.test(token)) throw new Error('The web UI token must be 16–256 characters of A–Z, a–z, 0–9, "_" or "-".');
  if (!existsSync(join(opts.rendererDir, 'index.html'))) {
    throw new Error(rendererMissingMessage(opts.rendererDir));
  }
  const root = realpathSync(opts.rendererDir);
  const log = opts.log ?? (() => {});
  const streams = new Set<SseStream<LogLine>>();
  const refusals = new RefusalLog(log, { prefix: 'web ui: ' });
  let port = 0;
  const dispatch = createDispatch(api, {
    onFailure: (call, e, cause) => {
      if (e.error.code === 'internal') log(`web ui: ${call} failed: ${(cause as Error)?.stack ?? e.error.message}`);
    },
  });

  const sessions = new WebSessions();
  /** The token (scripts, tests) or a session the page redeemed, sent as a Bearer header. */
  const holdsCredential = (req: IncomingMessage): boolean => {
    const given = bearer(req.headers.authorization);
    return given !== null && (sameSecret(given, token) || sessions.isSession(given));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const { path, query } = splitUrl(req.url);
    const isStatic = !path.startsWith('/api/') && !path.startsWith('/auth/');
    const refuse = (r: { status: number; code: ApiError['error']['code']; message: string }): void => {
      refusals.refuse(`web ui: ${r.status} ${method} ${path}: ${r.message}`, `${r.status} ${r.message}`);
      sendError(res, r.status, apiError(r.code, r.message), true);
    };
    const g = guard({ method, headers: req.headers, navigable: isStatic }, { port });
    if (!g.ok) return refuse(g);

    // The renderer's files are no secret: the page loads without a credential and signs in itself.
    if (path === '/auth/session') {
      if (method !== 'POST') return sendError(res, 405, apiError('bad-request', 'Use POST for /auth/session.'));
      const body = await readJsonBody(req);
      if (!body.ok) return sendError(res, body.status, apiError('bad-request', body.message), body.status === 413);
      const code = (body.value as { code?: unknown } | null)?.code;
      const session = typeof code === 'string' ? sessions.redeem(code) : null;
      if (!session) {
        return refuse({ status: 401, code: 'unauthorized', message: 'This sign-in code is unknown, used already, or expired. Run `corral ui` again for a new address.' });
      }
      return sendJson(res, 200, { session });
    }
    if (path === '/auth/ticket') {
      if (method !== 'POST') return sendError(res, 405, apiError('bad-request', 'Use POST for /auth/ticket.'));
      if (!holdsCredential(req)) return refuse(unauthorized());
      return sendJson(res, 200, { ticket: sessions.newTicket() });
    }
    if (path === '/api/events') {
      // EventSource cannot send a header: a single-use ticket in the URL stands for it.
      const ticket = query.get('ticket');
      if (!(ticket !== null ? sessions.useTicket(ticket) : holdsCredential(req))) return refuse(unauthorized());
    } else if (!isStatic && !holdsCredential(req)) return refuse(unauthorized());

    if (path === '/api/events') {
      if (method !== 'GET') return sendError(res, 405, apiError('bad-request', 'Use GET for /api/events.'));
      return openEvents(req, res, query);
    }
    if (path.startsWith('/api/')) {
      const name = path.slice('/api/'.length);
      if (method !== 'POST') return sendError(res, 405, apiError('bad-request', `Use POST for /api/${name}.`));
      // Refused before the body is read: nothing of an unknown call is buffered.
      if (!isCallName(name)) return sendError(res, 404, unknownCall(name, Object.keys(calls)), true);
      const body = await readJsonBody(req);
      if (!body.ok) return sendError(res, body.status, apiError('bad-request', body.message), body.status === 413);
      const r = await dispatch.call(name, body.value);
      if (!r.ok) return sendError(res, HTTP_STATUS[r.error.error.code], r.error);
      const result = r.value;
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
    // The subscription is checked (and taken) before the stream opens, so a bad or unknown
    // stack gets the same answer here as on every other face, with its HTTP status.
    // `history=N` asks for the last lines; `from=service:pos` (repeated) resumes exactly.
    let stream: SseStream<LogLine> | null = null;
    let early: LogBatch[] = [];
    let offLogs: (() => void) | null = null;
    // The first batch (history and cursor) is sent whole; later lines may be dropped when the reader is slow (then a `gap`).
    const deliver = (to: SseStream<LogLine>, batch: LogBatch) => (batch.cursor ? to.send('logs', batch) : to.sendLines(batch.lines));
    if (stack !== null) {
      const history = query.get('history');
      const from: Record<string, number> = {};
      for (const f of query.getAll('from')) {
        const i = f.lastIndexOf(':');
        from[i > 0 ? f.slice(0, i) : f] = i > 0 && /^-?\d+$/.test(f.slice(i + 1)) ? Number(f.slice(i + 1)) : NaN;
      }
      const sub = {
        stack,
        ...(services.length > 0 ? { services } : {}),
        ...(history !== null ? { history: { lines: /^\d+$/.test(history) ? Number(history) : NaN } } : {}),
        ...(Object.keys(from).length > 0 ? { from } : {}),
      };
      const r = dispatch.followLogs(sub, (batch) => {
        if (stream) deliver(stream, batch);
        else early.push(batch);
      });
      if (!r.ok) return sendError(res, HTTP_STATUS[r.error.error.code], r.error);
      offLogs = r.value;
    }
    const wantSnapshots = query.get('snapshots') !== '0';
    const open = new SseStream<LogLine>(res, {
      headers: SECURITY_HEADERS,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(opts.sseHighWaterBytes ? { highWaterBytes: opts.sseHighWaterBytes } : {}),
    });
    stream = open;
    streams.add(open);
    const offs: (() => void)[] = offLogs ? [offLogs] : [];
    open.onClose(() => {
      streams.delete(open);
      for (const off of offs) off();
    });
    req.on('close', () => open.close());
    if (wantSnapshots) {
      let lastSeq = -1;
      let lastSince = -1;
      const take = (s: Snapshot) => {
        // The initial read may lose the race with a pushed snapshot.
        if (s.owner.since === lastSince && s.seq <= lastSeq) return;
        lastSeq = s.seq;
        lastSince = s.owner.since;
        open.sendLatest('snapshot', s);
      };
      offs.push(dispatch.onSnapshot(take));
      // An open page shows CPU and memory: sampled while its stream is open, not after.
      offs.push(dispatch.watchResources());
      void dispatch.call('snapshot', {}).then((r) => r.ok && take(r.value as Snapshot));
    }
    for (const batch of early) deliver(open, batch);
    early = [];
    if (open.isClosed) for (const off of offs.splice(0)) off();
  };

  const headersTimeout = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const server = createServer({ headersTimeout, requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout), keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`web ui: internal error: ${(err as Error)?.stack ?? String(err)}`);
      if (!res.headersSent) sendError(res, 500, apiError('internal', 'Internal error in the web UI server.'), true);
      else res.destroy();
    });
  });
  server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // After listening, an accept that fails (EMFILE) is an error event: without a listener it would end the owner.
  server.on('error', (err) => refusals.refuse(`web ui: server error: ${err.message}`, `server error ${(err as NodeJS.ErrnoException).code ?? err.message}`));
  server.on('drop', () => refusals.refuse(`web ui: refused a connection over the cap of ${server.maxConnections}`, `over the cap of ${server.maxConnections} connections`));
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
    openUrl: () => `http://127.0.0.1:${port}/?code=${sessions.newCode()}`,
    port,
    token,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const s of [...streams]) s.close();
        refusals.close();
        sessions.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
