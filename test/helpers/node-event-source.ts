// A minimal EventSource for Node (v20 has none), enough for the web UI's
// transport (renderer/src/transport-http.ts) to run against the real server:
// named events, open/error, close(), and drop() to cut the connection as a
// network failure would (a real EventSource then reports an error).
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export function nodeEventSource(headers: Record<string, string>) {
  const open = new Set<NodeEventSource>();
  class NodeEventSource extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSED = 2;
    readyState = 0;
    private readonly req: ClientRequest;
    private res: IncomingMessage | null = null;

    constructor(readonly url: string) {
      super();
      open.add(this);
      this.req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        this.res = res;
        if (res.statusCode !== 200) {
          this.readyState = 2;
          this.dispatchEvent(new Event('error'));
          res.resume();
          return;
        }
        this.readyState = 1;
        this.dispatchEvent(new Event('open'));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0 && this.readyState === 1) this.dispatchEvent(new MessageEvent(event, { data: data.join('\n') }));
          }
        });
        res.on('close', () => this.fail());
      });
      this.req.on('error', () => this.fail());
      this.req.end();
    }

    private fail(): void {
      if (this.readyState === 2) return;
      this.readyState = 0;
      this.dispatchEvent(new Event('error'));
    }

    /** Cuts the connection as a network failure would. */
    drop(): void {
      this.res?.destroy();
      this.req.destroy();
    }

    close(): void {
      this.readyState = 2;
      open.delete(this);
      this.res?.destroy();
      this.req.destroy();
    }
  }
  return { EventSource: NodeEventSource as unknown as typeof EventSource, open: open as Set<{ drop(): void; url: string }> };
}
