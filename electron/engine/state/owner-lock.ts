// Exactly one owner per data directory. The lock file is created complete and
// atomically (written aside, then link(2), which fails if the name exists), and
// holds the owner's identity; a lock whose identity is dead is stale.
import { linkSync, openSync, writeSync, closeSync, unlinkSync, renameSync, statSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { identityOf, isAlive, type ProcessIdentity } from '../process/platform/index.js';

export type OwnerKind = 'app' | 'daemon' | 'embedded';

export interface LockInfo {
  pid: number;
  start: string;
  boot: string;
  kind: OwnerKind;
  socket: string | null;
  since: number;
}

/** Checked by hand, not with zod: every CLI call reads the lock, and should not pay for loading a schema library. */
function parseLock(text: string): LockInfo {
  const v = JSON.parse(text) as Record<string, unknown>;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(v.pid) &&
    (v.pid as number) > 0 &&
    typeof v.start === 'string' &&
    typeof v.boot === 'string' &&
    (v.kind === 'app' || v.kind === 'daemon' || v.kind === 'embedded') &&
    (v.socket === null || typeof v.socket === 'string') &&
    typeof v.since === 'number';
  if (!ok) throw new Error('not an owner lock (missing or mistyped fields)');
  return v as unknown as LockInfo;
}

export class OwnerBusyError extends Error {
  constructor(readonly holder: LockInfo) {
    super(`Another Corral owner (${holder.kind}, pid ${holder.pid}) already manages this data directory.`);
    this.name = 'OwnerBusyError';
  }
}

export interface HeldLock {
  info: LockInfo;
  /** Updates the socket path recorded in the lock (written atomically by rename). */
  setSocket(socket: string | null): void;
  /** True while the lock file still names this process. */
  stillOurs(): boolean;
  release(): void;
}

function readLock(path: string): { info: LockInfo | null; ino: number | null; reason?: string } {
  let ino: number | null = null;
  try {
    ino = statSync(path).ino;
    const info = parseLock(readFileSync(path, 'utf8'));
    return { info, ino };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { info: null, ino: null };
    return { info: null, ino, reason: (e as Error).message.split('\n')[0] };
  }
}

export async function readOwnerLock(path: string): Promise<{ live: LockInfo | null; stale: boolean }> {
  const { info, ino } = readLock(path);
  if (!info) return { live: null, stale: ino !== null };
  const alive = await isAlive({ pid: info.pid, start: info.start, boot: info.boot });
  return alive ? { live: info, stale: false } : { live: null, stale: true };
}

function writeAside(path: string, info: LockInfo): string {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(info) + '\n');
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/**
 * Takes the lock or throws OwnerBusyError naming the live owner. A stale or
 * corrupt lock is moved aside (rename, then checked to be the very file we
 * judged stale, so two contenders cannot both take over) and the take retried.
 */
export async function acquireOwnerLock(
  path: string,
  kind: OwnerKind,
  opts: { onWarning?: (msg: string) => void } = {},
): Promise<HeldLock> {
  const me = (await identityOf(process.pid)) as ProcessIdentity;
  const info: LockInfo = { pid: me.pid, start: me.start, boot: me.boot, kind, socket: null, since: Date.now() };
  for (let attempt = 0; attempt < 50; attempt++) {
    const tmp = writeAside(path, info);
    try {
      linkSync(tmp, path);
      unlinkSync(tmp);
      return held(path, info);
    } catch (e) {
      unlinkSync(tmp);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const current = readLock(path);
    if (current.ino === null) continue; // vanished between link and read: try again
    if (current.info) {
      const id = { pid: current.info.pid, start: current.info.start, boot: current.info.boot };
      if (await isAlive(id)) throw new OwnerBusyError(current.info);
      opts.onWarning?.(`Taking over a stale owner lock (pid ${current.info.pid} is gone).`);
    } else {
      // A lock being written is never seen half-written (link publishes it whole), so
      // unreadable content means corruption: stale, with a warning (F14).
      opts.onWarning?.(`The owner lock ${path} is corrupt (${current.reason ?? 'unreadable'}); treating it as stale.`);
    }
    const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    if (statSync(aside).ino !== current.ino) {
      // We moved a lock someone else created a moment ago: put it back if the name is still free.
      try {
        linkSync(aside, path);
      } catch {}
    }
    unlinkSync(aside);
  }
  throw new Error(`Could not take the owner lock ${path} after 50 attempts; is something rewriting it?`);
}

function held(path: string, info: LockInfo): HeldLock {
  let released = false;
  return {
    info,
    setSocket(socket) {
      info.socket = socket;
      const tmp = writeAside(path, info);
      renameSync(tmp, path);
    },
    stillOurs() {
      const cur = readLock(path).info;
      return !!cur && cur.pid === info.pid && cur.start === info.start;
    },
    release() {
      if (released) return;
      released = true;
      const cur = readLock(path).info;
      if (cur && cur.pid === info.pid && cur.start === info.start) {
        try {
          unlinkSync(path);
        } catch {}
      }
    },
  };
}
