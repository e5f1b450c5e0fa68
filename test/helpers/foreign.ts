// Foreign processes for the fault matrix: processes the test starts itself,
// unrelated to Corral, that Corral must never signal. Each one logs every
// catchable signal it receives (and survives it), so "untouched" is proven by
// its own output, its liveness, its unchanged start time and its run state.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import assert from 'node:assert/strict';
import { waitFor } from './env.js';

const SCRIPT = `
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE']) process.on(s, () => console.log('signal ' + s));
setInterval(() => {}, 1 << 30);
const port = process.env.FOREIGN_PORT;
if (port) {
  require('net').createServer((c) => c.end('foreign\\n')).listen(Number(port), process.env.FOREIGN_HOST || '127.0.0.1', () => console.log('ready ' + process.pid));
} else console.log('ready ' + process.pid);
`
  .trim()
  .replace(/\n\s*/g, ' '); // one line: ps on macOS escapes the newlines of a command line, /proc does not

/** Unique tag for `CORRAL_TEST_TAG`. */
export const newTag = (label: string): string => `${label}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** /proc/<pid>/stat fields (Linux), parsed independently of the code under test. */
export function procStat(pid: number): { state: string; pgid: number; start: string } | null {
  let t: string;
  try {
    t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, pgid: Number(f[2]), start: f[19]! };
}

export const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

export function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}

export interface Foreign {
  pid: number;
  /** Kernel start time (field 22 of /proc/<pid>/stat), the same format Corral records. */
  start: string;
  tag: string;
  /** Its command line as /proc shows it. */
  command: string;
  output(): string;
  /** Asserts it was never signalled: same pid and start time, not stopped, no signal logged. */
  assertUntouched(what?: string): void;
  /** Ends it by pid (after checking it is still the same process) and waits for its exit. */
  kill(): Promise<void>;
}

/**
 * Starts a foreign process in its own process group (so that a wrong group
 * signal would hit it, and never the test runner), tagged with
 * CORRAL_TEST_TAG=tag. `port`: it listens there (host `host`, default 127.0.0.1).
 * `env`: extra environment (e.g. a CORRAL_INSTANCE marker that is not ours).
 */
export async function startForeign(opts: { tag: string; port?: number; host?: string; env?: Record<string, string> }): Promise<Foreign> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-foreign-'));
  const logFile = join(dir, 'out.log');
  const fd = openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, CORRAL_TEST_TAG: opts.tag, ...opts.env };
  if (!opts.env?.CORRAL_INSTANCE) delete env.CORRAL_INSTANCE;
  if (opts.port) env.FOREIGN_PORT = String(opts.port);
  if (opts.host) env.FOREIGN_HOST = opts.host;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['-e', SCRIPT], { env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = child.pid!;
  const output = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  await waitFor(() => output().includes(`ready ${pid}`), 15_000, `foreign process ${pid} ready`);
  const st = procStat(pid)!;
  const command = cmdline(pid);
  return {
    pid,
    start: st.start,
    tag: opts.tag,
    command,
    output,
    assertUntouched(what = 'foreign process') {
      const now = procStat(pid);
      const signals = output()
        .split('\n')
        .filter((l) => l.startsWith('signal '));
      const problems: string[] = [];
      if (signals.length > 0) problems.push(`it received ${signals.map((l) => l.slice(7)).join(', ')}`);
      if (!now || now.start !== st.start) problems.push('it is gone (killed)');
      else if (now.state === 'Z' || now.state === 'X') problems.push('it is a zombie (killed)');
      else if (now.state === 'T') problems.push('it is stopped (SIGSTOP)');
      assert.deepEqual(problems, [], `${what} ${pid} was touched: ${problems.join('; ')}`);
    },
    async kill() {
      const now = procStat(pid);
      if (now && now.start === st.start && now.state !== 'Z') {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when something accepts connections on 127.0.0.1:port and answers `expect` (when given). */
export function answers(port: number, expect?: string, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    let data = '';
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('data', (d) => {
      data += d.toString();
      if (!expect || data.includes(expect)) done(true);
    });
    s.on('end', () => done(expect ? data.includes(expect) : true));
  });
}

/** True when this process can bind port on 127.0.0.1 (nobody listens there). */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
