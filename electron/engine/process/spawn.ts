// Starts one service instance: its own session and process group (setsid via
// detached), both streams straight into its log file (no pipes, so it outlives
// the owner), a marker in its environment inherited by all its descendants.
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { closeSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { ServiceSpec } from '../../../shared/stack.js';
import { MARKER_VAR, platform } from './platform/index.js';
import { openLogForChild } from '../logs/log-files.js';
import type { InstanceRecord } from '../state/state-file.js';

export interface Spawned {
  child: ChildProcess;
  record: InstanceRecord;
}

export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

/** Why the service's working directory cannot be used, or undefined when it can. */
function missingCwd(spec: ServiceSpec): string | undefined {
  let isDir: boolean | undefined;
  try {
    isDir = statSync(spec.cwd).isDirectory();
  } catch {}
  if (isDir) return undefined;
  const where = spec.cwdAt ? ` (\`cwd\` at ${spec.cwdAt})` : '';
  return `working directory ${spec.cwd}${where} ${isDir === false ? 'is not a directory' : 'does not exist'}: create it, or fix \`cwd\``;
}

export function newInstanceId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function spawnService(
  spec: ServiceSpec,
  ctx: { stack: string; markerPrefix: string; logFile: string; restarts: number; baseEnv?: NodeJS.ProcessEnv },
): Promise<Spawned> {
  // spawn reports a missing cwd as ENOENT, the same as a missing program: check it first, to name the right field.
  const noCwd = missingCwd(spec);
  if (noCwd) throw new SpawnError(`${spec.name}: cannot start: ${noCwd}`, 'ENOENT');
  const instance = newInstanceId();
  const marker = `${ctx.markerPrefix}${instance}`;
  const fd = openLogForChild(ctx.logFile);
  const env: NodeJS.ProcessEnv = {
    ...(ctx.baseEnv ?? process.env),
    // Output goes to a file, not a TTY: ask for colour and unbuffered output (the viewer renders ANSI).
    FORCE_COLOR: '1',
    PYTHONUNBUFFERED: '1',
    ...spec.env,
    [MARKER_VAR]: marker,
  };
  const [file, ...args] = spec.command;
  let child: ChildProcess;
  try {
    child = spawnChild(file!, args, { cwd: spec.cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ENOENT'
          ? (missingCwd(spec) ?? `command not found: \`${file}\` (looked in ${spec.cwd} and PATH); install it or fix \`command\``)
          : e.code === 'EACCES'
            ? `\`${file}\` is not executable (EACCES)`
            : `${e.message}`;
      reject(new SpawnError(`${spec.name}: cannot start: ${why}`, e.code ?? 'ESPAWN'));
    });
  });
  const pid = child.pid!;
  const p = await platform();
  const info = await p.processInfo(pid);
  const boot = await p.bootId();
  const record: InstanceRecord = {
    v: 1,
    stack: ctx.stack,
    service: spec.name,
    instance,
    marker,
    pid,
    pgid: pid,
    // If it already exited, the start time is unknown: record an impossible one so nothing can match it.
    start: info?.start ?? 'exited',
    boot,
    command: spec.command,
    ports: spec.ports,
    startedAt: Date.now(),
    restarts: ctx.restarts,
  };
  return { child, record };
}
