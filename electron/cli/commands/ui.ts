import type { Verb } from '../context.js';
import { parseVerb } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { ownerError } from './outcomes.js';

import { desktopOpener, openOnDesktop } from '../../host/desktop.js';

export const ui: Verb = {
  name: 'ui',
  summary: 'open the status window and log viewer in a browser (the owner\'s local web UI)',
  help: `Usage: corral ui [--no-open] [--json]

Asks the owner to serve its local web UI (the same window the tray app shows)
on 127.0.0.1 at a free port, prints the address and opens it in your browser
where a desktop exists. The address carries a one-time sign-in code (valid 10
minutes, for one page): the page trades it for a session only that tab holds;
without one the API answers 401. Run \`corral ui\` again for another tab. The
web UI lives as long as the owner.

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
    if (values['no-open']) return EXIT.ok;
    if (desktopOpener()) {
      if (!(await openOnDesktop(url))) ctx.out.line(`(could not run ${desktopOpener()}; open the address yourself)`);
    } else if (!values.json) ctx.out.line('(no desktop here to open it in: open the address in a browser that can reach 127.0.0.1)');
    return EXIT.ok;
  },
};
