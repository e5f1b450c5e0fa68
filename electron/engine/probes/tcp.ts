// tcp: something accepts connections on host:port. Proves only that a
// listener exists, not whose it is; grpc/http probes say more.
import { connect } from 'node:net';
import type { ProbeResult } from './types.js';
import { bounded, since } from './bounded.js';
import { connectFailure, endpoint } from './describe.js';

export function probeTcp(check: { host: string; port: number }, timeoutMs: number): Promise<ProbeResult> {
  const where = endpoint(check.host, check.port);
  const t0 = performance.now();
  return bounded(
    timeoutMs,
    () => ({ ok: false, detail: `tcp ${where} did not accept within ${timeoutMs} ms` }),
    (settle) => {
      const socket = connect({ host: check.host, port: check.port });
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        settle({ ok: true, detail: `tcp ${where} accepted in ${since(t0)} ms` });
      });
      // `on`, not `once`: an 'error' with no listener left would crash the owner.
      socket.on('error', (err) => settle(connectFailure(err, check.host, where)));
      return () => {
        if (!connected) return void socket.destroy();
        // Close politely: read what the server says and send FIN. Destroying at once
        // resets the connection, and a service with no socket 'error' handler (common
        // in small Node servers that greet first) would crash on ECONNRESET because of us.
        socket.resume();
        socket.end();
        const t = setTimeout(() => socket.destroy(), 500);
        socket.once('close', () => clearTimeout(t));
      };
    },
  );
}
