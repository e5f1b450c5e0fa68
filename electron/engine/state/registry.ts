// The stacks an owner knows, what the user last asked of each service, and the
// states a service rests in (failed, completed) that the next owner must show
// as they were, so the next owner (after a crash, a quit or a reboot) reaches
// the same state.
import { z } from '../../../shared/valid.js';
import { createHash } from 'node:crypto';
import { readJson, writeFileAtomic } from './atomic-file.js';
import type { ServiceSpec, StackSpec } from '../../../shared/stack.js';
import type { ExitInfo } from '../../../shared/state.js';

const isExit = (v: unknown): boolean =>
  v === null || (typeof v === 'object' && v !== null && typeof (v as ExitInfo).at === 'number' && typeof (v as ExitInfo).reason === 'string');

/**
 * A service at rest that no process accounts for: `failed` (given up, refused a
 * start; not restarted until the user asks) or `completed` (a task that exited
 * 0). Written when the state is reached, dropped when it is left; valid only in
 * the boot it was written in and for the definition it describes.
 */
const restSchema = z.object({
  state: z.enum(['failed', 'completed']),
  reason: z.custom<string | null>((v) => v === null || typeof v === 'string'),
  lastExit: z.custom<ExitInfo | null>(isExit),
  lastLogLines: z.array(z.string()),
  restarts: z.number().int().nonnegative(),
  boot: z.string(),
  /** The service's definition when it came to rest (`specPrint`). */
  spec: z.string(),
});

export type RestRecord = z.infer<typeof restSchema>;

const registrySchema = z.object({
  v: z.literal(1),
  stacks: z.array(
    z.object({
      spec: z.custom<StackSpec>((v) => typeof v === 'object' && v !== null && Array.isArray((v as StackSpec).services)),
      desired: z.record(z.string(), z.enum(['up', 'down'])),
      rest: z.record(z.string(), restSchema).optional(),
    }),
  ),
});

export type Registry = z.infer<typeof registrySchema>;

/** A short fingerprint of a service's definition: a rest record of another definition does not apply. */
export function specPrint(spec: ServiceSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

export function loadRegistry(path: string, warn: (msg: string) => void): Registry {
  const r = readJson(path, (v) => registrySchema.parse(v));
  if (r.kind === 'ok') return r.value;
  if (r.kind === 'corrupt') warn(`The stack registry ${path} is unreadable (${r.reason}); starting with no stacks.`);
  return { v: 1, stacks: [] };
}

export function saveRegistry(path: string, reg: Registry): void {
  writeFileAtomic(path, JSON.stringify(reg, null, 2) + '\n');
}
