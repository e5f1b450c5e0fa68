// Files that ship with Corral (the demo stack, presets, package.json), found
// from this module's location whether it runs from dist/ or an installed package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'stacks'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('Cannot find the Corral package (package.json next to stacks/) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const demoStackFile = (): string => join(packageRoot(), 'stacks', 'demo', 'corral.yaml');
export const presetFile = (name: string): string => join(packageRoot(), 'stacks', 'presets', `${name}.yaml`);
