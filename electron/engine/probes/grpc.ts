// grpc: grpc.health.v1.Health/Check for a service name. Unlike tcp, a SERVING
// answer proves the listener is the gRPC server we expect, not some other
// process that grabbed the port; so a listener that is not gRPC fails with a
// detail that says so. One connection per probe, destroyed after it.
import type { ProbeResult } from './types.js';
import { bounded, since } from './bounded.js';
import { connectFailure, endpoint } from './describe.js';
import { HEALTH_CHECK_METHOD, decodeHealthCheckResponse, encodeHealthCheckRequest } from './health-proto.js';
import { GRPC_CODES, startUnaryCall, type CallOutcome, type UnaryCall } from './grpc-unary.js';

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

export function probeGrpc(check: { host: string; port: number; service: string }, timeoutMs: number): Promise<ProbeResult> {
  const where = endpoint(check.host, check.port);
  const t0 = performance.now();
  let call: UnaryCall | undefined;

  const timedOut = (): ProbeResult => {
    const detail = {
      connecting: `grpc ${where} did not accept a connection within ${timeoutMs} ms`,
      handshake: `no gRPC answer from ${where} within ${timeoutMs} ms: it accepted the connection but never spoke HTTP/2 (not a gRPC server, or stuck)`,
      waiting: `grpc server on ${where} did not answer Health/Check within ${timeoutMs} ms`,
    }[call?.phase() ?? 'connecting'];
    return { ok: false, detail };
  };

  return bounded(timeoutMs, timedOut, (settle) => {
    const c = startUnaryCall(where, HEALTH_CHECK_METHOD, encodeHealthCheckRequest(check.service), timeoutMs, (outcome) =>
      settle(judge(outcome, check, where, t0)),
    );
    call = c;
    return () => c.close();
  });
}

function judge(outcome: CallOutcome, check: { host: string; service: string }, where: string, t0: number): ProbeResult {
  const service = `service '${check.service}'`;
  switch (outcome.kind) {
    case 'connect-error':
      return connectFailure(outcome.error, check.host, where);
    case 'not-grpc':
      return { ok: false, detail: `${where} is not a gRPC server: ${outcome.reason}` };
    case 'broken':
      return { ok: false, detail: `grpc Health/Check on ${where} broke off: ${outcome.reason}` };
    case 'status':
      break;
  }
  const { code, message, body } = outcome;
  if (code === UNIMPLEMENTED) return { ok: false, detail: `gRPC server on ${where} does not implement grpc.health.v1 Health/Check` };
  // The reference health service answers Check for an unknown name with NOT_FOUND.
  if (code === NOT_FOUND) return { ok: false, detail: `grpc server on ${where} does not know ${service} (NOT_FOUND)` };
  if (code !== 0) {
    return { ok: false, detail: `grpc Health/Check on ${where} failed: ${GRPC_CODES[code] ?? `status ${code}`}${message ? ` ${message}` : ''}` };
  }
  let status: string;
  try {
    if (!body) throw new Error('no message');
    status = decodeHealthCheckResponse(body);
  } catch (err) {
    return { ok: false, detail: `grpc server on ${where} sent an unreadable HealthCheckResponse (${(err as Error).message})` };
  }
  if (status === 'SERVING') return { ok: true, detail: `grpc SERVING for ${service} on ${where} in ${since(t0)} ms` };
  if (status === 'SERVICE_UNKNOWN') return { ok: false, detail: `grpc SERVICE_UNKNOWN for ${service} on ${where} (the server does not know this name)` };
  return { ok: false, detail: `grpc ${status} for ${service} on ${where}` };
}
