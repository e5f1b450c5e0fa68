// One state file per running service instance: enough to find, prove and stop it
// after the owner that started it is gone.
import { z } from '../../../shared/valid.js';
import { readdirSync } from 'node:fs';
import { readJson, removeFile, writeFileAtomic, type JsonRead } from './atomic-file.js';
import type { DataDir } from './paths.js';
import type { ProcessIdentity } from '../process/platform/index.js';

const stateSchema = z.object({
  v: z.literal(1),
  stack: z.string(),
  service: z.string(),
  instance: z.string(),
  marker: z.string(),
  pid: z.number().int().positive(),
  pgid: z.number().int().positive(),
  start: z.string(),
  boot: z.string(),
  command: z.array(z.string()),
  ports: z.array(z.number().int()),
  startedAt: z.number(),
  restarts: z.number().int().nonnegative(),
  /** Descendants seen while it ran (pid + start time), so a stop finds them even after they hid. */
  descendants: z.array(z.object({ pid: z.number().int().positive(), start: z.string() })).optional(),
});

export type InstanceRecord = z.infer<typeof stateSchema>;

export const identityOfRecord = (r: InstanceRecord): ProcessIdentity => ({ pid: r.pid, start: r.start, boot: r.boot });
export const knownOfRecord = (r: InstanceRecord): ProcessIdentity[] => (r.descendants ?? []).map((d) => ({ ...d, boot: r.boot }));

export function readInstance(dir: DataDir, stack: string, service: string): JsonRead<InstanceRecord> {
  return readJson(dir.stateFile(stack, service), (v) => stateSchema.parse(v));
}

export function writeInstance(dir: DataDir, rec: InstanceRecord): void {
  // Not fsynced: the rename alone keeps it whole for the next owner, and what a power loss could
  // lose describes processes that died with it (a previous boot's records are stale anyway, F15).
  // 200 services starting at once spent most of a second in fsync.
  writeFileAtomic(dir.stateFile(rec.stack, rec.service), JSON.stringify(rec, null, 2) + '\n', 0o600, { durable: false });
}

export function removeInstance(dir: DataDir, stack: string, service: string): void {
  removeFile(dir.stateFile(stack, service));
}

/** Services of a stack that have a state file (including corrupt ones). */
export function listInstanceFiles(dir: DataDir, stack: string): string[] {
  try {
    return readdirSync(dir.stateDir(stack))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}
