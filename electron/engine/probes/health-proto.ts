// The two grpc.health.v1 messages, encoded by hand: each is one field, which
// is not worth a .proto loader at runtime.
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }

export const HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type ServingStatus = (typeof SERVING_STATUS)[number];

export function encodeHealthCheckRequest(service: string): Buffer {
  // proto3 leaves a default (empty) string out entirely.
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

/** The status of a HealthCheckResponse; unknown fields are skipped as proto3 requires. Throws on malformed input. */
export function decodeHealthCheckResponse(buf: Buffer): ServingStatus | `status ${number}` {
  let status = 0;
  const reader = { buf, at: 0 };
  while (reader.at < buf.length) {
    const key = readVarint(reader);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = readVarint(reader);
      if (field === 1) status = value;
    } else if (wire === 2) {
      const length = readVarint(reader);
      reader.at += length;
    } else if (wire === 1) {
      reader.at += 8;
    } else if (wire === 5) {
      reader.at += 4;
    } else {
      throw new Error(`HealthCheckResponse: unsupported wire type ${wire}`);
    }
    if (reader.at > buf.length) throw new Error('HealthCheckResponse: truncated message');
  }
  return SERVING_STATUS[status] ?? `status ${status}`;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function readVarint(r: { buf: Buffer; at: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.buf[r.at++];
    if (b === undefined) throw new Error('HealthCheckResponse: truncated varint');
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
  throw new Error('HealthCheckResponse: varint too long');
}
