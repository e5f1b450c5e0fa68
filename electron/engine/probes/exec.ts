// exec: run a command (argv, no shell) and accept exit code 0. It runs in its
// own process group, so at the timeout the whole group is killed: a health
// script's `curl` or `sleep` must not outlive the probe, every few seconds, for days.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ProbeResult } from './types.js';
import { bounded, since } from './bounded.js';
import { errorCode, firstLine } from './describe.js';

/** Enough output for a first line; the rest is read and dropped, so the command never blocks on a full pipe. */
const KEEP_CHARS = 4096;

export function probeExec(
  check: { command: string[] },
  opts: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<ProbeResult> {
  const [file, ...args] = check.command;
  if (!file) return Promise.resolve({ ok: false, detail: 'exec check has an empty command' });
  // The command as the user wrote it: a string command runs as /bin/sh -c "…", and "/bin/sh" says nothing.
  const written = file === '/bin/sh' && args[0] === '-c' && args[1] ? args[1] : file;
  const shown = written.length > 60 ? `${written.slice(0, 59)}…` : written;
  const t0 = performance.now();
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let stdout = '';
  let stderr = '';

  const outcome = (): ProbeResult => {
    if (!exit) return { ok: false, detail: `exec ${shown} still running after ${opts.timeoutMs} ms; killed` };
    if (exit.code === 0) return { ok: true, detail: `exec ${shown} exited 0 in ${since(t0)} ms` };
    const said = firstOutputLine(stderr) || firstOutputLine(stdout);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited ${exit.code}`;
    return { ok: false, detail: said ? `exec ${shown} ${how}: ${said}` : `exec ${shown} ${how}` };
  };

  return bounded(opts.timeoutMs, outcome, (settle) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (pgid = its pid), which we kill as one.
      detached: true,
    });
    const pgid = child.pid;
    keepHead(child.stdout, (s) => (stdout += s));
    keepHead(child.stderr, (s) => (stderr += s));
    child.on('error', (err) => settle({ ok: false, detail: describeSpawnError(err, file, opts.cwd) }));
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Sweep what it left in its group, so a background child cannot hold
      // our pipes open (and the probe) or pile up across probes. Safe after
      // the reap: a group with live members keeps its id from being reused,
      // and an empty one is just ESRCH.
      if (pgid !== undefined) killGroup(pgid);
    });
    // 'close' comes once the output pipes are drained too, so the first line is complete.
    child.on('close', () => settle(outcome()));
    return () => {
      // Timeout: the leader is not reaped yet, so its pid (= the pgid) is still ours.
      if (!exit && pgid !== undefined) killGroup(pgid);
      child.stdout.destroy();
      child.stderr.destroy();
    };
  });
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {}
}

function keepHead(stream: Readable, append: (s: string) => void): void {
  let kept = 0;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (kept >= KEEP_CHARS) return;
    const part = chunk.slice(0, KEEP_CHARS - kept);
    kept += part.length;
    append(part);
  });
  stream.on('error', () => {});
}

/** The first line that says something: scripts often start with a blank one. */
function firstOutputLine(text: string): string {
  return firstLine(text.split('\n').find((l) => l.trim() !== '') ?? '');
}

function describeSpawnError(err: Error, file: string, cwd: string | undefined): string {
  const code = errorCode(err);
  // spawn reports a missing cwd as ENOENT too, which would blame the command.
  if (code === 'ENOENT' && cwd && !existsSync(cwd)) return `exec cannot start ${file}: working directory ${cwd} does not exist`;
  if (code === 'ENOENT') return `exec cannot start ${file}: not found${file.includes('/') ? '' : ' on PATH'}`;
  if (code === 'EACCES') return `exec cannot start ${file}: permission denied (not executable?)`;
  return `exec cannot start ${file}: ${err.message}`;
}
