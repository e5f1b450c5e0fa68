// Which stack a verb acts on, like `docker compose`: the stack file given with
// -f, else the corral.yaml of the current directory, else the stack named with
// -s, else the only stack the owner knows.
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { STACK_FILE_NAMES, type StackSpec } from '../../shared/stack.js';

// Loaded only when a file must be parsed: verbs that just need a stack's name skip YAML and the schema.
const stackFile = () => import('../engine/stack-file.js');
import type { ControlClient } from '../host/control/client.js';
import { CliError, EXIT } from './exit-codes.js';
import { existsSync } from 'node:fs';

export interface StackFlags {
  file?: string;
  stack?: string;
}

/** The stack file to use: -f, or corral.yaml / corral.yml in `cwd`; null when there is none. */
export function stackFileOf(flags: StackFlags, cwd: string): string | null {
  if (flags.file) return resolve(cwd, flags.file);
  for (const n of STACK_FILE_NAMES) {
    const p = resolve(cwd, n);
    if (existsSync(p)) return p;
  }
  return null;
}

/** Loads and validates a stack file here, so errors show before any owner is involved (exit 3). */
export async function loadForCli(file: string, env: NodeJS.ProcessEnv): Promise<StackSpec> {
  const { loadStackFile, StackFileError } = await stackFile();
  try {
    return await loadStackFile(file, { env });
  } catch (e) {
    if (e instanceof StackFileError) throw new CliError(EXIT.stackFile, e.message);
    // The parser turns every problem with a file into a StackFileError; anything else is
    // still about this file, and a stack trace would not help its author.
    throw new CliError(EXIT.stackFile, `${file}: cannot read this stack file: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
}

/** The name in a stack file, even when the rest of the file is invalid (so `down` still works on a broken file). */
async function nameOf(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  // A plain top-level `name:` line is the name; only an unusual file needs the parser.
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {}
  const m = /^name:\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*(#.*)?$/m.exec(text);
  if (m) return m[1]!;
  const { loadStackFile, StackFileError } = await stackFile();
  try {
    return (await loadStackFile(file, { env })).name;
  } catch (e) {
    if (e instanceof StackFileError) throw new CliError(EXIT.stackFile, e.message);
    throw new CliError(EXIT.stackFile, `${file}: cannot read this stack file: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
}

/** The stack to act on, for verbs other than `up`. */
export async function resolveStackName(flags: StackFlags, cwd: string, env: NodeJS.ProcessEnv, client: ControlClient): Promise<string> {
  if (flags.stack) return flags.stack;
  const file = stackFileOf(flags, cwd);
  if (file) return nameOf(file, env);
  const stacks = await client.call('stacks', {});
  if (stacks.length === 1) return stacks[0]!.name;
  if (stacks.length === 0) {
    throw new CliError(EXIT.usage, 'No corral.yaml here and no stack registered. Run `corral up` in a directory with a corral.yaml, `corral up --demo` for the demo stack, or `corral init` to write one.');
  }
  throw new CliError(EXIT.usage, `No corral.yaml here, and the owner knows several stacks (${stacks.map((s) => s.name).join(', ')}): pick one with \`-s NAME\` or \`-f FILE\`.`);
}

/** The caller's environment for `${VAR}` in stack files, plus the Node that runs Corral (the demo stack uses it). */
export function callerEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'CORRAL_INSTANCE') out[k] = v;
  out.CORRAL_NODE ??= process.execPath;
  return out;
}
