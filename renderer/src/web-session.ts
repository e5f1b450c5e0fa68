// The web UI's sign-in, page side (the server side: electron/host/web/sessions.ts).
// The address `corral ui` opens carries a one-time `?code=`; the page redeems
// it for a session, keeps that in sessionStorage (scoped to this origin, port
// included, and to this tab) and sends it as `Authorization: Bearer`. Nothing
// is a cookie, so no other server on 127.0.0.1 ever receives it.
const KEY = 'corral.session';

export interface WebSession {
  /** Headers that carry the session, for a fetch. */
  headers(): Record<string, string>;
  /** `path` (an event-stream URL) with a fresh single-use ticket, or null when the server refused (session gone). */
  ticketed(path: string): Promise<string | null>;
}

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

/** Redeems `?code=` once (taking it out of the address bar), else uses the session this tab already holds. */
export async function signIn(base = '', doFetch: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<WebSession> {
  const store = storage();
  let session = store?.getItem(KEY) ?? null;
  if (typeof window !== 'undefined') {
    const url = new URL(window.location.href);
    const code = url.searchParams.get('code');
    if (code !== null) {
      url.searchParams.delete('code');
      window.history.replaceState(null, '', url.pathname + url.search + url.hash);
      try {
        const res = await doFetch(`${base}/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }), cache: 'no-store' });
        if (res.ok) {
          session = ((await res.json()) as { session: string }).session;
          store?.setItem(KEY, session);
        }
      } catch {}
    }
  }
  return withSession(session, base, doFetch);
}

export function withSession(session: string | null, base = '', doFetch: typeof fetch = globalThis.fetch.bind(globalThis)): WebSession {
  const headers = (): Record<string, string> => (session ? { authorization: `Bearer ${session}` } : {});
  return {
    headers,
    async ticketed(path) {
      try {
        const res = await doFetch(`${base}/auth/ticket`, { method: 'POST', headers: headers(), cache: 'no-store' });
        if (!res.ok) return null;
        const { ticket } = (await res.json()) as { ticket: string };
        return `${path}${path.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
      } catch {
        return `${path}`;
      }
    },
  };
}

type Listener = (ev: Event) => void;

/**
 * An EventSource whose every (re)connection carries a new ticket: the
 * browser's own retry would reuse a used one. Only what the transport uses
 * (addEventListener, close, readyState) is offered.
 */
export function ticketedEventSource(ES: typeof EventSource, session: WebSession | Promise<WebSession>, path: string): EventSource {
  const listeners = new Map<string, Set<Listener>>();
  let current: EventSource | null = null;
  let closed = false;
  let state: number = ES.CONNECTING;
  let retry: ReturnType<typeof setTimeout> | null = null;
  // An owner that is gone may stay gone: the retries slow down to one every 10 s (and speed up again once it answers).
  let retryMs = 1000;
  const emit = (type: string, ev: Event) => {
    for (const l of [...(listeners.get(type) ?? [])]) l(ev);
  };
  const connect = async () => {
    const url = await (await session).ticketed(path);
    if (closed) return;
    if (url === null) {
      // Refused: the session is gone (the owner restarted); retrying will not help.
      state = ES.CLOSED;
      emit('error', new Event('error'));
      return;
    }
    const src = new ES(url);
    current = src;
    for (const type of listeners.keys()) if (type !== 'error' && type !== 'open') src.addEventListener(type, (ev) => emit(type, ev));
    src.addEventListener('open', (ev) => {
      state = ES.OPEN;
      retryMs = 1000;
      emit('open', ev);
    });
    src.addEventListener('error', (ev) => {
      // CLOSED: the server answered with an error (a stack that is gone, a session that is): as the
      // browser would, stop. Otherwise the connection dropped: reconnect, with a new ticket.
      const refused = src.readyState === ES.CLOSED;
      src.close();
      if (current === src) current = null;
      if (closed) return;
      state = refused ? ES.CLOSED : ES.CONNECTING;
      emit('error', ev);
      if (!refused) retry = setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    });
  };
  const wrapper = {
    get readyState() {
      return state;
    },
    addEventListener(type: string, l: Listener) {
      let set = listeners.get(type);
      if (!set) {
        listeners.set(type, (set = new Set()));
        if (current && type !== 'error' && type !== 'open') current.addEventListener(type, (ev) => emit(type, ev));
      }
      set.add(l);
    },
    removeEventListener(type: string, l: Listener) {
      listeners.get(type)?.delete(l);
    },
    close() {
      closed = true;
      state = ES.CLOSED;
      if (retry) clearTimeout(retry);
      current?.close();
      current = null;
    },
  };
  queueMicrotask(() => void connect());
  return wrapper as unknown as EventSource;
}
