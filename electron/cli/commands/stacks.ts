import type { Verb } from '../context.js';
import { parseVerb } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { table } from '../output.js';
import { ownerError, printOutcomes } from './outcomes.js';

export const stacks: Verb = {
  name: 'stacks',
  summary: 'list the stacks the owner knows (`stacks rm NAME` forgets one)',
  help: `Usage: corral stacks [--json]
       corral stacks rm NAME

Lists the registered stacks: name, state, services running, stack file.
\`stacks rm NAME\` stops the stack's services and forgets it.

Options:
      --json        a list of {name, file, services, running, aggregate}
  -h, --help        this help

Exit: 0; 1 a stop left processes (rm); 2 usage; 4 no owner.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('stacks', argv, {});
    if (values.help) return ctx.out.line(stacks.help), EXIT.ok;
    const { client } = await ctx.connect();
    if (positionals[0] === 'rm' || positionals[0] === 'remove') {
      const name = positionals[1];
      if (!name || positionals.length > 2) throw new CliError(EXIT.usage, 'Usage: corral stacks rm NAME');
      let r;
      try {
        r = await client.call('removeStack', { stack: name });
      } catch (e) {
        ownerError(e);
      }
      const ok = r.outcomes.every((o) => o.ok);
      if (values.json) ctx.out.json({ stack: name, removed: ok, outcomes: r.outcomes });
      else {
        await printOutcomes(ctx.out, client, name, r.outcomes, false);
        ctx.out.line(ok ? `Stack ${name} stopped and forgotten.` : `Stack ${name} is still registered: a stop left processes behind.`);
      }
      return ok ? EXIT.ok : EXIT.failed;
    }
    if (positionals.length > 0) throw new CliError(EXIT.usage, `Unknown argument \`${positionals[0]}\`. See \`corral stacks --help\`.`);
    const list = await client.call('stacks', {});
    if (values.json) {
      ctx.out.json(list);
      return EXIT.ok;
    }
    const { out } = ctx;
    if (list.length === 0) {
      out.line('No stacks registered. `corral up` in a directory with a corral.yaml registers it.');
      return EXIT.ok;
    }
    const rows = [['STACK', 'STATE', 'RUNNING', 'FILE'].map((h) => out.paint('dim', h))];
    for (const s of list) rows.push([s.name, out.paint(out.stateColor(s.aggregate === 'degraded' ? 'starting' : s.aggregate), s.aggregate), `${s.running}/${s.services}`, s.file || '-']);
    for (const r of table(rows)) out.line(r);
    return EXIT.ok;
  },
};
