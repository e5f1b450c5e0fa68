// Real third-party servers under Corral, in the foreground as a supervisor
// runs them: PostgreSQL (a postmaster and its background workers), Redis, and
// nginx (a master and two workers). Start, health, SIGKILL the owner, the next
// owner adopts the same processes, stop with nothing left. Each server is
// skipped, with a message, where it is not installed (.ci/run installs them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harness, type StackJson } from './cli-harness.js';
import { freePort, isLive, waitFor } from '../helpers/env.js';
import type { PsEntry } from '../../electron/host/control/protocol.js';

const which = (cmd: string): string | null => {
  for (const p of [`/usr/local/bin/${cmd}`, `/usr/lib/postgresql/15/bin/${cmd}`, `/usr/bin/${cmd}`, `/usr/sbin/${cmd}`]) if (existsSync(p)) return p;
  return null;
};
const postgres = which('postgres');
const initdb = which('initdb');
const redis = which('redis-server');
const nginx = which('nginx');
const isRoot = process.getuid?.() === 0;
const pgUser = isRoot && spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : null;

interface Server {
  name: string;
  yaml: string;
  /** Processes the server is expected to run (at least). */
  minProcesses: number;
}

async function postgresServer(scratch: string[]): Promise<Server | string> {
  if (!postgres || !initdb) return 'PostgreSQL (postgres, initdb) is not installed';
  if (isRoot && !pgUser) return 'PostgreSQL refuses to run as root and there is no `postgres` user';
  const data = mkdtempSync(join(tmpdir(), 'corral-pg-'));
  scratch.push(data);
  const asUser = pgUser ? ['setpriv', `--reuid=${pgUser}`, `--regid=${pgUser}`, '--init-groups', '--'] : [];
  if (pgUser) spawnSync('chown', [pgUser, data]);
  const init = spawnSync(asUser[0] ?? initdb, [...asUser.slice(1), ...(asUser.length ? [initdb] : []), '-D', join(data, 'db'), '-A', 'trust', '-U', 'corral', '--no-sync'], { encoding: 'utf8' });
  if (init.status !== 0) return `initdb failed: ${init.stderr}`;
  const port = await freePort();
  // setpriv execs postgres (no extra process): the postmaster is the service's own process.
  const command = [...asUser, postgres, '-D', join(data, 'db'), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'];
  return {
    name: 'postgres',
    minProcesses: 4,
    yaml: `  postgres:
    command: ${JSON.stringify(command)}
    ports: [${port}]
    health: { exec: { command: ${JSON.stringify(['pg_isready', '-h', '127.0.0.1', '-p', String(port)])} }, interval: 1s }
    stop: { signal: SIGINT, grace: 10s }
    start_timeout: 30s
`,
  };
}

async function redisServer(scratch: string[]): Promise<Server | string> {
  if (!redis) return 'Redis (redis-server) is not installed: apt-get install redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'corral-redis-'));
  scratch.push(dir);
  const port = await freePort();
  return {
    name: 'redis',
    minProcesses: 1,
    yaml: `  redis:
    command: ${JSON.stringify([redis, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'])}
    ports: [${port}]
    health: { tcp: { port: ${port} }, interval: 1s }
    stop: { grace: 5s }
`,
  };
}

async function nginxServer(scratch: string[]): Promise<Server | string> {
  if (!nginx) return 'nginx is not installed: apt-get install nginx';
  const dir = mkdtempSync(join(tmpdir(), 'corral-nginx-'));
  scratch.push(dir);
  for (const d of ['body', 'proxy', 'fcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  if (isRoot) chownSync(dir, 0, 0);
  const port = await freePort();
  // `env CORRAL_INSTANCE`: nginx clears its workers' environment otherwise. (Its process titles overwrite
  // the environment area, so /proc shows no marker anyway: the workers are found by process group.)
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process on;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log stderr notice;
env CORRAL_INSTANCE;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } }
}
`,
  );
  return {
    name: 'nginx',
    minProcesses: 3,
    yaml: `  nginx:
    command: ${JSON.stringify([nginx, '-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')])}
    ports: [${port}]
    health: { http: { url: "http://127.0.0.1:${port}/" }, interval: 1s }
    stop: { grace: 5s }
`,
  };
}

test('real services (PostgreSQL, Redis, nginx): start, health, owner SIGKILLed and adopted (same pids), stop with nothing left', async (t) => {
  const scratch: string[] = [];
  const servers: Server[] = [];
  for (const make of [postgresServer, redisServer, nginxServer]) {
    const s = await make(scratch);
    if (typeof s === 'string') t.diagnostic(`skipped: ${s}`);
    else servers.push(s);
  }
  if (servers.length === 0) {
    t.skip('none of PostgreSQL, Redis, nginx is installed');
    return;
  }
  const h = harness('real');
  // These servers overwrite their environment (process titles), so the marker check at the end cannot
  // see them: what `ps` listed is also checked, and killed by pid if a failure left it running.
  let seen: PsEntry[] = [];
  try {
    const dir = h.project();
    h.writeStack(dir, `version: 1\nname: real\nservices:\n${servers.map((s) => s.yaml).join('')}`);
    const up = await h.run(['up'], { cwd: dir, timeoutMs: 90_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const first = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
    assert.ok(first.every((s) => s.state === 'running'), JSON.stringify(first));
    const procs = await h.json<PsEntry[]>(['ps'], { cwd: dir });
    seen = procs;
    for (const s of servers) {
      const mine = procs.filter((p) => p.service === s.name);
      t.diagnostic(`${s.name}: ${mine.length} processes (${mine.map((p) => `${p.pid} ${p.role}`).join(', ')})`);
      assert.ok(mine.length >= s.minProcesses, `${s.name} runs at least ${s.minProcesses} processes`);
    }

    const owner = h.ownerPid()!;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 5000, 'owner gone');
    // The new owner answers once adoption is done; a slow first probe may still show `starting`.
    const next = await waitFor(async () => {
      const sv = (await h.json<StackJson[]>(['status'], { cwd: dir }))[0]!.services;
      return sv.every((s) => s.state === 'running') ? sv : null;
    }, 30_000, 'every adopted service running');
    assert.deepEqual(next.map((s) => [s.name, s.pid, s.state, s.adopted]), first.map((s) => [s.name, s.pid, 'running', true]));
    const procs2 = await h.json<PsEntry[]>(['ps'], { cwd: dir });
    // None added: the same group leaders. None lost: every process of before that is still
    // alive is listed. (PostgreSQL forks short-lived backends, e.g. for pg_isready, at any time.)
    const leaders = (l: PsEntry[]) => l.filter((p) => p.role === 'leader').map((p) => p.pid).sort();
    assert.deepEqual(leaders(procs2), leaders(procs), 'the same group leaders, none added');
    const listed = new Set(procs2.map((p) => p.pid));
    assert.deepEqual(procs.filter((p) => !listed.has(p.pid) && isLive(p.pid)), [], 'every surviving process is still found');

    const down = await h.run(['down'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(down.code, 0, down.stdout + down.stderr);
    for (const p of procs) assert.equal(isLive(p.pid), false, `${p.service} process ${p.pid} (${p.command}) is gone`);
  } finally {
    await h.cleanup().finally(() => {
      for (const p of seen) if (isLive(p.pid)) process.kill(p.pid, 'SIGKILL');
    });
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  }
});
