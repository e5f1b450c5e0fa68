// Stack files through the control socket: `corral up` registers the file of
// the caller's directory and starts it, like `docker compose up`. The file is
// read by the owner, with the caller's environment for `${VAR}`. `applyStack`
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
export async function upStack(owner: Owner, req: { file: string; env?: Record<string, string>; services?: string[] }): Promise<UpResult> {
  const spec = await loadStackFile(req.file, { env: req.env ?? process.env });
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
  const diff = diffStacks(owner.stack(spec.name), spec);
  await owner.addStack(spec);
  const logProblem = checkLogDir(owner.dir, spec.name);
  if (logProblem && logProblem.level === 'error') {
    throw Object.assign(new Error(`Cannot start stack \`${spec.name}\`: ${logProblem.message} ${logProblem.fix ?? ''} Nothing was started.`.trim()), { code: 'conflict' });
  }
  const wanted = new Set(services ?? spec.services.map((s) => s.name));
  // A changed service that runs is restarted; a changed one-shot task runs again.
  const recreate = restartsOf(spec, diff, wanted, (n) => serviceNow(owner, spec.name, n));
  const outcomes = [];
  if (recreate.length > 0) {
    owner.log(`${spec.name}: ${recreate.join(', ')} changed in ${spec.file}; restarting`);
    const r = await owner.restart(spec.name, recreate);
    outcomes.push(...r.outcomes.filter((o) => !o.ok));
  }
  const started = await owner.start(spec.name, services);
  for (const o of started.outcomes) if (!outcomes.some((x) => x.service === o.service)) outcomes.push(o);
  return { stack: spec.name, outcomes, recreated: recreate };
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
