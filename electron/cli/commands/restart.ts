import type { Verb } from '../context.js';
import { parseVerb, STACK_OPTIONS } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { resolveStackName } from '../stack-ref.js';
import { Progress, ownerError, printOutcomes } from './outcomes.js';

export const restart: Verb = {
  name: 'restart',
  summary: 'stop and start services again (proven stop, then start and wait until healthy)',
  help: `Usage: corral restart [SERVICE…] [-f FILE | -s STACK] [--json]

Restarts the services asked for (all by default): a proven stop (nothing of
the old instance survives, no orphan), then a start that waits for health.
The stack file is not re-read; \`corral up\` applies a changed file.

Options:
  -f, --file FILE   the stack file (default: ./corral.yaml)
  -s, --stack NAME  a stack the owner knows, by name
      --json        print the result as JSON
  -h, --help        this help

Exit: 0 all healthy again; 1 a service did not come back; 2 usage; 4 no owner.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('restart', argv, STACK_OPTIONS);
    if (values.help) return ctx.out.line(restart.help), EXIT.ok;
    const { client } = await ctx.connect();
    const stack = await resolveStackName(values, ctx.cwd, ctx.env, client);
    const progress = new Progress(ctx.out, stack);
    const unsubscribe = await client.subscribe('snapshot', {}, (s) => progress.update(s));
    let result;
    try {
      result = await client.call('restart', { stack, ...(positionals.length > 0 ? { services: positionals } : {}) });
    } catch (e) {
      ownerError(e);
    } finally {
      unsubscribe();
    }
    const ok = result.outcomes.every((o) => o.ok);
    if (values.json) ctx.out.json({ stack, ok, outcomes: result.outcomes });
    else await printOutcomes(ctx.out, client, stack, result.outcomes, true);
    return ok ? EXIT.ok : EXIT.failed;
  },
};
