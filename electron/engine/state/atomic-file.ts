// State must never be half-written: a crash mid-write leaves the old file or the new one.
import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export function writeFileAtomic(path: string, data: string, mode = 0o600, opts: { durable?: boolean } = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, data);
    if (opts.durable !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export type JsonRead<T> = { kind: 'ok'; value: T } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

/** Reads JSON, telling a missing file from a corrupt one (which callers treat as stale, with a warning). */
export function readJson<T>(path: string, check: (v: unknown) => T): JsonRead<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'corrupt', reason: (e as Error).message };
  }
  try {
    return { kind: 'ok', value: check(JSON.parse(text)) };
  } catch (e) {
    return { kind: 'corrupt', reason: (e as Error).message.split('\n')[0]! };
  }
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
