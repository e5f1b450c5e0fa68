// Raw HTTP against the web UI server, with full control of the headers a
// browser would not let a page set (Host, Origin), and an SSE reader.
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => unknown;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Default: `127.0.0.1:<port>`; null sends none. */
  host?: string | null;
}

export function raw(port: number, r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...r.headers };
    if (r.host !== null) headers.host = r.host ?? `127.0.0.1:${port}`;
    const req = request({ host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path, headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/** A POST the way our page makes it: JSON, same Origin. */
export function postApi(port: number, call: string, body: unknown, auth: { bearer?: string; cookie?: string; origin?: string | null } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.origin !== null && auth.origin !== undefined) headers.origin = auth.origin;
  return raw(port, { method: 'POST', path: `/api/${call}`, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

export interface SseEvent {
  event: string;
  data: string;
}

export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  /** Raw bytes as received, for framing checks. */
  rawText: () => string;
  next(predicate?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  response: IncomingMessage;
  close(): void;
}

export function openSse(port: number, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, accept: 'text/event-stream', ...headers }, setHost: false, agent: false }, (res) => {
      const events: SseEvent[] = [];
      const waiters: { pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; from: number }[] = [];
      let buf = '';
      let all = '';
      let consumed = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        all += chunk;
        buf += chunk;
        let i = buf.indexOf('\n\n');
        while (i !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) {
              event = line.slice(7);
              isEvent = true;
            } else if (line.startsWith('data: ')) {
              data.push(line.slice(6));
              isEvent = true;
            }
          }
          if (isEvent) {
            events.push({ event, data: data.join('\n') });
            for (const w of [...waiters]) {
              const hit = events.slice(w.from).find(w.pred);
              if (hit) {
                waiters.splice(waiters.indexOf(w), 1);
                w.resolve(hit);
              }
            }
          }
          i = buf.indexOf('\n\n');
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        response: res,
        rawText: () => all,
        next(pred = () => true, timeoutMs = 5000) {
          const from = consumed;
          const hit = events.slice(from).find(pred);
          if (hit) {
            consumed = events.indexOf(hit) + 1;
            return Promise.resolve(hit);
          }
          return new Promise((res2, rej2) => {
            const t = setTimeout(() => rej2(new Error(`no SSE event matched within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`)), timeoutMs);
            waiters.push({
              pred,
              from,
              resolve: (e) => {
                clearTimeout(t);
                consumed = events.indexOf(e) + 1;
                res2(e);
              },
            });
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
