// A Temporal-like dev server: accepts TCP connections on $PORT and forks a
// "history" child in its own process group, as the real server runs several
// processes. Corral stops the whole group.
import { createServer } from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { log } from './log.mjs';

if (process.argv[2] === '--history') {
  let shards = 0;
  setInterval(() => log('info', `history: ${++shards * 4} shards balanced`), 5000);
  process.on('SIGTERM', () => process.exit(0));
  log('info', `history service started (pid ${process.pid})`);
} else {
  const port = Number(process.env.PORT ?? 17233);
  const history = fork(fileURLToPath(import.meta.url), ['--history'], { stdio: 'inherit' });
  let clients = 0;
  const server = createServer((sock) => {
    clients++;
    sock.on('error', () => {});
    sock.end('temporal-demo\n');
  });
  server.listen(port, '127.0.0.1', () => log('info', `frontend listening on 127.0.0.1:${port} (history pid ${history.pid})`));
  setInterval(() => log('info', `frontend: ${clients} connections so far`), 10_000);
  process.on('SIGTERM', () => {
    log('warn', 'SIGTERM: shutting down');
    history.kill('SIGTERM');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
