// A service that crashes on demand, to see Corral's crash path: restarts with
// backoff, then `failed` with the last log lines after 5 crashes in a minute.
//   GET /health  200
//   GET /crash   answers, then exits 1
//   $CRASH_FILE  while it exists, the service crashes right after starting
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { log } from './log.mjs';

const port = Number(process.env.PORT ?? 17280);
const crashFile = process.env.CRASH_FILE;

if (crashFile && existsSync(crashFile)) {
  log('error', `${crashFile} exists: crashing on purpose (remove it to let me start)`);
  process.exit(1);
}

createServer((req, res) => {
  if (req.url === '/crash') {
    res.end('crashing\n', () => {
      log('error', 'asked to crash: exiting with code 1');
      process.exit(1);
    });
    return;
  }
  res.end('ok\n');
}).listen(port, '127.0.0.1', () => log('info', `listening on 127.0.0.1:${port}; GET /crash makes me crash`));
process.on('SIGTERM', () => process.exit(0));
