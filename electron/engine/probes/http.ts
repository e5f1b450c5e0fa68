// http: GET the url and accept a status in [min, max]. One fresh connection
// per probe (no agent, no keep-alive) so nothing stays open between probes,
// and the body is never read: the status line is the whole answer.
import { get as httpGet, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { ProbeResult } from './types.js';
import { bounded, since } from './bounded.js';
import { describeConnectError, endpoint, errorCode, firstLine } from './describe.js';

export function probeHttp(check: { url: string; status: [number, number] }, timeoutMs: number): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL(check.url);
  } catch {
    return Promise.resolve({ ok: false, detail: `http check has an invalid url '${check.url}'` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve({ ok: false, detail: `http check needs an http:// or https:// url, got '${check.url}'` });
  }
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const where = endpoint(host, url.port || (https ? 443 : 80));
  const [min, max] = check.status;
  const href = url.href;
  const t0 = performance.now();

  return bounded(
    timeoutMs,
    () => ({ ok: false, detail: `http GET ${href} got no answer within ${timeoutMs} ms` }),
    (settle) => {
      const options: RequestOptions & { rejectUnauthorized?: boolean } = {
        agent: false,
        headers: { connection: 'close', 'user-agent': 'corral-probe' },
        // Like Kubernetes' httpGet probe: a local service's self-signed
        // certificate says nothing about its health, so it is not verified.
        rejectUnauthorized: false,
      };
      const onResponse = (res: IncomingMessage): void => {
        res.on('error', () => {});
        res.resume();
        const status = res.statusCode ?? 0;
        const ok = status >= min && status <= max;
        settle({
          ok,
          detail: ok
            ? `http ${status} from ${href} in ${since(t0)} ms`
            : `http ${status} from ${href} (expected ${min === max ? min : `${min}-${max}`})`,
        });
      };
      const req: ClientRequest = https ? httpsGet(url, options, onResponse) : httpGet(url, options, onResponse);
      req.on('error', (err) => settle({ ok: false, detail: describeHttpError(err, host, where), ...(errorCode(err) === 'ECONNREFUSED' ? { refused: true as const } : {}) }));
      // Also drops a body still streaming in: the probe has its answer.
      return () => req.destroy();
    },
  );
}

/** Failures after the connection was made say what the listener did, since it is likely the wrong server. */
function describeHttpError(err: Error, host: string, where: string): string {
  const code = errorCode(err) ?? '';
  if (code.startsWith('HPE_')) return `${where} did not answer in HTTP (${firstLine(err.message)})`;
  if (code === 'ECONNRESET' && err.message === 'socket hang up') return `${where} closed the connection without an HTTP answer`;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL')) return `TLS handshake with ${where} failed (does it serve plain http?): ${firstLine(err.message)}`;
  return describeConnectError(err, host, where);
}
