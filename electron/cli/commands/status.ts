import type { Verb } from '../context.js';
import { parseVerb, STACK_OPTIONS } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { stackFileOf, resolveStackName } from '../stack-ref.js';
import { ago, table } from '../output.js';
import type { ServiceSnapshot, Snapshot } from '../../../shared/state.js';
import { formatCpu, formatMemory } from '../../../shared/resource-format.js';
import { ControlError } from '../../host/control/client.js';
import { explainService, explainStackChange, summarizeStack } from '../../../shared/explain.js';

export const status: Verb = {
  name: 'status',
  summary: 'show the state of each service',
  help: `Usage: corral status [-f FILE | -s STACK | --all] [--json]

Shows each service: state, pid, uptime, restarts, ports, CPU and memory, and
why it is in its state when that is not obvious (waiting for a dependency,
crashed, port held). CPU is percent of one core: over the last 2 s when a
window or web page is open (it samples), else since the previous status
within 10 s, else measured for 0.3 s now. MEM is resident memory (RSS). Both
count the service's whole process tree; "-" when it is not running.
"adopted" means the service was started by an earlier owner and taken over.
When the stack file changed on disk since it was applied, a line under the
stack says what \`corral up\` would restart, add and stop (or why the file
cannot be applied); nothing is applied until you run \`corral up\`.
Acts on the stack of ./corral.yaml when there is one, else on every stack;
SERVICE… shows those services only (an unknown name is an error, exit 2).

Options:
  -f, --file FILE   the stack file (default: ./corral.yaml)
  -s, --stack NAME  a stack the owner knows, by name
  -a, --all         every stack the owner knows
      --json        a list of stacks, each {name, file, pending, services: [{name,
                    state, pid, restarts, ports, adopted, desired, health,
                    lastExit, reason, resources: {cpuPercent,
                    memoryBytes, processes, at} or null, …}]}
  -h, --help        this help

Exit: 0 (whatever the states are); 2 usage; 4 no owner.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('status', argv, { ...STACK_OPTIONS, all: { type: 'boolean', short: 'a' } });
    if (values.help) return ctx.out.line(status.help), EXIT.ok;
    const { client, owner } = await ctx.connect();
    const snap = await snapshotWithResources(client);
    let stacks = snap.stacks;
    if (!values.all && (values.stack || values.file || stackFileOf(values, ctx.cwd))) {
      const name = await resolveStackName(values, ctx.cwd, ctx.env, client);
      stacks = stacks.filter((s) => s.name === name);
      if (stacks.length === 0 && values.stack) {
        throw new CliError(EXIT.usage, `The owner knows no stack named \`${name}\`. Known stacks: ${snap.stacks.map((s) => s.name).join(', ') || 'none'} (\`corral stacks\`).`);
      }
      if (stacks.length === 0 && !values.json) {
        ctx.out.line(`Stack \`${name}\` is not registered with the owner yet: \`corral up\` registers and starts it.`);
        return EXIT.ok;
      }
    }
    // `status api worker`: those services only (of the stack(s) shown).
    if (positionals.length > 0) {
      const known = new Set(stacks.flatMap((st) => st.services.map((s) => s.name)));
      const unknown = positionals.filter((p) => !known.has(p));
      if (unknown.length > 0) {
        throw new CliError(EXIT.usage, `No service ${unknown.map((u) => `\`${u}\``).join(', ')} in ${stacks.map((st) => `stack \`${st.name}\``).join(', ') || 'any stack'}. Its services: ${[...known].join(', ') || 'none'}.`);
      }
      stacks = stacks.map((st) => ({ ...st, services: st.services.filter((s) => positionals.includes(s.name)) })).filter((st) => st.services.length > 0);
    }
    if (values.json) {
      ctx.out.json(stacks);
      return EXIT.ok;
    }
    const { out } = ctx;
    if (stacks.length === 0) {
      out.line('No stacks. Run `corral up` in a directory with a corral.yaml (or `corral up --demo`).');
      return EXIT.ok;
    }
    out.line(out.paint('dim', `owner: ${owner.kind} pid ${owner.pid}, up ${ago(Date.now() - owner.since)}, data ${owner.home}`));
    for (const st of stacks) {
      const { aggregate, text } = summarizeStack(st.services);
      const colour = aggregate === 'degraded' ? 'starting' : aggregate === 'partial' ? 'running' : aggregate;
      out.line(`\n${out.paint('bold', st.name)}  ${out.paint(out.stateColor(colour), text)}  ${out.paint('dim', st.file)}`);
      // The stack file changed on disk: what `corral up` would do (never done by itself).
      if (st.pending) out.line(out.paint(st.pending.error ? 'red' : 'yellow', explainStackChange(st.file, st.pending, Date.now())));
      const rows = [['SERVICE', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'PORTS', 'CPU', 'MEM', 'NOTE'].map((h) => out.paint('dim', h))];
      for (const s of st.services) {
        const r = s.resources;
        rows.push([
          s.name,
          out.paint(out.stateColor(s.state), s.state),
          s.pid ? String(s.pid) : '-',
          s.startedAt && s.pid ? ago(Date.now() - s.startedAt) : '-',
          String(s.restarts),
          s.ports.join(',') || '-',
          r ? formatCpu(r.cpuPercent) : '-',
          r ? formatMemory(r.memoryBytes) : '-',
          note(s),
        ]);
      }
      for (const r of table(rows)) out.line(r);
    }
    return EXIT.ok;
  },
};

/** The snapshot with fresh figures; an owner from before resources existed refuses the field: then without them. */
async function snapshotWithResources(client: { call(name: 'snapshot', req: { resources?: boolean }): Promise<Snapshot> }): Promise<Snapshot> {
  try {
    return await client.call('snapshot', { resources: true });
  } catch (e) {
    if (e instanceof ControlError && e.code === 'bad-request') return client.call('snapshot', {});
    throw e;
  }
}

/** The NOTE column: the explanation every view shows, and the command that ends what a stop left behind. */
function note(s: ServiceSnapshot): string {
  const parts = [explainService(s)];
  if (s.survivors.length > 0) parts.push(`end them with: corral down --force ${s.name}`);
  return parts.filter(Boolean).join('; ');
}
