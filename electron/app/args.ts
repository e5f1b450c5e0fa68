// The app's own command-line switches. Everything else on the command line
// (Chromium switches, the app path Electron adds in development, macOS's
// -psn_ argument) is ignored.
import { isAbsolute, resolve } from 'node:path';
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
    // A switch is never the file: Chromium reorders a second launch's argv, switches first.
    else if (a === '--stack' && i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) out.stacks.push(resolve(cwd, argv[++i]!));
    else if (a.startsWith('--stack=') && a.length > '--stack='.length) out.stacks.push(resolve(cwd, a.slice('--stack='.length)));
  }
  return out;
}

/**
 * What a later launch hands to the running app (requestSingleInstanceLock's
 * additionalData): its stack files, already absolute. Chromium reorders the
 * argv the running app gets (switches first, some added), so `--stack FILE`
 * cannot be read back from it reliably.
 */
export interface LaunchData {
  v: 1;
  stacks: string[];
}

export function launchData(args: AppArgs): LaunchData {
  return { v: 1, stacks: args.stacks };
}

/** The stacks a later launch asked for: from its LaunchData, else (an older launcher) from its argv. */
export function launchStacks(data: unknown, argv: readonly string[], cwd: string): string[] {
  const d = data as Partial<LaunchData> | null | undefined;
  if (d && typeof d === 'object' && d.v === 1 && Array.isArray(d.stacks)) {
    return d.stacks.filter((s): s is string => typeof s === 'string' && isAbsolute(s) && !s.includes('\0'));
  }
  return parseAppArgs(argv, cwd).stacks;
}
