// Where the owner's control socket lives. A Unix socket path must fit in
// sun_path (104 bytes on macOS, 108 on Linux, NUL included), and libuv
// truncates a longer one silently, so the owner would listen on a name nobody
// looks for: the length is checked here and a too-long path is an error.
// The socket sits in a 0700 directory of ours: the file system decides who
// may connect (same user only), as for ssh-agent.
import { lstatSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataDir } from '../../engine/state/paths.js';

/** Strictly below the smallest sun_path (macOS: 104 bytes including the NUL). */
export const MAX_SOCKET_PATH_BYTES = 103;

export class SocketPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocketPathError';
  }
}

const fits = (p: string) => Buffer.byteLength(p) <= MAX_SOCKET_PATH_BYTES;

/**
 * The socket path for a data directory: `$CORRAL_SOCKET_DIR/<id>.sock` when set,
 * else `<home>/run/ctl.sock` when short enough, else a per-user directory
 * under $XDG_RUNTIME_DIR or the temp dir.
 */
export function controlSocketPath(dir: DataDir, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CORRAL_SOCKET_DIR) {
    const p = join(env.CORRAL_SOCKET_DIR, `${dir.id}.sock`);
    if (!fits(p)) throw tooLong(p, 'CORRAL_SOCKET_DIR');
    return p;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const candidates = [
    join(dir.home, 'run', 'ctl.sock'),
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'corral', `${dir.id}.sock`)] : []),
    join(tmpdir(), `corral-${uid}`, `${dir.id}.sock`),
    join('/tmp', `corral-${uid}`, `${dir.id}.sock`),
  ];
  const p = candidates.find(fits);
  if (!p) throw tooLong(candidates[0]!, 'CORRAL_HOME');
  return p;
}

function tooLong(p: string, knob: string): SocketPathError {
  return new SocketPathError(
    `The control socket path ${p} is ${Buffer.byteLength(p)} bytes; Unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}. ` +
      `Set ${knob} (or TMPDIR) to a shorter directory.`,
  );
}

/**
 * Creates the socket's directory 0700, or checks an existing one: it must be a
 * real directory (not a symlink) owned by us; a too-open mode is tightened.
 */
export function prepareSocketDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = lstatSync(path);
  if (!st.isDirectory()) throw new SocketPathError(`${path} should be a directory for Corral's control socket, but is not: remove it.`);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (st.uid !== uid) {
    throw new SocketPathError(`The socket directory ${path} belongs to uid ${st.uid}, not to you (uid ${uid}): another user could reach Corral through it. Remove it, or set CORRAL_SOCKET_DIR.`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(path, 0o700);
}
