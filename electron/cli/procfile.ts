// Imports a Procfile (`web: bundle exec rails s -p $PORT`) as corral.yaml
// text, so a project that already has one gets a stack without retyping it.
// The output is a starting point the user edits: no health checks or
// dependencies are invented.
import { Document } from 'yaml';
import { STACK_NAME_PATTERN } from '../../shared/stack.js';
import { STACK_FILE_VERSION } from '../../shared/stack-schema.js';
import { platformName } from '../engine/process/platform/index.js';

export interface ProcfileEntry {
  name: string;
  /** A shell command line, as written (Procfile commands run through a shell). */
  command: string;
  /** 1-based line in the Procfile. */
  line: number;
}

/** Invalid Procfile lines; the message has one `file:line: problem` line for each. */
export class ProcfileError extends Error {
  readonly file: string;
  readonly problems: { line: number; message: string }[];

  constructor(file: string, problems: { line: number; message: string }[]) {
    super(problems.map((p) => `${file}:${p.line}: ${p.message}`).join('\n'));
    this.name = 'ProcfileError';
    this.file = file;
    this.problems = problems;
  }
}

/** Parses a Procfile; blank lines and `#` comments are skipped. Throws ProcfileError listing every bad line. */
export function parseProcfile(text: string, file = 'Procfile'): ProcfileEntry[] {
  const entries: ProcfileEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(trimmed);
    if (!m) {
      problems.push({ line, message: `Expected "name: command", got ${JSON.stringify(trimmed)}` });
      return;
    }
    const [, name, command] = m as unknown as [string, string, string];
    if (!STACK_NAME_PATTERN.test(name)) {
      problems.push({ line, message: `Invalid process name "${name}": use letters, digits, ".", "_" or "-", starting with a letter or digit` });
    } else if (command === '') {
      problems.push({ line, message: `Process "${name}" has no command: add one after the colon` });
    } else {
      const earlier = entries.find((e) => e.name === name);
      if (earlier) problems.push({ line, message: `Process "${name}" is already defined on line ${earlier.line}: rename or remove one` });
      else entries.push({ name, command, line });
    }
  });
  if (problems.length === 0 && entries.length === 0) problems.push({ line: 1, message: 'No processes found: a Procfile has lines like "web: npm start"' });
  if (problems.length > 0) throw new ProcfileError(file, problems);
  return entries;
}

export interface ProcfileImportOptions {
  /** Names the Procfile in errors (default "Procfile"). */
  file?: string;
  /** An env file every service should read (foreman reads `.env` next to the Procfile). */
  envFile?: string;
  /** PORT of the first process that uses $PORT; each next one gets +100, as foreman does (default 5000). */
  basePort?: number;
  /** Where the stack will run (default: this machine, or CORRAL_PLATFORM). */
  platform?: 'linux' | 'darwin';
}

// AirPlay Receiver (ControlCenter) listens on 5000 and 7000 on macOS 12 and later.
const MACOS_TAKEN_PORTS = new Set([5000, 7000]);

/** corral.yaml text for the processes of a Procfile. Throws ProcfileError for bad lines. */
export function procfileToStack(text: string, name: string, opts: ProcfileImportOptions = {}): string {
  if (!STACK_NAME_PATTERN.test(name)) {
    throw new Error(`Invalid stack name "${name}": use letters, digits, ".", "_" or "-", starting with a letter or digit (at most 63 characters)`);
  }
  const entries = parseProcfile(text, opts.file);
  const basePort = opts.basePort ?? 5000;
  const taken = (opts.platform ?? platformName()) === 'darwin' ? MACOS_TAKEN_PORTS : new Set<number>();
  const used = new Set<number>();
  let skipped = false;
  const services: Record<string, Record<string, unknown>> = {};
  entries.forEach((e, i) => {
    // `${X}` in a stack file is expanded by Corral when the file is loaded;
    // `$${` hands it to the service's shell unchanged, as the Procfile meant.
    const svc: Record<string, unknown> = { command: e.command.replaceAll('${', () => '$${') };
    if (opts.envFile) svc.env_file = opts.envFile;
    // Procfile processes expect PORT from the runner (foreman, heroku local).
    if (/\$\{?PORT\b/.test(e.command)) {
      let port = basePort + 100 * i;
      while (taken.has(port) || used.has(port)) {
        skipped ||= taken.has(port);
        port += 100;
      }
      used.add(port);
      svc.env = { PORT: String(port) };
      svc.ports = [port];
    }
    services[e.name] = svc;
  });
  const doc = new Document({ version: STACK_FILE_VERSION, name, services });
  doc.commentBefore = [
    ` Imported from ${opts.file ?? 'Procfile'} by Corral. Commands run with /bin/sh -c, as in a Procfile.`,
    ' Add health checks, depends_on and restart settings as needed.',
    ...(skipped ? [' Ports 5000 and 7000 were skipped: AirPlay Receiver holds them on macOS 12 and later.'] : []),
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
