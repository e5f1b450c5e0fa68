import type { Ctx, Verb } from '../context.js';
import type { ControlClient } from '../../host/control/client.js';
import { parseSince, parseVerb, positiveInt } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { resolveStackName } from '../stack-ref.js';
import { SERVICE_COLORS } from '../output.js';
import type { LogCursor, LogLine } from '../../../shared/api.js';
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
  -t, --timestamps   show each line's time where known: its own timestamp, or
                     when the owner read it (lines followed with -f); — for
                     an older line without one
      --file FILE    the stack file (default: ./corral.yaml)
  -s, --stack NAME   a stack the owner knows, by name
      --json         one JSON object per line: {stack, service, ts, at?, stamped?, seq, text, cont?}
                     (seq: the line's position in the service's log, its identity;
                     at: its time where known, stamped when that is its own
                     timestamp; ts: the merge order only;
                     cont: a piece of a line longer than 16 KiB, continued next)
  -h, --help         this help

Lines longer than 16 KiB are shown in pieces; a line redrawn with \\r (a
progress bar) is shown as its last state. With -f, when the owner goes away
(stopped, killed, handed over) this says so once and waits for the next one,
then goes on from the line after the last one shown.

Exit: 0 (also on Ctrl-C while following); 2 usage (unknown service); 4 no owner.`,
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
      // Only a known time (shared/api.ts LogLine.at), never the order key's estimate.
      const ts = values.timestamps ? out.paint('dim', (l.at !== undefined ? new Date(l.at).toISOString() : '—'.padEnd(24)) + ' ') : '';
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
    return follow(ctx, stack, services, history, print);
  },
};

/**
 * Follows across owners. The owner sends the history and each service's
 * cursor as the first event, then every later line once. When it goes away
 * (killed, `daemon stop`, a handover to the app), this waits for the next
 * owner and resubscribes from the position after the last line printed, so
 * nothing is lost or printed twice. It does not start an owner itself: the
 * owner may have been stopped on purpose (`corral daemon stop`), and a
 * follower in another terminal must not undo that; the services keep running
 * and writing meanwhile, and the next owner (`corral up`, the app, a
 * handover) gives what they wrote.
 */
async function follow(ctx: Ctx, stack: string, services: string[], history: { lines: number; since?: number }, print: (l: LogLine) => void): Promise<number> {
  const { out } = ctx;
  let stopped = false;
  let wake: (() => void) | null = null;
  ctx.onInterrupt = () => {
    stopped = true;
    wake?.();
  };
  // Per service, the position of the next line to print (known once the first event came).
  let next: LogCursor | null = null;
  let client: ControlClient | null = (await ctx.connect()).client;
  let saidGone = false;
  while (!stopped) {
    if (!client) {
      client = await nextOwner(ctx, () => stopped, (w) => (wake = w));
      if (!client) break;
      out.note(out.paint('dim', 'Following again with the new owner.'));
      saidGone = false;
    }
    const c = client;
    const closed = new Promise<void>((resolve) => {
      wake = resolve;
      c.once('close', () => resolve());
    });
    try {
      await c.subscribe('logs', { stack, services, ...(next ? { from: next } : { history }) }, (batch) => {
        if (batch.cursor && !next) next = { ...batch.cursor };
        for (const [service, bytes] of Object.entries(batch.skipped ?? {})) out.note(`${service}: ${bytes} bytes of its log were left out (this follower fell behind by more than one read); \`corral logs\` or the file has them.`);
        for (const l of batch.lines) {
          print(l);
          if (next) next[l.service] = Math.max(next[l.service] ?? -Infinity, l.seq + 1);
        }
      });
    } catch (e) {
      const code = (e as { code?: string }).code;
      // The stack is gone from this owner (nothing more to follow), or a refusal that waiting will not change.
      // An owner that went away during the call is waited for like any other.
      if (code === 'not-found' || (code !== 'closed' && !next)) ownerError(e);
    }
    await closed;
    c.close();
    client = null;
    if (stopped) break;
    if (!saidGone) out.note(`The owner went away (stopped, killed or handed over); waiting for the next one to go on from the last line shown (Ctrl-C to end).`);
    saidGone = true;
  }
  client?.close();
  return EXIT.ok;
}

/** Waits for an owner to answer (without starting one); null when interrupted. */
async function nextOwner(ctx: Ctx, stopped: () => boolean, setWake: (w: () => void) => void): Promise<ControlClient | null> {
  let delay = 100;
  while (!stopped()) {
    try {
      return (await ctx.connect({ start: false, note: () => {} })).client;
    } catch {}
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, delay);
      setWake(() => {
        clearTimeout(t);
        resolve();
      });
    });
    delay = Math.min(delay * 2, 500);
  }
  return null;
}
