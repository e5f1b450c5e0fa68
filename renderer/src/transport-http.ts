// `window.corral` in a plain browser: the headless owner's web UI
// (electron/host/web/server.ts) over HTTP calls and server-sent events.
// In Electron the preload provides the same object over IPC, so nothing else
// in the renderer knows which transport it runs on.
//
// Authentication is a session held by this page only (web-session.ts), sent
// as a Bearer header; never a cookie, which every server on 127.0.0.1 would get.
import type { CallName, CallRequest, CallResponse, CorralApi, LogLine, LogSubscription, Unsubscribe, ApiError } from '../../shared/api.js';
import type { Snapshot } from '../../shared/state.js';
import { linesAfterDelivered, liveAfterHistory } from './logs/overlap.js';
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

const RESUME_KEY = 20;
const CATCH_UP_LINES = 5000;
const MAX_READ = 1_000_000;

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

  function onLogs(sub: LogSubscription, listener: (lines: LogLine[]) => void): Unsubscribe {
    const q = new URLSearchParams({ stack: sub.stack, snapshots: '0' });
    if (sub.services && sub.services.length > 0) q.set('services', sub.services.join(','));
    const src = new ES(`${base}/api/events?${q}`);
    const since = Date.now();
    let closed = false;
    let opened = false;
    let broken = false;
    // The last texts delivered per service: where to resume after a break.
    const delivered = new Map<string, string[]>();

    const deliver = (lines: LogLine[]) => {
      if (closed || lines.length === 0) return;
      for (const l of lines) {
        let d = delivered.get(l.service);
        if (!d) delivered.set(l.service, (d = []));
        d.push(l.text);
        if (d.length > 2 * RESUME_KEY) d.splice(0, d.length - RESUME_KEY);
      }
      listener(lines);
    };

    // After a reconnect, or when the server dropped lines because we read too
    // slowly: hold new lines back, read the tail, deliver what came after the
    // last line we gave, then what was held back (minus the seam).
    let held: LogLine[] | null = null;
    let again = 0;
    const catchUp = async (dropped: number) => {
      if (held) {
        again = Math.max(again, dropped + 1);
        return;
      }
      held = [];
      const resume = new Map([...delivered].map(([s, d]) => [s, d.slice(-RESUME_KEY)]));
      let missed: LogLine[] = [];
      try {
        const tail = await call('readLogs', { stack: sub.stack, ...(sub.services ? { services: sub.services } : {}), lines: Math.min(MAX_READ, dropped + CATCH_UP_LINES) });
        // A service that had said nothing yet: only what it wrote since we subscribed.
        missed = linesAfterDelivered(tail, resume).filter((l) => resume.has(l.service) || l.ts >= since);
      } catch {}
      const later = held;
      held = null;
      deliver(missed);
      deliver(liveAfterHistory(missed, later));
      if (again > 0) {
        const n = again - 1;
        again = 0;
        void catchUp(n);
      }
    };
    const onLines = (lines: LogLine[]) => {
      if (held) for (const l of lines) held.push(l);
      else deliver(lines);
    };

    src.addEventListener('logs', (ev) => onLines(JSON.parse((ev as MessageEvent<string>).data) as LogLine[]));
    src.addEventListener('gap', (ev) => void catchUp((JSON.parse((ev as MessageEvent<string>).data) as { dropped?: number }).dropped ?? 0));
    src.addEventListener('open', () => {
      if (opened && broken) void catchUp(0);
      opened = true;
      broken = false;
    });
    src.addEventListener('error', () => {
      broken = true;
    });
    return () => {
      closed = true;
      src.close();
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
