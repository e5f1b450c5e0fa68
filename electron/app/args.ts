// The app's own command-line switches. Everything else on the command line
// (Chromium switches, the app path Electron adds in development, macOS's
// -psn_ argument) is ignored.
import { resolve } from 'node:path';
import { HIDDEN_ARG } from './autostart.js';

export interface AppArgs {
  /** Start in the tray without opening the window (launch at login). */
  hidden: boolean;
  /** Stack files to add (`--stack FILE`, repeatable), absolute. */
  stacks: string[];
}

export function parseAppArgs(argv: readonly string[], cwd: string): AppArgs {
  const out: AppArgs = { hidden: false, stacks: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === HIDDEN_ARG) out.hidden = true;
    else if (a === '--stack' && i + 1 < argv.length) out.stacks.push(resolve(cwd, argv[++i]!));
    else if (a.startsWith('--stack=') && a.length > '--stack='.length) out.stacks.push(resolve(cwd, a.slice('--stack='.length)));
  }
  return out;
}
