import { spawn } from 'node:child_process';
import type { Verb } from '../context.js';
import { parseVerb } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { ownerError } from './outcomes.js';

/** The system's "open this URL" command, where a desktop exists to show it. */
export function browserOpener(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string | null {
  if (platform === 'darwin') return 'open';
  if (platform === 'linux' && (env.DISPLAY || env.WAYLAND_DISPLAY)) return 'xdg-open';
  return null;
}

export const ui: Verb = {
  name: 'ui',
  summary: 'open the status window and log viewer in a browser (the owner\'s local web UI)',
  help: `Usage: corral ui [--no-open] [--json]

Asks the owner to serve its local web UI (the same window the tray app shows)
on 127.0.0.1 at a free port, with a random token, prints the address and opens
it in your browser where a desktop exists. The address carries the token:
anyone without it gets 401. The web UI lives as long as the owner.

Options:
      --no-open     print the address only
      --json        {"url": …}
  -h, --help        this help

Exit: 0; 2 usage; 4 no owner; 1 the web UI could not start (the renderer is not built: npm run build:renderer).`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('ui', argv, { 'no-open': { type: 'boolean' } });
    if (values.help) return ctx.out.line(ui.help), EXIT.ok;
    if (positionals.length > 0) throw new CliError(EXIT.usage, `Unknown argument \`${positionals[0]}\`. See \`corral ui --help\`.`);
    const { client } = await ctx.connect();
    let url: string;
    try {
      url = (await client.call('webUi', {})).url;
    } catch (e) {
      ownerError(e);
    }
    if (values.json) ctx.out.json({ url });
    else ctx.out.line(`Corral web UI: ${url}`);
    const opener = values['no-open'] ? null : browserOpener();
    if (opener) {
      const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
      child.on('error', () => ctx.out.line(`(could not run ${opener}; open the address yourself)`));
      child.unref();
    } else if (!values.json && !values['no-open']) ctx.out.line('(no desktop here to open it in: open the address in a browser that can reach 127.0.0.1)');
    return EXIT.ok;
  },
};
