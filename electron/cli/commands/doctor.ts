import type { Verb } from '../context.js';
import { parseVerb } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { callerEnv, loadForCli, stackFileOf } from '../stack-ref.js';

export const doctor: Verb = {
  name: 'doctor',
  summary: 'find what keeps a stack from running: port holders, orphans, stale state, missing binaries, PATH',
  help: `Usage: corral doctor [-f FILE] [--fix] [--json]

Checks, for every registered stack and the stack file of this directory (with
-f, for that stack file alone):
  - each service's program exists (and is on the PATH the owner runs it with,
    which may differ from your shell's);
  - each declared port is free or held by that service;
  - no orphan: a process Corral started that nothing supervises;
  - no stale state file or lock leftover;
  - the log directory is writable and its disk not full.
Each problem comes with the next step.

Options:
  -f, --file FILE   check this stack file only (an invalid one: its error, exit 3)
      --fix         end orphans (ours only, identity-checked) and remove stale files
      --json        a list of {level, topic, subject, message, fix, fixed}
  -h, --help        this help

Exit: 0 no errors (warnings allowed); 1 errors found; 2 usage; 3 the stack file
given with -f is invalid; 4 no owner.`,
  async run(ctx, argv) {
    const { values } = parseVerb('doctor', argv, { file: { type: 'string', short: 'f' }, fix: { type: 'boolean' } });
    if (values.help) return ctx.out.line(doctor.help), EXIT.ok;
    const file = stackFileOf(values, ctx.cwd);
    // A file named with -f is the question: if it cannot be read, its error is the answer.
    if (values.file && file) await loadForCli(file, callerEnv(ctx.env));
    const { client } = await ctx.connect();
    const only = values.file ? { only: true } : {};
    const findings = await client.call('doctor', { ...(file ? { file } : {}), ...only, env: callerEnv(ctx.env), ...(values.fix ? { fix: true } : {}) });
    const errors = findings.filter((f) => f.level === 'error' && !(f.fixed && !f.fixed.startsWith('could not')));
    if (values.json) {
      ctx.out.json(findings);
      return errors.length > 0 ? EXIT.failed : EXIT.ok;
    }
    const { out } = ctx;
    for (const f of findings) {
      const mark = f.level === 'ok' ? out.paint('green', '✓') : f.level === 'warning' ? out.paint('yellow', '!') : out.paint('red', '✗');
      out.line(`${mark} ${out.paint('dim', `[${f.topic}]`)} ${f.subject}: ${f.message}`);
      if (f.fixed) out.line(`    ${out.paint('green', 'fixed:')} ${f.fixed}`);
      else if (f.fix && f.level !== 'ok') out.line(`    ${out.paint('bold', 'fix:')} ${f.fix}`);
    }
    const warnings = findings.filter((f) => f.level === 'warning' && !f.fixed).length;
    out.line(errors.length === 0 ? out.paint('green', `No errors${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}.`) : out.paint('red', `${errors.length} error${errors.length > 1 ? 's' : ''}.`));
    return errors.length > 0 ? EXIT.failed : EXIT.ok;
  },
};
