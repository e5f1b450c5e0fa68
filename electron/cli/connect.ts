// Reaching the owner. The CLI never supervises anything itself: it talks to
// the owner of the data directory, and when none answers it starts a headless
// one (`corral daemon`, detached in its own session, output to the owner log)
// and waits for its socket, bounded. Ten CLI calls at once may start ten
// daemons; the owner lock lets one win, the others exit, and every call ends
// up talking to the winner (F11).
import { watch, type FSWatcher } from 'node:fs';
import { DataDir } from '../engine/state/paths.js';
import { readOwnerLock } from '../engine/state/owner-lock.js';
import { tailLines } from '../engine/logs/log-files.js';
import { platform } from '../engine/process/platform/index.js';
import { ControlClient } from '../host/control/client.js';
import type { PingResult } from '../host/control/protocol.js';
import { CliError, EXIT } from './exit-codes.js';
import { spawnDaemon, takeEarlyDaemon, type SpawnedDaemon } from './spawn-daemon.js';

export interface Connection {
  client: ControlClient;
  owner: PingResult;
  /** True when the owner that answers is the daemon this call started. */
  started: boolean;
  /** That daemon's one-time handover secret (see SpawnedDaemon), when `started`. */
  handover?: string;
}

export interface ConnectOptions {
  /** Start a daemon when no owner answers (every verb but `daemon stop/status`). */
  start: boolean;
  env: NodeJS.ProcessEnv;
  /** Progress messages ("starting the daemon…"), for stderr. */
  note?: (msg: string) => void;
  timeoutMs?: number;
}

export async function connectOwner(home: string, opts: ConnectOptions): Promise<Connection> {
  const dir = new DataDir(home);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = performance.now() + timeoutMs;
  // Started by bin/corral.js before the CLI loaded (spawn-daemon.ts), or here.
  let spawned: SpawnedDaemon | null = takeEarlyDaemon(dir.home);
  let spawns = spawned ? 1 : 0;
  // Said at once for that one: it may already answer by the first look at the lock.
  let startNoted = spawned !== null;
  if (spawned) opts.note?.(`Starting the Corral daemon (its log: ${dir.ownerLog})…`);
  let waitingNoted = false;
  let lastError = '';
  let delay = 10;
  // A daemon started here records its socket in the lock file once it listens: that change
  // ends the wait at once (a poll alone adds up to its period to every cold start).
  let changed: (() => void) | null = null;
  let watcher: FSWatcher | null = spawned ? watchDir(dir.home, () => changed?.()) : null;
  try {
    for (;;) {
      const { live } = await readOwnerLock(dir.lockFile);
      // A stopped owner (SIGSTOP, a debugger) accepts connections but never answers: say so now, not after the timeout.
      if (live && (await isStopped(live.pid))) {
        throw new CliError(
          EXIT.owner,
          `The Corral owner (${live.kind}, pid ${live.pid}) is stopped (SIGSTOP, or paused in a debugger), so it cannot answer. ` +
            `Resume it with \`kill -CONT ${live.pid}\`, or end it with \`kill -9 ${live.pid}\` (services keep running; the next owner adopts them).`,
        );
      }
      if (live?.socket) {
        try {
          const client = await ControlClient.connect(live.socket, 2000);
          try {
            const owner = await client.call('ping', {}, 5000);
            const started = spawned !== null && owner.pid === spawned.pid;
            return { client, owner, started, ...(started ? { handover: spawned!.handover } : {}) };
          } catch (e) {
            client.close();
            throw e;
          }
        } catch (e) {
          lastError = (e as Error).message;
        }
      }
      if (!live) {
        if (!opts.start) throw new CliError(EXIT.owner, `No Corral owner is running for ${dir.home}.`);
        const ex = spawned?.exited();
        if (ex && ex.code !== 0) {
          const tail = tailLines(dir.ownerLog, 8).map((l) => `  ${l}`).join('\n');
          throw new CliError(EXIT.owner, `The Corral daemon exited (${ex.code ?? ex.signal}) before answering. Last lines of ${dir.ownerLog}:\n${tail || '  (empty)'}`);
        }
        // Ours exited (another daemon won the lock, then went away?): start one again, a few times at most.
        if ((spawned === null || spawned.exited() !== null) && spawns < 3) {
          spawned = spawnDaemon(dir, opts.env);
          spawns++;
          watcher ??= watchDir(dir.home, () => changed?.());
        }
        if (spawned && !startNoted) opts.note?.(`Starting the Corral daemon (its log: ${dir.ownerLog})…`);
        startNoted = true;
      } else if (!waitingNoted && !live.socket && performance.now() > deadline - timeoutMs + 1500) {
        waitingNoted = true;
        opts.note?.(`Waiting for the owner (${live.kind}, pid ${live.pid}) to finish starting (it adopts running services first)…`);
      }
      if (performance.now() > deadline) {
        if (live) {
          throw new CliError(
            EXIT.owner,
            `The Corral owner (${live.kind}, pid ${live.pid}) does not answer${live.socket ? ` on ${live.socket}` : ' (no control socket yet)'} after ${Math.round(timeoutMs / 1000)} s${lastError ? ` (${lastError})` : ''}. ` +
              `See ${dir.ownerLog}; if it is stuck, end it with \`kill ${live.pid}\` (services keep running) and try again.`,
          );
        }
        const tail = tailLines(dir.ownerLog, 8).map((l) => `  ${l}`).join('\n');
        const exit = spawned?.exited();
        throw new CliError(
          EXIT.owner,
          `The Corral daemon did not start within ${Math.round(timeoutMs / 1000)} s${exit ? ` (it exited with ${exit.code ?? exit.signal})` : ''}. Last lines of ${dir.ownerLog}:\n${tail || '  (empty)'}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        changed = () => (clearTimeout(t), r());
      });
      changed = null;
      delay = Math.min(delay * 1.5, 25);
    }
  } finally {
    watcher?.close();
  }
}

/** Calls `onChange` on any change in `dir`; null where it cannot be watched (the poll goes on alone). */
function watchDir(dir: string, onChange: () => void): FSWatcher | null {
  try {
    const w = watch(dir, { persistent: false }, onChange);
    w.on('error', () => w.close());
    return w;
  } catch {
    return null;
  }
}

/** True when `pid` is in the stopped (T) or traced (t) state: it will not answer until resumed. */
async function isStopped(pid: number): Promise<boolean> {
  const info = await (await platform()).processInfo(pid).catch(() => null);
  return info !== null && (info.state === 'T' || info.state === 't');
}
