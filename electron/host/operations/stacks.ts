// Stack files through the control socket: `corral up` registers the file of
// the caller's directory and starts it, like `docker compose up`. The file is
// read by the owner, with the caller's environment for `${VAR}`.
import type { Owner } from '../../engine/owner.js';
import type { ServiceSpec } from '../../../shared/stack.js';
import { aggregateState } from '../../../shared/state.js';
// The YAML parser and the schema are loaded on the first stack file, not at owner start (memory).
const loadStackFile: typeof import('../../engine/stack-file.js').loadStackFile = async (...args) => (await import('../../engine/stack-file.js')).loadStackFile(...args);
import type { StackInfo, UpResult } from '../control/protocol.js';
import { checkLogDir } from './doctor.js';

export async function addStackFile(owner: Owner, file: string, env?: Record<string, string>): Promise<{ stack: string }> {
  const spec = await loadStackFile(file, { env: env ?? process.env });
  await owner.addStack(spec);
  return { stack: spec.name };
}

// Where a field sits in the file is not part of the definition: moving lines restarts nothing.
const definition = (s: ServiceSpec) => JSON.stringify({ ...s, cwdAt: undefined });
const same = (a: ServiceSpec, b: ServiceSpec) => definition(a) === definition(b);

/**
 * Registers (or updates) the stack, refuses cleanly when its logs cannot be
 * written (F20), restarts running services whose definition changed, then
 * starts what is asked and its dependencies.
 */
export async function upStack(owner: Owner, req: { file: string; env?: Record<string, string>; services?: string[] }): Promise<UpResult> {
  const spec = await loadStackFile(req.file, { env: req.env ?? process.env });
  const before = owner.stack(spec.name);
  const changed = before
    ? spec.services.filter((s) => {
        const old = before.services.find((o) => o.name === s.name);
        return old !== undefined && !same(old, s);
      })
    : [];
  for (const s of req.services ?? []) {
    if (!spec.services.some((x) => x.name === s)) {
      throw Object.assign(new Error(`Stack \`${spec.name}\` (${spec.file}) has no service \`${s}\`. Its services: ${spec.services.map((x) => x.name).join(', ')}.`), { code: 'not-found' });
    }
  }
  await owner.addStack(spec);
  const logProblem = checkLogDir(owner.dir, spec.name);
  if (logProblem && logProblem.level === 'error') {
    throw Object.assign(new Error(`Cannot start stack \`${spec.name}\`: ${logProblem.message} ${logProblem.fix ?? ''} Nothing was started.`.trim()), { code: 'conflict' });
  }
  const wanted = new Set(req.services && req.services.length > 0 ? req.services : spec.services.map((s) => s.name));
  // A changed service that runs is restarted; a changed one-shot task runs again.
  const recreate = changed.filter((s) => wanted.has(s.name) && (owner.service(spec.name, s.name).pid !== null || s.oneshot)).map((s) => s.name);
  const outcomes = [];
  if (recreate.length > 0) {
    owner.log(`${spec.name}: ${recreate.join(', ')} changed in ${spec.file}; restarting`);
    const r = await owner.restart(spec.name, recreate);
    outcomes.push(...r.outcomes.filter((o) => !o.ok));
  }
  const started = await owner.start(spec.name, req.services && req.services.length > 0 ? req.services : undefined);
  for (const o of started.outcomes) if (!outcomes.some((x) => x.service === o.service)) outcomes.push(o);
  return { stack: spec.name, outcomes, recreated: recreate };
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
