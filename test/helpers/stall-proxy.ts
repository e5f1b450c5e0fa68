// An HTTP proxy in front of a web UI that stops reading the server's responses
// on cue: a reader that falls behind, made deterministic. A page kept busy is
// not enough: Chromium's network process keeps reading, and the kernel lets a
// loopback receive buffer grow to 32 MB (tcp_rmem), so whether the server ever
// sees congestion depended on the machine. A paused upstream response stops
// reading its socket, so the server's send buffer (at most tcp_wmem, 4 MB)
// fills and the server has to drop.
//
// The proxy rewrites Host and Origin to the server's own, which is what the
// web UI's guard checks; everything else (the Bearer session, tickets) passes unchanged.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StallProxy {
  /** The page's URL through the proxy (path, query and hash kept). */
  url: string;
  /** Stop reading every open response from the server. */
  stall(): void;
  /** Read them again. */
  resume(): void;
  close(): Promise<void>;
}

export async function startStallProxy(target: string): Promise<StallProxy> {
  const t = new URL(target);
  const responses = new Map<http.IncomingMessage, http.ServerResponse>();
  let stalled = false;
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: t.host };
    if (headers.origin !== undefined) headers.origin = t.origin;
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      responses.set(ures, res);
      ures.on('close', () => {
        responses.delete(ures);
        res.end();
      });
      if (stalled) ures.pause();
      else ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    stall() {
      stalled = true;
      for (const ures of responses.keys()) {
        ures.unpipe();
        ures.pause();
      }
    },
    resume() {
      stalled = false;
      for (const [ures, res] of responses) ures.pipe(res);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ures of responses.keys()) ures.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
