// A stigmer-server-like gRPC server that serves grpc.health.v1.Health/Check
// (SERVING for "" and stigmer.demo.Api). The two health messages are one
// field each, encoded by hand, so no protobuf tooling is needed.
import * as grpc from '@grpc/grpc-js';
import { log } from './log.mjs';

const port = Number(process.env.PORT ?? 17234);
const NAME = 'stigmer.demo.Api';

/** HealthCheckRequest { string service = 1 } (other fields skipped). */
function decodeRequest(buf) {
  let i = 0;
  let service = '';
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated');
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key % 8;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (Math.floor(key / 8) === 1) service = buf.subarray(i, i + len).toString('utf8');
      i += len;
    } else throw new Error(`wire type ${wire}`);
  }
  return { service };
}

const health = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestDeserialize: decodeRequest,
    responseSerialize: ({ status }) => Buffer.from([0x08, status]),
    requestSerialize: () => Buffer.alloc(0),
    responseDeserialize: () => ({}),
  },
};

let checks = 0;
const server = new grpc.Server();
server.addService(health, {
  Check(call, cb) {
    checks++;
    const s = call.request.service;
    cb(null, { status: s === '' || s === NAME ? 1 : 3 });
  },
});
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    log('error', `cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  log('info', `gRPC listening on 127.0.0.1:${port} (temporal at ${process.env.TEMPORAL_ADDRESS})`);
});
setInterval(() => log('info', `${checks} health checks answered`), 10_000);
process.on('SIGTERM', () => {
  log('warn', 'SIGTERM: draining');
  const force = setTimeout(() => server.forceShutdown(), 1000);
  server.tryShutdown(() => {
    clearTimeout(force);
    process.exit(0);
  });
});
