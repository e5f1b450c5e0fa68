// Service logs: one file per service for both streams, written by the service
// itself through an O_APPEND descriptor, so it keeps logging when the owner dies.
import { openSync, mkdirSync, statSync, renameSync, readdirSync, unlinkSync, readSync, closeSync, fstatSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export interface Retention {
  /** Rotated files kept per service. */
  keep: number;
  /** Rotated files older than this are removed. */
  maxAgeMs: number;
}

export const DEFAULT_RETENTION: Retention = { keep: 5, maxAgeMs: 7 * 24 * 3600 * 1000 };

/** Opens the service's log for appending (creating dirs), for the child's stdout and stderr. */
export function openLogForChild(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return openSync(path, 'a', 0o600);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`Cannot open the log file ${path} (${err.code ?? err.message}): check that its folder is writable and the disk is not full.`, { cause: e });
  }
}

/**
 * A line's identity is its byte position in the service's whole log, counted
 * across rotations, so it survives rotation and owner restarts. The sidecar
 * `<name>.log.base` holds the position of the current file's first byte (0
 * when missing); a rotated file `.k` starts where `.k-1` (or the current file)
 * starts minus its own size. Every rotation advances the base by the bytes it
 * moves out, before the old bytes leave the current file: a crash in between
 * shows those lines again rather than hiding new ones.
 */
export const baseFile = (path: string) => `${path}.base`;

export function readLogBase(path: string): number {
  try {
    const n = Number(readFileSync(baseFile(path), 'utf8').trim());
    return Number.isSafeInteger(n) ? n : 0;
  } catch {
    return 0;
  }
}

export function advanceLogBase(path: string, bytes: number): void {
  const tmp = `${baseFile(path)}.tmp`;
  // No fsync: this runs while the service is paused; a base lost with the machine only shifts positions.
  writeFileSync(tmp, `${readLogBase(path) + bytes}\n`, { mode: 0o600 });
  renameSync(tmp, baseFile(path));
}

/**
 * Rotation at (re)start is lossless: the previous instance is gone, nobody
 * writes the file any more. `name.log` → `name.log.1` → … → `name.log.<keep>`.
 */
export function rotateLog(path: string, retention: Retention = DEFAULT_RETENTION): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size === 0) return;
  advanceLogBase(path, size);
  for (let i = retention.keep - 1; i >= 1; i--) {
    try {
      renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    } catch {}
  }
  renameSync(path, `${path}.1`);
  pruneRotated(path, retention);
}

/** Deletes `path`'s rotated copies beyond the retention; `listing` is its directory's, when the caller has read it. */
export function pruneRotated(path: string, retention: Retention = DEFAULT_RETENTION, listing?: readonly string[]): void {
  const dir = dirname(path);
  const base = basename(path);
  let names: readonly string[];
  try {
    names = listing ?? readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const m = name.startsWith(`${base}.`) ? /^(\d+)$/.exec(name.slice(base.length + 1)) : null;
    if (!m) continue;
    const p = join(dir, name);
    try {
      if (Number(m[1]) > retention.keep || now - statSync(p).mtimeMs > retention.maxAgeMs) unlinkSync(p);
    } catch {}
  }
}

/** The last `n` lines of a file, reading only its tail. */
export function tailLines(path: string, n: number, maxBytes = 256 * 1024): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (len < size) lines.shift(); // first line may be cut
    return lines.slice(-n);
  } finally {
    closeSync(fd);
  }
}
