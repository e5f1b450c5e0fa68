// "Address already in use" as each runtime prints it, and the port it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressInUsePort } from '../../electron/engine/address-in-use.js';

test('the port is read from what Node, Go, Python, Java, Ruby, PostgreSQL, Redis and nginx print', () => {
  const cases: [string, string[], number | null][] = [
    ['node', ['node:events:497', 'Error: listen EADDRINUSE: address already in use :::3000', '    at Server.setupListenHandle'], 3000],
    ['node ipv4', ['Error: listen EADDRINUSE: address already in use 127.0.0.1:8080'], 8080],
    ['go', ['2026/12/07 listen tcp 127.0.0.1:8081: bind: address already in use'], 8081],
    ['go any', ['listen tcp :9090: bind: address already in use'], 9090],
    ['uvicorn', ["ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use"], 8000],
    ['python', ['OSError: [Errno 98] Address already in use'], null],
    ['spring', ['Web server failed to start. Port 8082 was already in use.'], 8082],
    ['java', ['java.net.BindException: Address already in use'], null],
    ['puma', ['Address already in use - bind(2) for "0.0.0.0" port 3001 (Errno::EADDRINUSE)'], 3001],
    ['postgres', ['LOG:  could not bind IPv4 address "127.0.0.1": Address already in use', 'HINT:  Is another postmaster already running on port 5433? If not, wait a few seconds and retry.'], 5433],
    ['redis', ['# Warning: Could not create server TCP listening socket *:6380: bind: Address already in use'], 6380],
    ['nginx', ['nginx: [emerg] bind() to 0.0.0.0:8088 failed (98: Address already in use)'], 8088],
  ];
  for (const [who, lines, port] of cases) assert.equal(addressInUsePort(lines), port, who);
});

test('lines that do not say so give undefined; an impossible port is not a port', () => {
  assert.equal(addressInUsePort(['listening on 127.0.0.1:8080', 'ready']), undefined);
  assert.equal(addressInUsePort([]), undefined);
  assert.equal(addressInUsePort(['Error: listen EADDRINUSE: address already in use :::99999']), null);
});
