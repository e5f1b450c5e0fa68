// `window.corral` in a plain browser: the headless owner's web UI
// (electron/host/web/server.ts) over HTTP calls and server-sent events.
// In Electron the preload provides the same object over IPC, so nothing else
// in the renderer knows which transport it runs on.
//
// Authentication is a session held by this page only (web-session.ts), sent
// as a Bearer header; never a cookie, which every server on 127.0.0.1 would get.
import type { CallName, CallRequest, CallResponse, CorralApi, LogBatch, LogCursor, LogSubscription, Unsubscribe, ApiError } from '../../shared/api.js';
import type { Snapshot } from '../../shared/state.js';
import { signIn, ticketedEventSource, type WebSession } from './web-session.js';

/** A failed call: the server's `{error:{code,message}}` as an Error. */
export class CorralCallError extends Error {
  constructor(
    message: string,
    readonly code: ApiError['error']['code'] | 'network',
    readonly status: number,
  ) {
    super(message);
    this.name = 'CorralCallError';
  }
}

/** Fired on `window` when the event stream drops or comes back (the UI shows a banner). */
export const CONNECTION_EVENT = 'corral:connection';
export interface ConnectionDetail {
  connected: boolean;
  /** The server refused us (token gone, owner restarted): reloading will not help without a new URL. */
  fatal?: boolean;
}

export interface HttpApiOptions {
  /** Origin + path prefix of the server; '' means the page's own origin. */
  base?: string;
  /** Lets tests (or a non-browser host) supply the primitives. */
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Where connection changes are announced; defaults to `window`. */
  events?: EventTarget;
  /** The signed-in session (web-session.ts); without it requests carry no credential. */
  session?: WebSession | Promise<WebSession>;
}

// Arrays the server sends as lines of whole items (`X-Corral-Format: lines`)
// are parsed a few hundred KB at a time, yielding to the page in between, so
// a 1,000,000-line readLogs never freezes it in one long JSON.parse.
const SLICE_CHARS = 256 * 1024;
const SLICE_BUDGET_MS = 12;

// setTimeout(0) is clamped to 4 ms once nested; a message is not.
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

async function parseLinesArray(res: Response): Promise<unknown[]> {
  if (!res.body) return JSON.parse(await res.text()) as unknown[];
  const out: unknown[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  let pending: string[] = [];
  let pendingChars = 0;
  let sliceStart = performance.now();
  const flush = async () => {
    if (pending.length === 0) return;
    const items = JSON.parse(`[${pending.join(',')}]`) as unknown[];
    for (let i = 0; i < items.length; i++) out.push(items[i]);
    pending = [];
    pendingChars = 0;
    if (performance.now() - sliceStart > SLICE_BUDGET_MS) {
      await yieldToPage();
      sliceStart = performance.now();
    }
  };
  // A line is `[`, `]`, or one or more whole items with a trailing comma.
  const take = (line: string) => {
    let l = line.trim();
    if (l === '[' || l === ']' || l === '' || l === '[]') return;
    if (l.endsWith(',')) l = l.slice(0, -1);
    pending.push(l);
    pendingChars += l.length;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
    let from = 0;
    for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n', from)) {
      take(rest.slice(from, nl));
      from = nl + 1;
      if (pendingChars >= SLICE_CHARS) await flush();
    }
    rest = rest.slice(from);
  }
  take(rest);
  await flush();
  return out;
}

export function createHttpApi(opts: HttpApiOptions = {}): CorralApi {
  const base = opts.base ?? '';
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const NativeES = opts.EventSource ?? globalThis.EventSource;
  const session = opts.session;
  // Each event stream opens with a fresh single-use ticket when signed in.
  const ES = Object.assign(
    function (url: string) {
      return session ? ticketedEventSource(NativeES, session, url) : new NativeES(url);
    } as unknown as typeof EventSource,
    { CONNECTING: NativeES.CONNECTING, OPEN: NativeES.OPEN, CLOSED: NativeES.CLOSED },
  );
  const events = opts.events ?? (typeof window === 'undefined' ? new EventTarget() : window);
  const announce = (detail: ConnectionDetail) => events.dispatchEvent(new CustomEvent<ConnectionDetail>(CONNECTION_EVENT, { detail }));

  async function call<K extends CallName>(name: K, req: CallRequest<K>): Promise<CallResponse<K>> {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(session ? (await session).headers() : {}) },
        body: JSON.stringify(req ?? {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      throw new CorralCallError(`Cannot reach Corral (${(err as Error).message}). Is the owner still running?`, 'network', 0);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as ApiError | null;
      const code = body?.error?.code ?? (res.status === 401 ? 'unauthorized' : 'internal');
      const message = body?.error?.message ?? `HTTP ${res.status} from Corral`;
      if (res.status === 401) announce({ connected: false, fatal: true });
      throw new CorralCallError(message, code, res.status);
    }
    if (res.headers.get('x-corral-format') === 'lines') return (await parseLinesArray(res)) as CallResponse<K>;
    return (await res.json()) as CallResponse<K>;
  }

  // One shared stream for snapshots, opened with the first listener.
  const snapshotListeners = new Set<(s: Snapshot) => void>();
  let snapshotSource: EventSource | null = null;
  let lastSnapshotSeq = -1;

  function openSnapshots() {
    const src = new ES(`${base}/api/events`);
    snapshotSource = src;
    let wasDown = false;
    src.addEventListener('snapshot', (ev) => {
      const snap = JSON.parse((ev as MessageEvent<string>).data) as Snapshot;
      // After a reconnect the server sends the current snapshot first; a
      // lower seq means the owner restarted, which is news too.
      if (snap.seq <= lastSnapshotSeq && !wasDown) return;
      wasDown = false;
      lastSnapshotSeq = snap.seq;
      for (const l of [...snapshotListeners]) l(snap);
    });
    src.addEventListener('open', () => announce({ connected: true }));
    src.addEventListener('error', () => {
      wasDown = true;
      // CLOSED means the server answered with an error (401 after an owner
      // restart): EventSource will not retry on its own.
      announce({ connected: false, fatal: src.readyState === ES.CLOSED });
    });
  }

  function onSnapshot(listener: (s: Snapshot) => void): Unsubscribe {
    snapshotListeners.add(listener);
    if (!snapshotSource) openSnapshots();
    return () => {
      snapshotListeners.delete(listener);
      if (snapshotListeners.size === 0 && snapshotSource) {
        snapshotSource.close();
        snapshotSource = null;
        lastSnapshotSeq = -1;
      }
    };
  }

  /**
   * One event stream per subscription. The first `logs` event carries the
   * history and each service's cursor; every line carries its position. The
   * stream is never left to EventSource's own reconnect (which would ask for
   * the history again): after a drop, or a `gap` (the server dropped lines
   * while we read too slowly), it is reopened from the position after the last
   * line delivered, so the seam is exact, whatever the lines say.
   */
  function onLogs(sub: LogSubscription, listener: (batch: LogBatch) => void): Unsubscribe {
    let closed = false;
    let src: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    // Per service, the position of the next line to deliver; null until the first event.
    let next: LogCursor | null = sub.from ? { ...sub.from } : null;
    let firstDelivered = false;
    // After a drop the stream is reopened at once, then ever more slowly (to one try every 10 s) while the owner stays away.
    let retryMs = 1000;

    const open = () => {
      if (closed) return;
      const q = new URLSearchParams({ stack: sub.stack, snapshots: '0' });
      if (sub.services && sub.services.length > 0) q.set('services', sub.services.join(','));
      if (next) for (const [service, pos] of Object.entries(next)) q.append('from', `${service}:${pos}`);
      else if (sub.history) q.set('history', String(sub.history.lines ?? 200));
      const es = new ES(`${base}/api/events?${q}`);
      src = es;
      const reopen = (afterMs: number) => {
        if (src !== es) return;
        es.close();
        src = null;
        if (!closed) retry = setTimeout(open, afterMs);
      };
      es.addEventListener('open', () => {
        retryMs = 1000;
      });
      es.addEventListener('logs', (ev) => {
        if (src !== es || closed) return;
        const batch = JSON.parse((ev as MessageEvent<string>).data) as LogBatch;
        const at = (next ??= {});
        for (const [service, pos] of Object.entries(batch.cursor ?? {})) at[service] = Math.max(at[service] ?? -Infinity, pos);
        for (const l of batch.lines) at[l.service] = Math.max(at[l.service] ?? -Infinity, l.seq + 1);
        if (!firstDelivered) {
          firstDelivered = true;
          listener({ lines: batch.lines, cursor: batch.cursor ?? { ...at } });
        } else if (batch.lines.length > 0) {
          listener({ lines: batch.lines });
        }
      });
      es.addEventListener('gap', () => reopen(0));
      es.addEventListener('error', () => {
        reopen(retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      });
    };
    open();
    return () => {
      closed = true;
      if (retry) clearTimeout(retry);
      src?.close();
      src = null;
    };
  }

  const api: CorralApi = {
    snapshot: (req) => call('snapshot', req),
    start: (req) => call('start', req),
    stop: (req) => call('stop', req),
    restart: (req) => call('restart', req),
    forceStop: (req) => call('forceStop', req),
    killPortHolder: (req) => call('killPortHolder', req),
    readLogs: (req) => call('readLogs', req),
    logLocation: (req) => call('logLocation', req),
    openLogFolder: (req) => call('openLogFolder', req),
    openService: (req) => call('openService', req),
    applyStack: (req) => call('applyStack', req),
    describeService: (req) => call('describeService', req),
    getSettings: (req) => call('getSettings', req),
    setSettings: (req) => call('setSettings', req),
    onSnapshot,
    onLogs,
  };
  return api;
}

/** Installs `window.corral` over HTTP unless a host (the Electron preload) already did. */
export function installHttpTransport(): CorralApi {
  // The address carries a one-time code: signIn redeems it and takes it out of the address bar and history.
  if (!window.corral) window.corral = createHttpApi({ session: signIn() });
  return window.corral;
}
