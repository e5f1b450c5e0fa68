// The stacks an owner knows and what the user last asked of each service, so
// the next owner (after a crash, a quit or a reboot) reaches the same state.
import { z } from '../../../shared/valid.js';
import { readJson, writeFileAtomic } from './atomic-file.js';
import type { StackSpec } from '../../../shared/stack.js';

const registrySchema = z.object({
  v: z.literal(1),
  stacks: z.array(
    z.object({
      spec: z.custom<StackSpec>((v) => typeof v === 'object' && v !== null && Array.isArray((v as StackSpec).services)),
      desired: z.record(z.string(), z.enum(['up', 'down'])),
    }),
  ),
});

export type Registry = z.infer<typeof registrySchema>;

export function loadRegistry(path: string, warn: (msg: string) => void): Registry {
  const r = readJson(path, (v) => registrySchema.parse(v));
  if (r.kind === 'ok') return r.value;
  if (r.kind === 'corrupt') warn(`The stack registry ${path} is unreadable (${r.reason}); starting with no stacks.`);
  return { v: 1, stacks: [] };
}

export function saveRegistry(path: string, reg: Registry): void {
  writeFileAtomic(path, JSON.stringify(reg, null, 2) + '\n');
}
