import type { Verb } from '../context.js';
import { parseVerb, STACK_OPTIONS } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { resolveStackName } from '../stack-ref.js';
import { ownerError } from './outcomes.js';
import { desktopOpener, openOnDesktop } from '../../host/desktop.js';

export const open: Verb = {
  name: 'open',
  summary: "open a service's address in the browser (its url, or its http health check's)",
  help: `Usage: corral open SERVICE [-f FILE | -s STACK] [--print]

Opens the service's address in your browser, where a desktop exists: its
\`url\` in the stack file, else the address of its http health check.
Without a desktop (SSH, a container) the address is printed.

Options:
  -f, --file FILE   the stack file (default: ./corral.yaml)
  -s, --stack NAME  a stack the owner knows, by name
      --print       print the address only
  -h, --help        this help

Exit: 0; 1 the service has no address, or is not running; 2 usage; 4 no owner.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('open', argv, { ...STACK_OPTIONS, print: { type: 'boolean' } });
    if (values.help) return ctx.out.line(open.help), EXIT.ok;
    if (positionals.length !== 1) throw new CliError(EXIT.usage, 'Name one service: `corral open SERVICE`. See `corral open --help`.');
    const name = positionals[0]!;
    const { client } = await ctx.connect();
    const stack = await resolveStackName(values, ctx.cwd, ctx.env, client);
    let snap;
    try {
      snap = await client.call('snapshot', {});
    } catch (e) {
      ownerError(e);
    }
    const st = snap.stacks.find((s) => s.name === stack);
    const s = st?.services.find((x) => x.name === name);
    if (!st || !s) throw new CliError(EXIT.usage, `Stack \`${stack}\` has no service \`${name}\`. Its services: ${st?.services.map((x) => x.name).join(', ') || 'none'}.`);
    if (!s.url) throw new CliError(EXIT.failed, `${name} has no address to open: add \`url: http://…\` to it in ${st.file || 'its stack file'} (an http health check's address is used when there is one).`);
    if (s.pid === null) ctx.out.note(`${name} is ${s.state}: nothing may answer at ${s.url} (\`corral up ${name}\` starts it).`);
    if (values.print || !desktopOpener()) {
      ctx.out.line(s.url);
      return s.pid === null ? EXIT.failed : EXIT.ok;
    }
    if (!(await openOnDesktop(s.url))) {
      ctx.out.line(`(could not run ${desktopOpener()}; open the address yourself) ${s.url}`);
      return EXIT.failed;
    }
    ctx.out.line(`Opened ${s.url}`);
    return s.pid === null ? EXIT.failed : EXIT.ok;
  },
};
