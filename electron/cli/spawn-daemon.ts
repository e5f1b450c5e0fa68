// Starting the headless owner (`corral daemon`) from the CLI: detached in its
// own session (it outlives the CLI and its terminal), output to the owner log.
// A first `corral up` starts it before the CLI has loaded the rest of its code
// (bin/corral.js calls `spawnEarly` first): the daemon's start then overlaps the
// CLI's own instead of following it. connect.ts waits for that daemon as for one
// it started itself.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DataDir, HANDOVER_VAR, defaultHome } from '../engine/state/paths.js';
import { STACK_FILE_NAMES } from '../../shared/stack.js';

export interface SpawnedDaemon {
  pid: number | undefined;
  /**
   * A one-time secret given to the daemon in its environment (it removes it at once): the
   * `up` call that carries it may hand over its own parse of the stack file (protocol.ts).
   */
  handover: string;
  /** How it ended, null while it runs. */
  exited(): { code: number | null; signal: string | null } | null;
}

/**
 * A young generation of 1 MB instead of V8's up to 16: the owner's bursts (an `up`, a `status`)
 * otherwise leave it grown, resident memory an idle owner does not need. V8's lite mode (no
 * optimizing compiler, feedback allocated lazily, no WebAssembly, which the owner never uses):
 * 7 MB less resident at 10 services (55 -> 48 MB: the compiler's own code and the code it makes
 * are never paged in) for bursts ~5 % slower; an owner waits on processes and sockets, not on
 * its JavaScript (README, Performance). `--no-expose-wasm` says what lite mode implies, so V8
 * does not warn about it in the owner log.
 */
const DAEMON_V8_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm'];

export function spawnDaemon(dir: DataDir, env: NodeJS.ProcessEnv): SpawnedDaemon {
  const fd = openSync(dir.ownerLog, 'a', 0o600);
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const handover = randomBytes(16).toString('hex');
  const childEnv: NodeJS.ProcessEnv = { ...env, CORRAL_HOME: dir.home, [HANDOVER_VAR]: handover };
  // Started from inside a service, the daemon must not carry that service's marker (it would be swept as its orphan).
  delete childEnv.CORRAL_INSTANCE;
  let exit: { code: number | null; signal: string | null } | null = null;
  try {
    const child = spawn(process.execPath, [...DAEMON_V8_FLAGS, ...process.execArgv.filter((a) => a === '--enable-source-maps'), main, 'daemon'], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: childEnv,
      cwd: dir.home,
    });
    child.on('exit', (code, signal) => (exit = { code, signal }));
    child.on('error', (e) => (exit = { code: null, signal: e.message }));
    child.unref();
    return { pid: child.pid, handover, exited: () => exit };
  } finally {
    closeSync(fd);
  }
}

let early: { home: string; daemon: SpawnedDaemon } | null = null;

/**
 * `corral up` (not its help, and with a stack to start: -f, -s, --demo or a
 * corral.yaml here) on a data directory whose lock file names no live
 * process: starts the daemon now. Anything less clear (a pid that lives, maybe
 * reused) is left to connectOwner, which checks the owner's full identity; a
 * daemon started here while another owner wins the lock exits, as in F11.
 */
export function spawnEarly(argv: string[], env: NodeJS.ProcessEnv): void {
  if (argv[0] !== 'up' || argv.includes('-h') || argv.includes('--help')) return;
  if (!argv.some((a) => /^(-f|--file|-s|--stack|--demo)(=|$)/.test(a)) && !STACK_FILE_NAMES.some((n) => existsSync(n))) return;
  try {
    const dir = new DataDir(defaultHome(env));
    if (lockHolderMayLive(dir.lockFile)) return;
    early = { home: dir.home, daemon: spawnDaemon(dir, env) };
  } catch {
    // connectOwner starts it, and says why when it cannot.
  }
}

/** The daemon `spawnEarly` started for this data directory, once. */
export function takeEarlyDaemon(home: string): SpawnedDaemon | null {
  const e = early;
  early = null;
  return e && e.home === home ? e.daemon : null;
}

function lockHolderMayLive(lockFile: string): boolean {
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: unknown }).pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
