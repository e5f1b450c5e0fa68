// One gRPC unary call over cleartext HTTP/2 (prior knowledge), on a session of
// its own that `close()` destroys at once. Written on node:http2 rather than
// @grpc/grpc-js because grpc-js never abandons a connection attempt that got
// no HTTP/2 SETTINGS (grpc/grpc-node#2785), and closing the channel leaves that
// socket open (seen with 1.14.7): against a listener that accepts and hangs,
// one leaked socket per probe, forever.
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { firstLine } from './describe.js';

/** How far the call got: the detail of a timeout depends on it. */
export type CallPhase = 'connecting' | 'handshake' | 'waiting';

export type CallOutcome =
  /** The peer answered in gRPC: a status, and the message when the status is OK. */
  | { kind: 'status'; code: number; message: string; body: Buffer | null }
  /** The peer is not a gRPC server (it answered, but not in gRPC). */
  | { kind: 'not-grpc'; reason: string }
  /** No connection: refused, unreachable, unknown host. */
  | { kind: 'connect-error'; error: Error }
  /** A gRPC peer broke the call off (reset stream, GOAWAY, oversized answer). */
  | { kind: 'broken'; reason: string };

export interface UnaryCall {
  phase(): CallPhase;
  close(): void;
}

/** An answer to a health check is a few bytes; anything this large is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export const GRPC_CODES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

export function startUnaryCall(
  authority: string,
  path: string,
  request: Buffer,
  timeoutMs: number,
  onOutcome: (outcome: CallOutcome) => void,
): UnaryCall {
  let phase: CallPhase = 'connecting';
  let done = false;
  const finish = (outcome: CallOutcome): void => {
    if (done) return;
    done = true;
    onOutcome(outcome);
  };

  const session: ClientHttp2Session = connect(`http://${authority}`, { settings: { enablePush: false } });
  session.on('connect', () => (phase = 'handshake'));
  session.on('remoteSettings', () => (phase = 'waiting'));
  session.on('error', (err) => finish(failure(err, phase)));
  session.on('close', () => finish(phase === 'handshake' ? notGrpc('it closed the connection') : { kind: 'broken', reason: 'connection closed' }));

  const stream: ClientHttp2Stream = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    // Lets the server give up when we do; the unit 'm' allows at most 8 digits.
    'grpc-timeout': `${Math.min(Math.ceil(timeoutMs), 99_999_999)}m`,
    'user-agent': 'corral-probe',
  });
  let headers: IncomingHttpHeaders | null = null;
  let trailers: IncomingHttpHeaders | null = null;
  const chunks: Buffer[] = [];
  let received = 0;

  stream.on('response', (h) => {
    headers = h;
    const status = h[':status'];
    const type = String(h['content-type'] ?? '');
    if (h['grpc-status'] !== undefined) return; // trailers-only answer: a gRPC error, read at close
    if (status !== 200) finish(notGrpc(`it answered HTTP ${status}`));
    else if (!type.startsWith('application/grpc')) finish(notGrpc(`it answered with content-type '${type}'`));
  });
  stream.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_RESPONSE_BYTES) finish({ kind: 'broken', reason: `answer larger than ${MAX_RESPONSE_BYTES} bytes` });
    else chunks.push(chunk);
  });
  stream.on('trailers', (t) => (trailers = t));
  stream.on('error', (err) => finish(failure(err, phase)));
  stream.on('close', () => {
    if (!headers) {
      finish(phase === 'handshake' ? notGrpc('it closed the connection') : { kind: 'broken', reason: `call reset (HTTP/2 code ${stream.rstCode})` });
      return;
    }
    const source: IncomingHttpHeaders = trailers ?? headers;
    const code = Number(source['grpc-status']);
    if (source['grpc-status'] === undefined || !Number.isInteger(code)) {
      finish(notGrpc('it ended the call without a gRPC status'));
      return;
    }
    finish({ kind: 'status', code, message: grpcMessage(source['grpc-message']), body: code === 0 ? unframe(Buffer.concat(chunks)) : null });
  });
  stream.end(frame(request));

  return {
    phase: () => phase,
    close: () => {
      done = true;
      session.destroy();
    },
  };
}

const notGrpc = (reason: string): CallOutcome => ({ kind: 'not-grpc', reason });

function failure(err: Error, phase: CallPhase): CallOutcome {
  // A stream queued on a session that never connected is cancelled with the socket's error as cause.
  const cause = (err as { code?: string }).code === 'ERR_HTTP2_STREAM_CANCEL' && err.cause instanceof Error ? err.cause : err;
  if (phase === 'connecting') return { kind: 'connect-error', error: cause };
  if (phase === 'handshake') return notGrpc(`it does not speak HTTP/2 (${firstLine(cause.message)})`);
  return { kind: 'broken', reason: firstLine(cause.message) };
}

/** gRPC length-prefixed message: compressed flag (0), 4-byte big-endian length, bytes. */
function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** The first message of a response body; null when the body is not one uncompressed message. */
function unframe(body: Buffer): Buffer | null {
  if (body.length < 5 || body[0] !== 0) return null;
  const length = body.readUInt32BE(1);
  return body.length >= 5 + length ? body.subarray(5, 5 + length) : null;
}

function grpcMessage(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
