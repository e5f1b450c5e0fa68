// grpc: grpc.health.v1.Health/Check for a service name. Unlike tcp, a SERVING
// answer proves the listener is the gRPC server we expect, not some other
// process that grabbed the port; so a listener that is not gRPC fails with a
// detail that says so. One channel per probe, closed after it.
import { Client, Metadata, connectivityState, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { ProbeResult } from './types.js';
import { bounded, since } from './bounded.js';
import { describeConnectError, endpoint } from './describe.js';
import { HEALTH_CHECK_METHOD, decodeHealthCheckResponse, encodeHealthCheckRequest, type ServingStatus } from './health-proto.js';

const CHANNEL_OPTIONS = {
  // The subchannel belongs to this channel and dies with it, instead of being
  // parked in grpc-js's process-wide pool between probes.
  'grpc.use_local_subchannel_pool': 1,
  // A developer's http_proxy must not route a probe of a local port.
  'grpc.enable_http_proxy': 0,
  // One attempt: the supervisor's probe schedule is the retry policy.
  'grpc.enable_retries': 0,
  // No DNS TXT lookup for a service config, no channelz registry entry per probe.
  'grpc.service_config_disable_resolution': 1,
  'grpc.enable_channelz': 0,
};

export function probeGrpc(check: { host: string; port: number; service: string }, timeoutMs: number): Promise<ProbeResult> {
  const where = endpoint(check.host, check.port);
  const service = `service '${check.service}'`;
  const t0 = performance.now();
  let client: Client | undefined;

  const timedOut = (): ProbeResult => {
    const state = client?.getChannel().getConnectivityState(false);
    return {
      ok: false,
      detail:
        state === connectivityState.READY
          ? `grpc server on ${where} did not answer Health/Check within ${timeoutMs} ms`
          : `no gRPC answer from ${where} within ${timeoutMs} ms (the listener does not speak gRPC, or is stuck)`,
    };
  };

  return bounded(timeoutMs, timedOut, (settle) => {
    const c = new Client(where, credentials.createInsecure(), CHANNEL_OPTIONS);
    client = c;
    const call = c.makeUnaryRequest<string, ServingStatus | `status ${number}`>(
      HEALTH_CHECK_METHOD,
      encodeHealthCheckRequest,
      decodeHealthCheckResponse,
      check.service,
      new Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, status) => {
        if (err) {
          settle(err.code === GrpcStatus.DEADLINE_EXCEEDED ? timedOut() : { ok: false, detail: describeGrpcError(err, check.host, where) });
        } else if (status === 'SERVING') {
          settle({ ok: true, detail: `grpc SERVING for ${service} on ${where} in ${since(t0)} ms` });
        } else if (status === 'SERVICE_UNKNOWN') {
          settle({ ok: false, detail: `grpc SERVICE_UNKNOWN for ${service} on ${where} (the server does not know this name)` });
        } else {
          settle({ ok: false, detail: `grpc ${status ?? 'UNKNOWN'} for ${service} on ${where}` });
        }
      },
    );
    // An HTTP/2 server that is not gRPC (a dev proxy, a web server) answers
    // with its own content type; say so instead of a message-framing error.
    call.on('metadata', (md: Metadata) => {
      const type = md.get('content-type')[0];
      if (typeof type === 'string' && !type.startsWith('application/grpc')) {
        settle({ ok: false, detail: `${where} answered HTTP/2 with content-type '${type}': not a gRPC server` });
      }
    });
    return () => {
      call.cancel();
      c.close();
    };
  });
}

function describeGrpcError(err: ServiceError, host: string, where: string): string {
  const details = err.details ?? '';
  const http = /^Received HTTP status code (\d+)/.exec(details);
  if (http) return `${where} answered HTTP ${http[1]} instead of gRPC: not a gRPC server`;
  if (err.code === GrpcStatus.UNAVAILABLE) {
    // grpc-js folds the socket error into a message; the errno is the useful part.
    const errno = /\b(E[A-Z]{3,}|EAI_[A-Z]+)\b/.exec(details);
    if (errno) return describeConnectError(Object.assign(new Error(details), { code: errno[1] }), host, where);
    if (details.includes('Protocol error')) return `${where} is listening but is not a gRPC server (no HTTP/2 answer; or it requires TLS)`;
    if (details.includes('Failed to connect')) return `${where} accepted and closed the connection: not a gRPC server`;
  }
  if (err.code === GrpcStatus.UNIMPLEMENTED) return `gRPC server on ${where} does not implement grpc.health.v1 Health/Check`;
  return `grpc Health/Check on ${where} failed: ${GrpcStatus[err.code] ?? err.code} ${details}`.trim();
}
