#!/usr/bin/env node
// A foreign process that wants a port: it tries to listen on 127.0.0.1:<argv[2]>
// until it gets it, prints "holding <port>", then holds it until it is ended.
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const srv = createServer((s) => s.on('error', () => {}).end());
const attempt = () => srv.listen(port, '127.0.0.1');
srv.on('error', () => setTimeout(attempt, 20));
srv.on('listening', () => console.log(`holding ${port}`));
attempt();
setInterval(() => {}, 1 << 30);
