// One health probe attempt of any kind. Never throws and always settles within
// the timeout (plus a few ms), so the supervisor can call it on a schedule
// without guarding it.
import type { HealthCheck } from '../../../shared/stack.js';
import type { ProbeOptions, ProbeResult } from './types.js';
import { errorMessage } from './bounded.js';
import { probeTcp } from './tcp.js';
import { probeExec } from './exec.js';

export type { ProbeOptions, ProbeResult } from './types.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export async function probe(check: HealthCheck, opts: ProbeOptions): Promise<ProbeResult> {
  const { timeoutMs } = opts;
  // setTimeout turns NaN, <= 0 and anything above 2^31-1 ms into 1 ms, which
  // would fail every probe as "timed out"; name the caller's mistake instead.
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    return { ok: false, detail: `probe timeout must be between 1 and ${MAX_TIMEOUT_MS} ms, got ${String(timeoutMs)}` };
  }
  const r = await attempt(check, opts);
  return !r.ok && /\bE[MN]FILE\b/.test(r.detail) ? { ...r, transient: true } : r;
}

async function attempt(check: HealthCheck, opts: ProbeOptions): Promise<ProbeResult> {
  const { timeoutMs } = opts;
  try {
    switch (check.kind) {
      case 'tcp':
        return await probeTcp(check, timeoutMs);
      // Loaded on first use: node:http and node:http2 cost an owner without such checks ~7 MB.
      case 'http':
        return await (await import('./http.js')).probeHttp(check, timeoutMs);
      case 'grpc':
        return await (await import('./grpc.js')).probeGrpc(check, timeoutMs);
      case 'exec':
        return await probeExec(check, opts);
      case 'log':
        // Read by the supervisor, which knows the log file and where this start began (log-ready.ts).
        return { ok: false, detail: 'a log check is not a probe' };
      default: {
        const unknown: never = check;
        return { ok: false, detail: `unknown health check kind '${(unknown as { kind?: unknown }).kind}'` };
      }
    }
  } catch (err) {
    return { ok: false, detail: `${check.kind} probe failed unexpectedly: ${errorMessage(err)}` };
  }
}
