import type { Verb } from '../context.js';
import { parseVerb, STACK_OPTIONS } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { stackFileOf, resolveStackName } from '../stack-ref.js';
import { stripAnsi, table } from '../output.js';

export const ps: Verb = {
  name: 'ps',
  summary: "list every process of every service, descendants included",
  help: `Usage: corral ps [-f FILE | -s STACK | --all] [--json]

Lists every process of every running service: the service's own process
(leader), everything in its process group, processes that left the group but
carry the service's marker (escaped), and marked processes no running service
accounts for (orphan: \`corral doctor --fix\` ends them).

Options:
  -f, --file FILE   the stack file (default: ./corral.yaml)
  -s, --stack NAME  a stack the owner knows, by name
  -a, --all         every stack (default when there is no ./corral.yaml)
      --json        a list of {stack, service, pid, ppid, pgid, state, role, command, instance}
  -h, --help        this help

Exit: 0; 2 usage; 4 no owner.`,
  async run(ctx, argv) {
    const { values } = parseVerb('ps', argv, { ...STACK_OPTIONS, all: { type: 'boolean', short: 'a' } });
    if (values.help) return ctx.out.line(ps.help), EXIT.ok;
    const { client } = await ctx.connect();
    const stack = !values.all && (values.stack || stackFileOf(values, ctx.cwd)) ? await resolveStackName(values, ctx.cwd, ctx.env, client) : undefined;
    const list = await client.call('ps', stack ? { stack } : {});
    if (values.json) {
      ctx.out.json(list);
      return EXIT.ok;
    }
    const { out } = ctx;
    if (list.length === 0) {
      out.line('No processes.');
      return EXIT.ok;
    }
    const width = (out.stdout as { columns?: number }).columns;
    const rows = [['STACK', 'SERVICE', 'PID', 'PPID', 'PGID', 'S', 'ROLE', 'COMMAND'].map((h) => out.paint('dim', h))];
    for (const e of list) {
      const role = e.role === 'orphan' ? out.paint('red', e.role) : e.role === 'escaped' ? out.paint('yellow', e.role) : e.role;
      rows.push([e.stack, e.service, String(e.pid), String(e.ppid), String(e.pgid), e.state, role, e.command]);
    }
    for (const r of table(rows)) out.line(width && width > 40 ? r.slice(0, width + (r.length - stripAnsi(r).length)) : r);
    return EXIT.ok;
  },
};
