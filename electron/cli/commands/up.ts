import type { Verb } from '../context.js';
import type { StackSpec } from '../../../shared/stack.js';
import { parseVerb, STACK_OPTIONS } from '../args.js';
import { CliError, EXIT } from '../exit-codes.js';
import { callerEnv, loadForCli, stackFileOf } from '../stack-ref.js';
import { demoStackFile } from '../package-root.js';
import { Progress, notUpSummary, ownerError, printOutcomes } from './outcomes.js';

export const up: Verb = {
  name: 'up',
  summary: 'register the stack file and start it (or some services), waiting until healthy',
  help: `Usage: corral up [SERVICE…] [-f FILE | -s STACK | --demo] [--json]

Registers the stack file of the current directory (corral.yaml) with the owner,
or the one given with -f, and starts the services asked for (all by default)
and what they depend on, in dependency order. Shows each service's progress
and returns when every one is running and healthy. Starting is idempotent: a
healthy running service is left alone; a service whose definition changed in
the file is restarted. This is how a stack file changed on disk is applied (the
owner never applies it by itself; \`corral status\` says what \`up\` would do).

Options:
  -f, --file FILE   the stack file (default: ./corral.yaml)
  -s, --stack NAME  a stack the owner already knows, by name
      --demo        the demo stack that ships with Corral
      --json        print the result as JSON
      --no-color    no colours (also: NO_COLOR=1)
  -h, --help        this help

Exit: 0 all healthy; 1 a service did not become healthy (reason and last log
lines are shown; Corral keeps supervising it); 2 usage; 3 stack file invalid;
4 no owner could be started.`,
  async run(ctx, argv) {
    const { values, positionals } = parseVerb('up', argv, { ...STACK_OPTIONS, demo: { type: 'boolean' } });
    if (values.help) return ctx.out.line(up.help), EXIT.ok;
    let file = values.demo ? demoStackFile() : stackFileOf(values, ctx.cwd);
    if (!file && !values.stack) {
      throw new CliError(EXIT.stackFile, `No corral.yaml in ${ctx.cwd}. Write one with \`corral init\` (or \`corral init --preset stigmer\`), pass \`-f FILE\`, or try \`corral up --demo\`.`);
    }
    // Reach the owner while the file is parsed here: on a first `up` the daemon starts
    // (and loads its own parser) meanwhile. Its progress note waits for the parse, so
    // a broken file shows only its error (the daemon, like after any verb, stays).
    const notes: string[] = [];
    let parsed = !file;
    const connecting = ctx.connect({ note: (m) => (parsed ? ctx.out.note(ctx.out.paint('dim', m)) : notes.push(m)) });
    connecting.catch(() => {});
    let stackName: string | null = null;
    let inFile: Set<string> | undefined;
    let parsedHere: StackSpec | undefined;
    if (file) {
      const spec = (parsedHere = await loadForCli(file, callerEnv(ctx.env)));
      inFile = new Set(spec.services.map((s) => s.name));
      const unknown = positionals.filter((p) => !spec.services.some((s) => s.name === p));
      if (unknown.length > 0) throw new CliError(EXIT.usage, `Stack \`${spec.name}\` (${file}) has no service ${unknown.map((u) => `\`${u}\``).join(', ')}. Its services: ${spec.services.map((s) => s.name).join(', ')}.`);
      stackName = spec.name;
      parsed = true;
      for (const m of notes.splice(0)) ctx.out.note(ctx.out.paint('dim', m));
    }
    const { client, handover } = await connecting;
    if (!file && values.stack) {
      const known = (await client.call('stacks', {})).find((s) => s.name === values.stack);
      if (!known) throw new CliError(EXIT.usage, `The owner knows no stack named \`${values.stack}\`. Run \`corral up -f FILE\` to register it, or see \`corral stacks\`.`);
      file = known.file;
    }
    if (!file) throw new CliError(EXIT.stackFile, `Stack \`${values.stack}\` has no stack file on record; run \`corral up -f FILE\`.`);
    stackName ??= (await loadForCli(file, callerEnv(ctx.env))).name;
    const progress = new Progress(ctx.out, stackName, inFile);
    const unsubscribe = await client.subscribe('snapshot', {}, (s) => progress.update(s));
    ctx.onInterrupt = () => {
      ctx.out.note(`\nInterrupted. The owner goes on starting what was asked; \`corral status\` shows it, \`corral down\` stops it.`);
      process.exit(EXIT.interrupted);
    };
    let result;
    try {
      // A daemon this call started is this build: it takes the parse done here (proven by its one-time
      // secret) instead of loading a parser of its own.
      const spec = handover && parsedHere ? { spec: parsedHere, handover } : {};
      result = await client.call('up', { file, env: callerEnv(ctx.env), ...(positionals.length > 0 ? { services: positionals } : {}), ...spec });
    } catch (e) {
      ownerError(e);
    } finally {
      unsubscribe();
    }
    const ok = result.outcomes.every((o) => o.ok);
    if (values.json) {
      const snap = await client.call('snapshot', {});
      ctx.out.json({ stack: result.stack, ok, outcomes: result.outcomes, recreated: result.recreated, services: snap.stacks.find((s) => s.name === result.stack)?.services ?? [] });
      return ok ? EXIT.ok : EXIT.failed;
    }
    await printOutcomes(ctx.out, client, result.stack, result.outcomes, true);
    if (result.recreated.length > 0) ctx.out.line(ctx.out.paint('dim', `Restarted because their definition changed: ${result.recreated.join(', ')}.`));
    if (ok) ctx.out.line(`Stack ${result.stack} is up. See \`corral status\`, \`corral logs -f\`; stop it with \`corral down\`.`);
    else ctx.out.line(ctx.out.paint('red', notUpSummary(result.stack, result.outcomes)));
    return ok ? EXIT.ok : EXIT.failed;
  },
};
