// `corral`: the command line of Corral. It never supervises anything itself:
// every verb talks to the owner of the data directory over its control socket
// (starting a headless owner when none answers). See the README ("The corral command").
import type { Verb } from './context.js';
import { makeContext } from './context.js';
import { CliError, EXIT } from './exit-codes.js';
import { ControlError } from '../host/control/client.js';
import { ownerGone } from './commands/outcomes.js';
import { Output, colorEnabled } from './output.js';
import { version } from './package-root.js';
/**
 * Verbs are loaded only when used: a `corral status` should not pay for
 * parsing YAML or building the doctor. The summaries stay here for `--help`.
 */
interface VerbEntry {
  name: string;
  summary: string;
  load: () => Promise<Verb>;
}

export const VERBS: VerbEntry[] = [
  { name: 'up', summary: 'register the stack file and start it (or some services), waiting until healthy', load: async () => (await import('./commands/up.js')).up },
  { name: 'down', summary: 'stop the stack (or some services), dependents first', load: async () => (await import('./commands/down.js')).down },
  { name: 'restart', summary: 'stop and start services again (proven stop, then start and wait until healthy)', load: async () => (await import('./commands/restart.js')).restart },
  { name: 'status', summary: 'show the state of each service', load: async () => (await import('./commands/status.js')).status },
  { name: 'logs', summary: 'show service logs, merged in time order (-f to follow)', load: async () => (await import('./commands/logs.js')).logs },
  { name: 'ps', summary: "list every process of every service, descendants included", load: async () => (await import('./commands/ps.js')).ps },
  { name: 'doctor', summary: 'find what keeps a stack from running: port holders, orphans, stale state, missing binaries, PATH', load: async () => (await import('./commands/doctor.js')).doctor },
  { name: 'init', summary: 'write a corral.yaml: from a preset, from a Procfile, or a template', load: async () => (await import('./commands/init.js')).init },
  { name: 'stacks', summary: 'list the stacks the owner knows (`stacks rm NAME` forgets one)', load: async () => (await import('./commands/stacks.js')).stacks },
  { name: 'open', summary: "open a service's address in the browser (its url, or its http health check's)", load: async () => (await import('./commands/open.js')).open },
  { name: 'ui', summary: 'open the status window and log viewer in a browser (the owner\'s local web UI)', load: async () => (await import('./commands/ui.js')).ui },
  { name: 'daemon', summary: 'run the headless owner (`daemon start|stop|status` to manage it)', load: async () => (await import('./commands/daemon.js')).daemon },
];

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
    out.line(target ? (await target.load()).help : mainHelp());
    return EXIT.ok;
  }
  if (verbName === '--version' || verbName === '-V' || verbName === 'version') {
    out.line(version());
    return EXIT.ok;
  }
  const entry = VERBS.find((v) => v.name === verbName);
  if (!entry) {
    out.note(`corral: unknown verb \`${verbName}\`. Verbs: ${VERBS.map((v) => v.name).join(', ')}. See \`corral --help\`.`);
    return EXIT.usage;
  }
  const verb = await entry.load();
  const ctx = makeContext(out, env, cwd);
  const onSigint = () => {
    if (ctx.onInterrupt) ctx.onInterrupt();
    else process.exit(EXIT.interrupted);
  };
  if (verb.name !== 'daemon') process.on('SIGINT', onSigint);
  try {
    return await verb.run(ctx, rest);
  } catch (e) {
    if (e instanceof CliError) {
      out.note(`corral ${verb.name}: ${e.message}`);
      return e.code;
    }
    // The owner went away mid-call (ended, crashed, killed): not a bug of this command, nothing to debug here.
    if (e instanceof ControlError && ownerGone(e)) {
      out.note(`corral ${verb.name}: ${ownerGone(e)}`);
      return EXIT.owner;
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
