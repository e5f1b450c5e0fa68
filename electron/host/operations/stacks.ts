// Stack files through the control socket: `corral up` registers the file of
// the caller's directory and starts it, like `docker compose up`. The file is
// read by the owner, with the caller's environment for `${VAR}` (or, from a
// `corral up` that has just started this daemon, taken as that call parsed it:
// see the `up` call in protocol.ts). `applyStack`
// (the window's and the tray's Apply) applies a registered file as it is now.
import type { Owner } from '../../engine/owner.js';
import type { StackSpec } from '../../../shared/stack.js';
import { aggregateState } from '../../../shared/state.js';
import { stackChangeEffects } from '../../../shared/explain.js';
import type { StackApplied } from '../../../shared/api.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../../shared/errors.js';
import { diffStacks, planApply, restartsOf, type ServiceNow } from '../../engine/stack-plan.js';
import { readingEnv, renamedMessage } from '../../engine/stack-watch.js';
// The YAML parser and the schema are loaded on the first stack file, not at owner start (memory).
const loadStackFile: typeof import('../../engine/stack-file.js').loadStackFile = async (...args) => (await import('../../engine/stack-file.js')).loadStackFile(...args);
import type { StackInfo, UpResult } from '../control/protocol.js';
import { checkLogDir } from './doctor.js';

export async function addStackFile(owner: Owner, file: string, env?: Record<string, string>): Promise<{ stack: string }> {
  const spec = await loadStackFile(file, { env: env ?? process.env });
  await owner.addStack(spec);
  return { stack: spec.name };
}

/**
 * Registers (or updates) the stack, refuses cleanly when its logs cannot be
 * written (F20), restarts running services whose definition changed, then
 * starts what is asked and its dependencies.
 */
export async function upStack(owner: Owner, req: { file: string; env?: Record<string, string>; services?: string[]; spec?: StackSpec }): Promise<UpResult> {
  const spec = req.spec?.file === req.file ? req.spec : await loadStackFile(req.file, { env: req.env ?? process.env });
  for (const s of req.services ?? []) {
    if (!spec.services.some((x) => x.name === s)) {
      throw Object.assign(new Error(`Stack \`${spec.name}\` (${spec.file}) has no service \`${s}\`. Its services: ${spec.services.map((x) => x.name).join(', ')}.`), { code: 'not-found' });
    }
  }
  return applySpec(owner, spec, req.services && req.services.length > 0 ? req.services : undefined);
}

/**
 * Applies a registered stack's file as it is on disk now (the window's and the
 * tray's Apply): read again with the variables `corral up` read it with, then
 * what `corral up` does for the services the user has up (stack-plan.ts).
 */
export async function applyStackFile(owner: Owner, stack: string): Promise<StackApplied> {
  const current = owner.stack(stack);
  if (!current) throw new NotFoundError(`No stack named \`${stack}\`. Known stacks: ${owner.stackNames().join(', ') || 'none'}.`);
  if (!current.file) throw new BadRequestError(`Stack \`${stack}\` has no stack file to apply.`);
  const spec = await loadStackFile(current.file, { env: readingEnv(current) });
  if (spec.name !== current.name) throw new ConflictError(`Cannot apply ${current.file}: ${renamedMessage(current, spec.name)}.`);
  const plan = planApply(current, spec, (n) => serviceNow(owner, stack, n));
  owner.log(`${stack}: applying ${spec.file} (${stackChangeEffects(plan) || 'nothing to restart, add or stop'})`);
  if (plan.targets.length === 0) {
    // Nothing of the stack is up: the new definition is recorded (what left the file is dropped), nothing starts.
    await owner.addStack(spec);
    return { stack, outcomes: [], recreated: [] };
  }
  return applySpec(owner, spec, plan.targets);
}

async function applySpec(owner: Owner, spec: StackSpec, services: string[] | undefined): Promise<UpResult> {
  const before = owner.stack(spec.name);
  const diff = diffStacks(before, spec);
  const wanted = new Set(services ?? spec.services.map((s) => s.name));
  // A changed service that runs is restarted; a changed one-shot task runs again.
  const recreate = restartsOf(spec, diff, wanted, (n) => serviceNow(owner, spec.name, n));
  await owner.addStack(keepUnasked(spec, before, diff, recreate, (n) => serviceNow(owner, spec.name, n)?.running === true));
  const logProblem = checkLogDir(owner.dir, spec.name);
  if (logProblem && logProblem.level === 'error') {
    throw Object.assign(new Error(`Cannot start stack \`${spec.name}\`: ${logProblem.message} ${logProblem.fix ?? ''} Nothing was started.`.trim()), { code: 'conflict' });
  }
  const outcomes = [];
  if (recreate.length > 0) {
    owner.log(`${spec.name}: ${recreate.join(', ')} changed in ${spec.file}; restarting`);
    const r = await owner.restart(spec.name, recreate);
    // Its restart is what happened to it (the start that follows finds it running: "already running" would hide the restart).
    outcomes.push(...r.outcomes.filter((o) => recreate.includes(o.service)));
  }
  const started = await owner.start(spec.name, services);
  for (const o of started.outcomes) if (!outcomes.some((x) => x.service === o.service)) outcomes.push(o);
  return { stack: spec.name, outcomes, recreated: recreate };
}

/**
 * What to register: the file's definitions, except for a running service whose
 * definition changed but that this `up` does not restart (`corral up api` when
 * worker changed too). It keeps the definition it runs, so the change stays
 * pending (the notice, a later `corral up`) instead of being recorded as applied.
 */
export function keepUnasked(spec: StackSpec, before: StackSpec | undefined, diff: { changed: string[] }, restarted: readonly string[], running: (name: string) => boolean): StackSpec {
  const kept = diff.changed.filter((n) => !restarted.includes(n) && running(n));
  if (!before || kept.length === 0) return spec;
  const old = new Map(before.services.map((s) => [s.name, s]));
  // The file's text is not what is registered: its digest would say the file was applied.
  return { ...spec, digest: undefined, services: spec.services.map((s) => (kept.includes(s.name) ? old.get(s.name)! : s)) };
}

/** What the plan needs to know of a service now (undefined: not in the stack). */
function serviceNow(owner: Owner, stack: string, name: string): ServiceNow | undefined {
  if (!owner.stack(stack)?.services.some((s) => s.name === name)) return undefined;
  const sup = owner.supervisor(stack, name);
  return { desired: sup.desired, running: sup.pid !== null };
}

export function stackList(owner: Owner): StackInfo[] {
  return owner.snapshot().stacks.map((s) => ({
    name: s.name,
    file: s.file,
    services: s.services.length,
    running: s.services.filter((x) => x.state === 'running').length,
    aggregate: aggregateState(s.services),
  }));
}
