// What applying a stack file does to what runs: which services restart, which
// are added, which stop. One function, used by `corral up`, by the Apply of the
// window and tray, and by the notice that the file changed on disk, so what a
// view announces is what applying then does.
import type { ServiceSpec, StackSpec } from '../../shared/stack.js';

// Where a field sits in the file is not part of the definition: moving lines restarts nothing.
// A stack registered before `watch` existed has none: the same as an empty list.
const definition = (s: ServiceSpec) => JSON.stringify({ ...s, cwdAt: undefined, watch: s.watch ?? [] });

export function sameDefinition(a: ServiceSpec, b: ServiceSpec): boolean {
  return definition(a) === definition(b);
}

export interface StackDiff {
  /** In both, with another definition. */
  changed: string[];
  /** Only in the file. */
  add: string[];
  /** Only in what runs. */
  remove: string[];
}

export function diffStacks(before: StackSpec | undefined, after: StackSpec): StackDiff {
  const old = new Map((before?.services ?? []).map((s) => [s.name, s]));
  const now = new Set(after.services.map((s) => s.name));
  return {
    changed: after.services.filter((s) => old.has(s.name) && !sameDefinition(old.get(s.name)!, s)).map((s) => s.name),
    add: before ? after.services.filter((s) => !old.has(s.name)).map((s) => s.name) : [],
    remove: [...old.keys()].filter((n) => !now.has(n)),
  };
}

export const isEmptyDiff = (d: StackDiff): boolean => d.changed.length === 0 && d.add.length === 0 && d.remove.length === 0;

/** What the owner knows of a service now: whether the user wants it up, whether a process of it runs. */
export interface ServiceNow {
  desired: 'up' | 'down';
  running: boolean;
}

/**
 * The services a changed definition restarts: those among `wanted` that run
 * (a one-shot task whose definition changed runs again, running or not).
 */
export function restartsOf(after: StackSpec, diff: StackDiff, wanted: ReadonlySet<string>, now: (name: string) => ServiceNow | undefined): string[] {
  return after.services.filter((s) => diff.changed.includes(s.name) && wanted.has(s.name) && (now(s.name)?.running === true || s.oneshot)).map((s) => s.name);
}

export interface ApplyPlan extends StackDiff {
  /** What applying starts (and keeps up): the services the user has up, and new ones when the stack is up. */
  targets: string[];
  /** What applying restarts because its definition changed. */
  restart: string[];
}

/**
 * Applying a changed file from the window or tray: like `corral up` for the
 * services the user has up (a service the user stopped stays stopped; a task
 * that completed runs again only if it changed), plus the services the file
 * adds when any of the stack is up.
 */
export function planApply(before: StackSpec, after: StackSpec, now: (name: string) => ServiceNow | undefined): ApplyPlan {
  const diff = diffStacks(before, after);
  const up = (n: string) => now(n)?.desired === 'up';
  const stackUp = before.services.some((s) => up(s.name));
  const targets = after.services
    .filter((s) => (up(s.name) && (!s.oneshot || diff.changed.includes(s.name))) || (stackUp && diff.add.includes(s.name)))
    .map((s) => s.name);
  return { ...diff, targets, restart: restartsOf(after, diff, new Set(targets), now) };
}
