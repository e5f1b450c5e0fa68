import type { Verb } from '../context.js';
import { parseSince, parseVerb, positiveInt } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { resolveStackName } from '../stack-ref.js';
import { SERVICE_COLORS } from '../output.js';
import type { LogLine } from '../../../shared/api.js';
import { ownerError } from './outcomes.js';

export const logs: Verb = {
  name: 'logs',
  summary: 'show service logs, merged in time order (-f to follow)',
  help: `Usage: corral logs [SERVICE…] [-f] [-n N] [--since WHEN] [-t] [--file FILE | -s STACK] [--json]

Shows the logs of the stack's services (all by default), merged in time order,
each line prefixed with its service in colour. Both streams (stdout and
stderr) of a service are in one file, in order: logs/<stack>/<service>.log
under the data directory, rotated by size and at each start.

Options:
  -f, --follow       keep printing new lines until Ctrl-C
  -n, --lines N      how many lines of history (default 100)
      --since WHEN   only lines from then on: 30s, 5m, 2h, or a date (2026-01-31T10:00)
  -t, --timestamps   show each line's time
      --file FILE    the stack file (default: ./corral.yaml)
  -s, --stack NAME   a stack the owner knows, by name
      --json         one JSON object per line: {stack, service, ts, seq, text}
  -h, --help         this help

Exit: 0; 2 usage (unknown service); 4 no owner (or it went away while following).`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('logs', argv, {
      file: { type: 'string' },
      stack: { type: 'string', short: 's' },
      follow: { type: 'boolean', short: 'f' },
      lines: { type: 'string', short: 'n' },
      since: { type: 'string' },
      timestamps: { type: 'boolean', short: 't' },
    });
    if (values.help) return ctx.out.line(logs.help), EXIT.ok;
    const since = values.since !== undefined ? parseSince(values.since) : undefined;
    const n = positiveInt('logs', '--lines', values.lines, since !== undefined ? 100_000 : 100);
    const { client } = await ctx.connect();
    const stack = await resolveStackName({ file: values.file, stack: values.stack }, ctx.cwd, ctx.env, client);
    const st = (await client.call('snapshot', {})).stacks.find((s) => s.name === stack);
    if (!st) throw new CliError(EXIT.usage, `Stack \`${stack}\` is not registered with the owner: \`corral up\` registers it.`);
    const all = st.services.map((s) => s.name);
    const unknown = positionals.filter((p) => !all.includes(p));
    if (unknown.length > 0) throw new CliError(EXIT.usage, `Stack \`${stack}\` has no service ${unknown.map((u) => `\`${u}\``).join(', ')}. Its services: ${all.join(', ')}.`);
    const services = positionals.length > 0 ? positionals : all;
    const { out } = ctx;
    const width = Math.max(...services.map((s) => s.length));
    const print = (l: LogLine) => {
      if (values.json) return void out.stdout.write(JSON.stringify(l) + '\n');
      const color = SERVICE_COLORS[all.indexOf(l.service) % SERVICE_COLORS.length]!;
      const ts = values.timestamps ? out.paint('dim', new Date(l.ts).toISOString() + ' ') : '';
      out.line(`${out.paint(color, l.service.padEnd(width))} ${out.paint('dim', '|')} ${ts}${out.text(l.text)}`);
    };

    const history = { lines: n, ...(since !== undefined ? { since } : {}) };
    if (!values.follow) {
      try {
        (await client.call('readLogs', { stack, services, ...history })).forEach(print);
      } catch (e) {
        ownerError(e);
      }
      return EXIT.ok;
    }
    // The owner sends the history as the first event, then every later line
    // once: it cuts the history where its followers stand.
    let unsubscribe: () => void;
    try {
      unsubscribe = await client.subscribe('logs', { stack, services, history }, (lines) => lines.forEach(print));
    } catch (e) {
      ownerError(e);
    }
    return new Promise<number>((resolve) => {
      ctx.onInterrupt = () => {
        unsubscribe();
        resolve(EXIT.ok);
      };
      client.once('close', () => {
        out.note('The owner closed the connection (stopped or handed over); run the command again to go on following.');
        resolve(EXIT.owner);
      });
    });
  },
};
