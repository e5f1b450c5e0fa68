import type { Verb } from '../context.js';
import { parseVerb, STACK_OPTIONS } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { resolveStackName } from '../stack-ref.js';
import { ownerError, printOutcomes } from './outcomes.js';
import { summarizeStack } from '../../../shared/explain.js';
import type { Snapshot } from '../../../shared/state.js';

export const down: Verb = {
  name: 'down',
  summary: 'stop the stack (or some services), dependents first',
  help: `Usage: corral down [SERVICE…] [-f FILE | -s STACK] [--force] [--json]

Stops the services asked for (all by default), each after the services that
depend on it; those dependents are stopped too (each says which service it
depends on), since they could not run without it. A stop is proven: SIGTERM to the whole process group, SIGKILL
after the grace period, escaped descendants ended, ports checked released.
Whatever survives is named (pid, command).

Options:
  -f, --file FILE   the stack file (default: ./corral.yaml)
  -s, --stack NAME  a stack the owner knows, by name
      --force       SIGKILL what a stop left behind (ours only, identity-checked)
      --json        print the result as JSON
  -h, --help        this help

Exit: 0 stopped; 1 something survived (use --force); 2 usage; 4 no owner.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('down', argv, { ...STACK_OPTIONS, force: { type: 'boolean' } });
    if (values.help) return ctx.out.line(down.help), EXIT.ok;
    const { client } = await ctx.connect();
    const stack = await resolveStackName(values, ctx.cwd, ctx.env, client);
    let result;
    try {
      result = await client.call('stop', { stack, ...(positionals.length > 0 ? { services: positionals } : {}) });
      if (values.force) {
        for (const o of result.outcomes.filter((x) => !x.ok && x.survivors && x.survivors.length > 0)) {
          const f = await client.call('forceStop', { stack, service: o.service });
          result.outcomes = result.outcomes.map((x) => (x.service === o.service ? f.outcomes[0]! : x));
        }
      }
    } catch (e) {
      ownerError(e);
    }
    const ok = result.outcomes.every((o) => o.ok);
    if (values.json) ctx.out.json({ stack, ok, outcomes: result.outcomes });
    else {
      await printOutcomes(ctx.out, client, stack, result.outcomes, false);
      if (ok) ctx.out.line(await afterDown(client, stack));
    }
    return ok ? EXIT.ok : EXIT.failed;
  },
};

/** The closing line: the stack is down, or what still runs after a partial down. */
async function afterDown(client: { call(name: 'snapshot', req: object): Promise<Snapshot> }, stack: string): Promise<string> {
  const st = (await client.call('snapshot', {})).stacks.find((x) => x.name === stack);
  if (!st || st.services.every((s) => s.state === 'stopped' || s.state === 'completed')) return `Stack ${stack} is down.`;
  return `Stack ${stack}: ${summarizeStack(st.services).text}.`;
}
