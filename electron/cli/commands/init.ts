import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Verb } from '../context.js';
import { parseVerb } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { presetFile, packageRoot } from '../package-root.js';
import { procfileToStack, ProcfileError } from '../procfile.js';
import { parseStack, StackFileError } from '../../engine/stack-file.js';
import { STACK_NAME_PATTERN } from '../../../shared/stack.js';
import { callerEnv } from '../stack-ref.js';

const TEMPLATE = (name: string) => `# Corral stack file: the processes of this project's local stack.
# Reference: the Corral README ("Stack files"). Editors validate it with shared/corral.schema.json.
version: 1
name: ${name}
services:
  web:
    command: ["npm", "run", "dev"]
    ports: [3000]
    health: { http: { url: "http://127.0.0.1:3000/" } }
  # worker:
  #   command: "node worker.js"
  #   depends_on: { web: healthy }
  #   restart: { policy: on-failure }
`;

/** Where the Stigmer CLI extracts Temporal, as the preset writes it. */
const STIGMER_TEMPORAL = '~/.stigmer/bin/temporal';

/**
 * The Temporal CLI for the Stigmer preset: the Stigmer CLI's copy, else the
 * one on the PATH, Homebrew's, or the Temporal installer's (~/.temporalio/bin).
 * Absolute, because the owner may run with another PATH than this shell.
 */
export function findTemporal(env: NodeJS.ProcessEnv): string | null {
  const home = env.HOME ?? '';
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (home && executable(join(home, '.stigmer', 'bin', 'temporal'))) return STIGMER_TEMPORAL;
  const dirs = [...(env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), '/opt/homebrew/bin', '/usr/local/bin', ...(home ? [join(home, '.temporalio', 'bin')] : [])];
  for (const d of dirs) if (executable(join(d, 'temporal'))) return join(d, 'temporal');
  return null;
}

function presets(): string[] {
  try {
    return readdirSync(join(packageRoot(), 'stacks', 'presets')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

export const init: Verb = {
  name: 'init',
  summary: 'write a corral.yaml: from a preset, from a Procfile, or a template',
  help: `Usage: corral init [--preset NAME | --from PROCFILE] [--name NAME] [--output FILE] [--force]

Writes a stack file (./corral.yaml by default):
  --preset stigmer   the Stigmer local backend: Temporal dev server (7233, tcp
                     health), stigmer-server (7234, gRPC health),
                     workflow-runner and agent-runner (binaries in ~/.stigmer/bin)
  --from Procfile    one service per Procfile line (commands run with /bin/sh -c;
                     $PORT gets 5000, 5100, … as foreman does)
  (neither)          imports ./Procfile if there is one, else writes a template

Options:
      --name NAME    the stack's name (default: the preset's, or this directory's name)
  -o, --output FILE  where to write (default: ./corral.yaml)
      --force        overwrite an existing file
  -h, --help         this help

Then: \`corral doctor\` checks binaries and ports; \`corral up\` starts the stack.
Exit: 0 written; 1 the file exists (use --force); 2 usage; 3 Procfile invalid.`,
  async run(ctx, argv) {
    const { values } = parseVerb('init', argv, {
      preset: { type: 'string' },
      from: { type: 'string' },
      name: { type: 'string' },
      output: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
    });
    if (values.help) return ctx.out.line(init.help), EXIT.ok;
    if (values.preset && values.from) throw new CliError(EXIT.usage, 'Use either --preset or --from, not both.');
    if (values.name !== undefined && !STACK_NAME_PATTERN.test(values.name)) {
      throw new CliError(EXIT.usage, `Invalid stack name \`${values.name}\`: use letters, digits, ".", "_" or "-", starting with a letter or digit.`);
    }
    const target = resolve(ctx.cwd, values.output ?? 'corral.yaml');
    if (existsSync(target) && !values.force) throw new CliError(EXIT.failed, `${target} already exists; use --force to overwrite it.`);
    const dirName = basename(dirname(target)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
    const defaultName = STACK_NAME_PATTERN.test(dirName) ? dirName : 'stack';
    let text: string;
    let source: string;
    const procfile = values.from ? resolve(ctx.cwd, values.from) : !values.preset && existsSync(resolve(ctx.cwd, 'Procfile')) ? resolve(ctx.cwd, 'Procfile') : null;
    if (values.preset) {
      const file = presetFile(values.preset);
      if (!existsSync(file)) throw new CliError(EXIT.usage, `No preset named \`${values.preset}\`. Presets: ${presets().join(', ') || 'none'}.`);
      text = readFileSync(file, 'utf8');
      if (values.name) text = text.replace(/^name:.*$/m, `name: ${values.name}`);
      source = `preset ${values.preset}`;
      if (values.preset === 'stigmer') {
        const found = findTemporal(ctx.env);
        if (found && found !== STIGMER_TEMPORAL) text = text.replace(JSON.stringify(STIGMER_TEMPORAL), JSON.stringify(found));
        ctx.out.line(found ? `temporal: ${found}` : 'temporal: not found (on your PATH, in Homebrew, ~/.temporalio/bin or ~/.stigmer/bin); `corral doctor` says how to install it.');
      }
    } else if (procfile) {
      let ptext: string;
      try {
        ptext = readFileSync(procfile, 'utf8');
      } catch (e) {
        throw new CliError(EXIT.stackFile, `Cannot read ${procfile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
      }
      const envFile = dirname(procfile) === dirname(target) && existsSync(join(dirname(procfile), '.env')) ? '.env' : undefined;
      try {
        text = procfileToStack(ptext, values.name ?? defaultName, { file: procfile, ...(envFile ? { envFile } : {}) });
      } catch (e) {
        if (e instanceof ProcfileError) throw new CliError(EXIT.stackFile, e.message);
        throw e;
      }
      source = procfile;
    } else {
      text = TEMPLATE(values.name ?? defaultName);
      source = 'the template';
    }
    let summary = '';
    try {
      const spec = parseStack(text, target, { env: callerEnv(ctx.env) });
      summary = ` (stack ${spec.name}: ${spec.services.map((s) => s.name).join(', ')})`;
    } catch (e) {
      if (!(e instanceof StackFileError)) throw e;
      // Written anyway: the user edits it next; say what to fix.
      summary = `; check it: ${e.message}`;
    }
    writeFileSync(target, text, { mode: 0o644 });
    ctx.out.line(`Wrote ${target} from ${source}${summary}.`);
    ctx.out.line('Next: `corral doctor` checks binaries and ports; `corral up` starts the stack.');
    return EXIT.ok;
  },
};
