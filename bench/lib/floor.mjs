#!/usr/bin/env node
// What the runtime itself costs, measured beside the managers: the floor under
// any Node process manager on this machine.
//
//   node bench/lib/floor.mjs probes PORT...   every 5 s, one TCP connection to each port,
//                                             closed as Corral's probe closes it; runs until killed
//   node bench/lib/floor.mjs spawn N SECONDS  spawns N `sleep SECONDS` (own session, output
//                                             discarded), prints {"ms": …} once all have started,
//                                             then ends them by pid and exits
import { connect } from 'node:net';
import { spawn } from 'node:child_process';

const [what, ...args] = process.argv.slice(2);

if (what === 'probes') {
  const ports = args.map(Number);
  const round = () => {
    for (const port of ports) {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.resume();
        socket.end();
      });
      socket.on('error', () => socket.destroy());
    }
  };
  setInterval(round, 5000);
  process.on('SIGTERM', () => process.exit(0));
} else if (what === 'spawn') {
  const n = Number(args[0]);
  const t0 = performance.now();
  const kids = [];
  for (let i = 0; i < n; i++) kids.push(spawn('sleep', [args[1] ?? '1000000'], { detached: true, stdio: 'ignore' }));
  const ms = performance.now() - t0;
  const exited = kids.map((k) => new Promise((r) => (k.exitCode !== null || k.signalCode !== null ? r() : k.once('exit', r))));
  for (const k of kids) k.kill('SIGKILL');
  await Promise.all(exited);
  console.log(JSON.stringify({ ms, spawned: kids.filter((k) => k.pid).length }));
} else {
  console.error('usage: floor.mjs probes PORT... | spawn N SECONDS');
  process.exit(2);
}
