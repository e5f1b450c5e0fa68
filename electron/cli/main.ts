// `corral`: the command line of Corral. It never supervises anything itself:
// every verb talks to the owner of the data directory over its control socket
// (starting a headless owner when none answers). See the README ("The corral command").
import type { Verb } from './context.js';
import { makeContext } from './context.js';
import { CliError, EXIT } from './exit-codes.js';
import { Output, colorEnabled } from './output.js';
import { version } from './package-root.js';
import { up } from './commands/up.js';
import { down } from './commands/down.js';
import { restart } from './commands/restart.js';
import { status } from './commands/status.js';
import { logs } from './commands/logs.js';
import { ps } from './commands/ps.js';
import { doctor } from './commands/doctor.js';
import { init } from './commands/init.js';
import { stacks } from './commands/stacks.js';
import { daemon } from './commands/daemon.js';
import { ui } from './commands/ui.js';

export const VERBS: Verb[] = [up, down, restart, status, logs, ps, doctor, init, stacks, ui, daemon];

function mainHelp(): string {
  const w = Math.max(...VERBS.map((v) => v.name.length));
  return `corral ${version()}: keeps a local stack of processes running (no orphans, no zombies, no duplicates).

Usage: corral <verb> [options]     (corral <verb> --help for each)

${VERBS.map((v) => `  ${v.name.padEnd(w)}  ${v.summary}`).join('\n')}

The stack is ./corral.yaml unless -f FILE (--file for logs) or -s STACK says otherwise.
Data directory: $CORRAL_HOME, default ~/.local/state/corral (macOS: ~/Library/Application Support/Corral).

Exit codes: 0 ok; 1 the action failed (a service not healthy, a stop incomplete,
doctor found errors); 2 usage; 3 stack file missing or invalid; 4 no owner could
be reached or started; 130 interrupted.
Environment: CORRAL_HOME, NO_COLOR, CORRAL_SOCKET_DIR, CORRAL_LOG_MAX_BYTES.`;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<number> {
  const out = new Output(process.stdout, process.stderr, colorEnabled(process.stdout, env, argv.includes('--no-color')));
  const [verbName, ...rest] = argv;
  if (!verbName || verbName === '--help' || verbName === '-h' || verbName === 'help') {
    const target = verbName === 'help' ? VERBS.find((v) => v.name === rest[0]) : undefined;
    out.line(target ? target.help : mainHelp());
    return EXIT.ok;
  }
  if (verbName === '--version' || verbName === '-V' || verbName === 'version') {
    out.line(version());
    return EXIT.ok;
  }
  const verb = VERBS.find((v) => v.name === verbName);
  if (!verb) {
    out.note(`corral: unknown verb \`${verbName}\`. Verbs: ${VERBS.map((v) => v.name).join(', ')}. See \`corral --help\`.`);
    return EXIT.usage;
  }
  const ctx = makeContext(out, env, cwd);
  const onSigint = () => {
    if (ctx.onInterrupt) ctx.onInterrupt();
    else process.exit(EXIT.interrupted);
  };
  if (verb !== VERBS.find((v) => v.name === 'daemon')) process.on('SIGINT', onSigint);
  try {
    return await verb.run(ctx, rest);
  } catch (e) {
    if (e instanceof CliError) {
      out.note(`corral ${verb.name}: ${e.message}`);
      return e.code;
    }
    out.note(`corral ${verb.name}: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.failed;
  } finally {
    process.off('SIGINT', onSigint);
    ctx.dispose();
  }
}

// A closed pipe (`corral logs | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
});

const code = await main(process.argv.slice(2));
// Let pending writes reach a pipe before exiting.
process.stdout.write('', () => process.exit(code));
