// Per-verb argument parsing (node:util parseArgs, strict): every verb gets
// --help, --json and --no-color; unknown options are usage errors (exit 2).
import { parseArgs } from 'node:util';
import { CliError, EXIT } from './exit-codes.js';
import { parseDuration } from '../../shared/duration.js';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

export const STACK_OPTIONS = {
  file: { type: 'string', short: 'f' },
  stack: { type: 'string', short: 's' },
} as const satisfies Record<string, OptionSpec>;

export interface Parsed<O> {
  values: O;
  positionals: string[];
}

export function parseVerb<T extends Record<string, OptionSpec>>(verb: string, argv: string[], options: T) {
  try {
    const r = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return r as unknown as Parsed<{ [K in keyof T | keyof typeof COMMON_OPTIONS]?: K extends keyof T ? (T[K]['type'] extends 'boolean' ? boolean : string) : boolean }>;
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '.');
    throw new CliError(EXIT.usage, `${msg} See \`corral ${verb} --help\`.`);
  }
}

export function positiveInt(verb: string, flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(EXIT.usage, `Expected \`${flag}\` to be a whole number of at least 1, got \`${v}\`. See \`corral ${verb} --help\`.`);
  return n;
}

/** `--since 5m` (a duration back from now) or an ISO date → ms since epoch. */
export function parseSince(v: string, now = Date.now()): number {
  try {
    return now - parseDuration(v);
  } catch {}
  const t = Date.parse(v);
  if (Number.isFinite(t)) return t;
  throw new CliError(EXIT.usage, `Expected \`--since\` to be a duration such as 30s, 5m, 2h, or a date such as 2026-01-31T10:00, got \`${v}\`.`);
}
