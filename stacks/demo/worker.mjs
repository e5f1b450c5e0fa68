// A worker like workflow-runner / agent-runner: polls "temporal" and checks
// "stigmer-server" every 2 s; after 3 failures in a row it exits 1, and Corral
// restarts it (on-failure).
import { connect } from 'node:net';
import { log } from './log.mjs';

const name = process.argv[2] ?? 'worker';
const targets = [process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:17233', process.env.API_ADDRESS ?? '127.0.0.1:17234'];
let failures = 0;
let polls = 0;

function reach(addr) {
  const [host, port] = addr.split(':');
  return new Promise((resolve) => {
    const s = connect(Number(port), host);
    s.setTimeout(1000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function poll() {
  const ok = (await Promise.all(targets.map(reach))).every(Boolean);
  if (ok) {
    failures = 0;
    if (++polls % 5 === 1) log('info', `${name}: polled task queue ${name} (${polls} polls, no tasks)`);
    return;
  }
  failures++;
  log('warn', `${name}: cannot reach ${targets.join(' / ')} (${failures} in a row)`);
  if (failures >= 3) {
    log('error', `${name}: giving up`);
    process.exit(1);
  }
}

log('info', `${name} started (pid ${process.pid})`);
setInterval(poll, 2000);
void poll();
process.on('SIGTERM', () => {
  log('info', `${name}: SIGTERM, finishing the current task`);
  process.exit(0);
});
