// Notices when a registered stack file changes on disk and works out what
// applying it would do (stack-plan.ts: the same plan `corral up` and Apply
// follow). Never applies anything: the user does, with one action.
//
// The file's directory is watched, not the file: editors save by writing a
// new file and renaming it over the old one, which ends a watch on the file.
// Event-driven only (no polling): a change is read 300 ms after its last
// event, and a file whose text is the one that runs is not even parsed.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import type { StackSpec } from '../../shared/stack.js';
import type { StackChange } from '../../shared/state.js';
import { diffStacks, isEmptyDiff, planApply, type ServiceNow } from './stack-plan.js';

const DEBOUNCE_MS = 300;

/** The text's fingerprint, kept in the spec: an unchanged file needs no parse. */
export function stackDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The environment a registered file is read again with: the owner's, with the `${VAR}`s `corral up` used (stack-file.ts records them). */
export function readingEnv(spec: StackSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(spec.vars ?? {})) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function renamedMessage(current: StackSpec, name: string): string {
  return `the file now names the stack \`${name}\`, not \`${current.name}\`: applying it would add a second stack; set \`name: ${current.name}\` again, or stop this one (\`corral down -s ${current.name}\`) and run \`corral up\``;
}

/** What the last read found: a file that cannot be applied, or one that differs from what runs. */
type Found = { at: number; error: string; spec: null } | { at: number; error: null; spec: StackSpec };

export interface StackWatchOptions {
  /** The stack as it runs now (the owner's registered spec). */
  current(): StackSpec | undefined;
  /** The finding changed: a new snapshot is due. */
  onChange(): void;
  log(line: string): void;
}

export class StackWatch {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private found: Found | null = null;
  private reads = 0;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly opts: StackWatchOptions,
  ) {
    this.arm();
    // A change made while no owner ran is noticed at once.
    this.schedule(false);
  }

  /** What applying would do now (services' states change what restarts), or null when the file says what runs. */
  pending(now: (service: string) => ServiceNow | undefined): StackChange | null {
    const f = this.found;
    const current = this.opts.current();
    if (!f || !current) return null;
    if (f.error !== null) return { at: f.at, error: f.error, restart: [], add: [], remove: [] };
    const plan = planApply(current, f.spec, now);
    if (isEmptyDiff(plan)) return null;
    return { at: f.at, error: null, restart: plan.restart, add: plan.add, remove: plan.remove };
  }

  /** What runs changed (`corral up`, Apply): compare again, soon. */
  recheck(): void {
    this.arm();
    this.schedule(false);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
  }

  private arm(): void {
    if (this.watcher || this.closed) return;
    const name = basename(this.file);
    try {
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.schedule(true);
      });
      // The directory itself went away: the next `corral up` (or Apply) watches again.
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
        this.schedule(true);
      });
    } catch {
      // The directory is gone already; check() says the file is.
    }
  }

  private schedule(edited: boolean): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(edited), DEBOUNCE_MS);
    this.timer.unref();
  }

  private async check(edited: boolean): Promise<void> {
    this.timer = null;
    const read = ++this.reads;
    const next = await this.read();
    if (this.closed || read !== this.reads) return; // a later read supersedes this one
    const prev = this.found;
    if (next === null) {
      this.found = null;
      if (prev) {
        this.opts.log(`${this.file} matches what runs again`);
        this.opts.onChange();
      }
      return;
    }
    const same = prev !== null && prev.error === next.error && JSON.stringify(prev.spec) === JSON.stringify(next.spec);
    if (same && !edited) return;
    // Saved again (even to the same effect): "changed 2 s ago" is about the last save.
    this.found = { ...next, at: Date.now() } as Found;
    if (!same) this.opts.log(next.error !== null ? `${this.file} changed and cannot be applied: ${next.error.split('\n')[0]}` : `${this.file} changed on disk; not applied until \`corral up\` or Apply`);
    this.opts.onChange();
  }

  /** The file as it is now, against what runs: null when they agree. */
  private async read(): Promise<Omit<Found, 'at'> | null> {
    const current = this.opts.current();
    if (!current) return null;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.watcher?.close();
        this.watcher = null;
        this.arm();
        return { error: 'the file no longer exists (deleted or moved); the services go on as they are', spec: null };
      }
      return { error: `the file cannot be read (${code ?? (e as Error).message})`, spec: null };
    }
    if (current.digest !== undefined && stackDigest(text) === current.digest) return null;
    // Loaded only when a file really changed: the parser and the schema cost the owner memory.
    const { loadStackFile } = await import('./stack-file.js');
    let spec: StackSpec;
    try {
      spec = await loadStackFile(this.file, { env: readingEnv(current) });
    } catch (e) {
      return { error: (e as Error).message, spec: null };
    }
    if (spec.name !== current.name) return { error: renamedMessage(current, spec.name), spec: null };
    return isEmptyDiff(diffStacks(current, spec)) ? null : { error: null, spec };
  }
}
