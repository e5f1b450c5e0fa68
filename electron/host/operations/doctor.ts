// `corral doctor`: the problems that make a local stack fail to start or
// leave things behind, each with the next step: port holders, orphans, stale
// state, missing binaries and PATH differences (the owner runs services with
// its own environment, which may not be the shell's), unwritable logs.
import { accessSync, constants, statSync, statfsSync, mkdirSync, openSync, writeSync, closeSync, unlinkSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Owner } from '../../engine/owner.js';
import type { DataDir } from '../../engine/state/paths.js';
import type { ServiceSpec, StackSpec } from '../../../shared/stack.js';
// The YAML parser and the schema are loaded on the first stack file, not at owner start (memory).
const loadStackFile: typeof import('../../engine/stack-file.js').loadStackFile = async (...args) => (await import('../../engine/stack-file.js')).loadStackFile(...args);
import { isAlive } from '../../engine/process/platform/index.js';
import { portHolders } from '../../engine/process/ports.js';
import { readInstance, removeInstance, identityOfRecord, listInstanceFiles } from '../../engine/state/state-file.js';
import { takeSnapshot, byMarker } from '../../engine/process/process-scan.js';
import { stopTarget } from '../../engine/process/stop.js';
import { removeFile } from '../../engine/state/atomic-file.js';
import type { DoctorFinding } from '../control/protocol.js';

/** Below this much free space in the log file system, services are refused (F20). */
export const MIN_FREE_LOG_BYTES = 1 << 20;
const WARN_FREE_LOG_BYTES = 64 << 20;

/** Can the owner write this stack's logs (or the log root)? Tried for real: root ignores permission bits. */
export function checkLogDir(dir: DataDir, stack?: string): DoctorFinding {
  const path = stack ? dir.logDir(stack) : join(dir.home, 'logs');
  const subject = path;
  const fixFull = `Free some space on that disk (or move CORRAL_HOME to another one), then try again.`;
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    accessSync(path, constants.W_OK);
    const probe = join(path, `.corral-write-test.${process.pid}`);
    const fd = openSync(probe, 'w', 0o600);
    try {
      writeSync(fd, 'x');
    } finally {
      closeSync(fd);
      try {
        unlinkSync(probe);
      } catch {}
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const full = code === 'ENOSPC' || code === 'EDQUOT';
    return {
      level: 'error',
      topic: 'logs',
      subject,
      message: full ? `the log directory ${path} is on a full disk (${code})` : `the log directory ${path} is not writable (${code}: ${(e as Error).message.split(':').slice(1).join(':').trim() || code})`,
      fix: full ? fixFull : `Make ${path} writable by you (check its permissions, and that its file system is not read-only).`,
    };
  }
  try {
    const st = statfsSync(path);
    const free = st.bavail * st.bsize;
    if (free < MIN_FREE_LOG_BYTES) {
      return { level: 'error', topic: 'logs', subject, message: `the log directory ${path} has only ${free} bytes free (disk full)`, fix: fixFull };
    }
    if (free < WARN_FREE_LOG_BYTES) {
      return { level: 'warning', topic: 'logs', subject, message: `the log directory ${path} has only ${Math.round(free / 1024)} KiB free`, fix: fixFull };
    }
  } catch {}
  return { level: 'ok', topic: 'logs', subject, message: `logs are writable (${path})` };
}

// The shell's own words: a command line that starts with one is run by the
// shell itself, not by a program on PATH.
const SHELL_SYNTAX = new Set(['if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done', 'function', 'time', '!', '{', '}', '[[', ']]', '((']);
const BUILTINS = new Set([
  ':', '.', '[', 'alias', 'bg', 'break', 'cd', 'continue', 'echo', 'eval', 'exit', 'export', 'false', 'fg', 'getopts', 'hash', 'jobs', 'kill', 'local',
  'printf', 'pwd', 'read', 'readonly', 'return', 'set', 'shift', 'source', 'test', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
]);
/** Builtins that run what follows them. */
const PREFIXES = new Set(['exec', 'command', 'builtin']);

/**
 * The programs a command runs, where that can be known: argv[0], or for a
 * `sh -c` line the first word of each simple command (`cd web && exec npm
 * run dev` runs npm). Shell syntax whose programs only the shell can tell
 * (`while …`, `$(…)`, `eval`) gives a note instead, and is not checked.
 */
export function programsOf(command: string[]): { programs: string[]; note?: string } {
  if (!(command.length === 3 && command[0] === '/bin/sh' && command[1] === '-c')) return { programs: command[0] ? [command[0]] : [] };
  const programs: string[] = [];
  let cd = false;
  for (const segment of simpleCommands(command[2]!)) {
    const words = segment.trim().split(/\s+/).filter((w) => w !== '');
    let i = 0;
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
    while (PREFIXES.has(words[i]!)) {
      i++;
      while (words[i]?.startsWith('-')) i++;
    }
    const w = words[i];
    if (w === undefined) continue;
    const shown = w.length > 40 ? `${w.slice(0, 40)}…` : w;
    if (SHELL_SYNTAX.has(w) || w.startsWith('(')) return { programs, note: `\`${shown}\` is shell syntax: the programs it runs are not checked` };
    if (w === 'eval' || w === 'source' || w === '.') return { programs, note: `\`${w}\` runs what only the shell can tell: not checked` };
    if (BUILTINS.has(w)) {
      cd ||= w === 'cd';
      continue;
    }
    if (/[$`"'(){}\\*?[\]<>]/.test(w)) return { programs, note: `\`${shown}\` is only known when the shell runs it: not checked` };
    // After a `cd`, a relative path is relative to where that went.
    if (cd && w.includes('/') && !w.startsWith('/') && !w.startsWith('~/')) return { programs, note: `\`${shown}\` is relative to a directory the command changes to: not checked` };
    programs.push(w.startsWith('~/') ? join(homedir(), w.slice(2)) : w);
  }
  return { programs };
}

/** A shell line cut at `;`, `&&`, `||`, `|`, `&` and newlines outside quotes. */
function simpleCommands(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      const stop = end < 0 ? line.length : end + 1;
      cur += line.slice(i, stop);
      i = stop - 1;
    } else if (c === '\\') {
      cur += line.slice(i, i + 2);
      i++;
    } else if (c === ';' || c === '&' || c === '|' || c === '\n') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `program` resolves, as spawn would resolve it: relative to cwd when it has a slash, else on PATH. */
export function resolveProgram(program: string, cwd: string, pathVar: string | undefined): string | null {
  if (program.includes('/')) {
    const p = resolve(cwd, program);
    return isExecutable(p) ? p : null;
  }
  for (const d of (pathVar ?? '').split(':')) {
    if (!d) continue;
    const p = join(resolve(cwd, d), program);
    if (isExecutable(p)) return p;
  }
  return null;
}

const INSTALL_HINTS: { test: (p: string) => boolean; fix: string }[] = [
  {
    test: (p) => /(^|\/)temporal$/.test(p),
    fix: 'Install the Temporal CLI (for example `brew install temporal`), or run `stigmer server` once, which downloads it into ~/.stigmer/bin.',
  },
  {
    test: (p) => p.includes('/.stigmer/bin/'),
    fix: 'Install the Stigmer CLI and run `stigmer server` once: it extracts stigmer-server, workflow-runner and agent-runner into ~/.stigmer/bin. Then run `corral up` again.',
  },
];

function checkBinaries(spec: StackSpec, clientPath: string | undefined, out: DoctorFinding[]): void {
  for (const svc of spec.services) {
    const subject = `${spec.name}/${svc.name}`;
    let cwdOk = true;
    try {
      cwdOk = statSync(svc.cwd).isDirectory();
    } catch {
      cwdOk = false;
    }
    if (!cwdOk) {
      const at = svc.cwdAt ? ` (\`cwd\` at ${svc.cwdAt})` : '';
      out.push({ level: 'error', topic: 'cwd', subject, message: `working directory ${svc.cwd}${at} does not exist`, fix: `Create it, or fix \`cwd\` in ${spec.file || 'the stack'}.` });
      continue;
    }
    const { programs, note } = programsOf(svc.command);
    if (note) out.push({ level: 'ok', topic: 'binary', subject, message: note });
    for (const program of programs) checkProgram(spec, svc, program, clientPath, out);
  }
}

function checkProgram(spec: StackSpec, svc: ServiceSpec, program: string, clientPath: string | undefined, out: DoctorFinding[]): void {
  const subject = `${spec.name}/${svc.name}`;
  const ownerPath = svc.env.PATH ?? process.env.PATH;
  const found = resolveProgram(program, svc.cwd, ownerPath);
  if (found) return;
  const inClient = !program.includes('/') && clientPath && clientPath !== ownerPath ? resolveProgram(program, svc.cwd, clientPath) : null;
  if (inClient) {
    out.push({
      level: 'error',
      topic: 'path',
      subject,
      message: `\`${program}\` is found in your shell's PATH (${inClient}) but not in the PATH the owner runs services with`,
      fix: `Restart the owner from this shell (\`corral daemon stop && corral up\`), or write the full path ${inClient} in ${spec.file || 'the stack file'}.`,
    });
    return;
  }
  const hint = INSTALL_HINTS.find((h) => h.test(program));
  out.push({
    level: 'error',
    topic: 'binary',
    subject,
    message: program.includes('/') ? `\`${program}\` does not exist or is not executable` : `\`${program}\` is not on PATH`,
    fix: hint?.fix ?? `Install ${program}, or fix \`command\` of ${svc.name} in ${spec.file || 'the stack file'}.`,
  });
}

async function checkPorts(owner: Owner, spec: StackSpec, out: DoctorFinding[]): Promise<void> {
  for (const svc of spec.services) {
    if (svc.ports.length === 0) continue;
    for (const h of await portHolders(svc.ports, owner.dir.markerPrefix())) {
      const subject = `port ${h.port} (${spec.name}/${svc.name})`;
      if (h.kind === 'foreign') {
        const who = h.pid ? `process ${h.pid} (${h.command}${h.user ? `, user ${h.user}` : ''})` : h.command;
        out.push({ level: 'error', topic: 'port', subject, message: `held by ${who}, which Corral did not start`, fix: `Stop ${h.pid ? `process ${h.pid}` : 'it'} or change the port in ${spec.file || 'the stack file'}.` });
      } else if (h.kind === 'ours') {
        const [, stack, service] = h.marker.split('/');
        if (stack !== spec.name || service !== svc.name) {
          out.push({ level: 'warning', topic: 'port', subject, message: `held by service ${service} of stack ${stack} (pid ${h.pid})`, fix: `Stop that service (\`corral down ${service} -s ${stack}\`) or change one of the ports.` });
        }
      }
    }
  }
}

/** `only`: the one stack `doctor -f` asks about; the others' orphans and state files are left out. */
async function checkOrphansAndState(owner: Owner, fix: boolean, out: DoctorFinding[], only?: string): Promise<void> {
  const prefix = owner.dir.markerPrefix();
  const snap = owner.snapshot();
  const current = new Map<string, string>(); // `${stack}/${service}` → marker of the instance being supervised
  const unsettled = new Set<string>();
  for (const s of snap.stacks) {
    for (const svc of s.services) {
      const key = `${s.name}/${svc.name}`;
      if (svc.state === 'starting' || svc.state === 'stopping' || owner.supervisor(s.name, svc.name).busy) unsettled.add(key);
      const rec = readInstance(owner.dir, s.name, svc.name);
      if (rec.kind === 'ok' && rec.value.pid === svc.pid) current.set(key, rec.value.marker);
    }
  }
  const orphans = new Map<string, { pid: number; command: string }[]>();
  for (const [m, procs] of byMarker(await takeSnapshot(), prefix)) {
    const [, stack, service] = m.split('/');
    const key = `${stack}/${service}`;
    if (current.get(key) === m || unsettled.has(key) || (only !== undefined && stack !== only)) continue;
    orphans.set(m, procs.map((proc) => ({ pid: proc.pid, command: proc.command })));
  }
  for (const [marker, procs] of orphans) {
    const [, stack, service] = marker.split('/');
    const finding: DoctorFinding = {
      level: 'error',
      topic: 'orphan',
      subject: `${stack}/${service}`,
      message: `orphan process${procs.length > 1 ? 'es' : ''} ${procs.map((x) => `${x.pid} (${x.command})`).join(', ')}: started by Corral, supervised by nobody`,
      fix: '`corral doctor --fix` ends them (identity-checked; only processes carrying this data directory\'s marker).',
    };
    if (fix) {
      const r = await stopTarget({ leader: null, markerPrefix: marker, ports: [] }, { signal: 'SIGTERM', graceMs: 3000 });
      finding.fixed = r.survivors.length === 0 ? `ended ${procs.length} process${procs.length > 1 ? 'es' : ''}` : `could not end ${r.survivors.map((s) => s.pid).join(', ')}`;
    }
    out.push(finding);
  }
  if (orphans.size === 0) out.push({ level: 'ok', topic: 'orphan', subject: owner.dir.home, message: 'no orphan processes' });

  // State files that no live instance backs.
  const stateRoot = join(owner.dir.home, 'state');
  let stale = 0;
  let stacks: string[] = [];
  try {
    stacks = readdirSync(stateRoot);
  } catch {}
  for (const stack of stacks) {
    if (only !== undefined && stack !== only) continue;
    for (const service of listInstanceFiles(owner.dir, stack)) {
      const key = `${stack}/${service}`;
      if (unsettled.has(key)) continue;
      const rec = readInstance(owner.dir, stack, service);
      let why: string | null = null;
      if (rec.kind === 'corrupt') why = `corrupt (${rec.reason})`;
      else if (rec.kind === 'ok' && !(await isAlive(identityOfRecord(rec.value)))) why = `its process ${rec.value.pid} is gone`;
      if (!why) continue;
      stale++;
      const finding: DoctorFinding = {
        level: 'warning',
        topic: 'state',
        subject: key,
        message: `stale state file ${owner.dir.stateFile(stack, service)}: ${why}`,
        fix: '`corral doctor --fix` removes it (the owner also cleans it at its next start).',
      };
      if (fix) {
        removeInstance(owner.dir, stack, service);
        finding.fixed = 'removed';
      }
      out.push(finding);
    }
  }
  let leftovers: string[] = [];
  try {
    if (only === undefined) leftovers = readdirSync(owner.dir.home).filter((f) => /^owner\.lock\.(stale\.|\d+\.)/.test(f));
  } catch {}
  for (const f of leftovers) {
    stale++;
    const finding: DoctorFinding = { level: 'warning', topic: 'state', subject: f, message: `leftover lock file ${join(owner.dir.home, f)} from an interrupted owner start`, fix: '`corral doctor --fix` removes it.' };
    if (fix) {
      removeFile(join(owner.dir.home, f));
      finding.fixed = 'removed';
    }
    out.push(finding);
  }
  if (stale === 0) out.push({ level: 'ok', topic: 'state', subject: stateRoot, message: 'no stale state files' });
}

/**
 * Checks every registered stack and `file` (which replaces the registered
 * stack of its name); with `only`, `file`'s stack alone (`doctor -f`).
 */
export async function runDoctor(owner: Owner, req: { file?: string; env?: Record<string, string>; fix?: boolean; only?: boolean }): Promise<DoctorFinding[]> {
  const out: DoctorFinding[] = [];
  const info = owner.lock.info;
  out.push({
    level: 'ok',
    topic: 'owner',
    subject: `pid ${process.pid}`,
    message: `owner ${info.kind} (pid ${process.pid}) answers on ${info.socket ?? 'no socket'}; data directory ${owner.dir.home}`,
  });
  const specs: StackSpec[] = req.only && req.file ? [] : owner.stackNames().map((n) => owner.stack(n)!);
  if (req.file) {
    try {
      const spec = await loadStackFile(req.file, { env: req.env ?? process.env });
      const i = specs.findIndex((s) => s.name === spec.name);
      if (i >= 0) specs[i] = spec;
      else specs.push(spec);
    } catch (e) {
      out.push({ level: 'error', topic: 'stack', subject: req.file, message: (e as Error).message, fix: 'Fix the stack file at the line shown.' });
    }
  }
  const before = out.length;
  for (const spec of specs) checkBinaries(spec, req.env?.PATH, out);
  if (!out.slice(before).some((f) => f.level !== 'ok') && specs.length > 0) out.push({ level: 'ok', topic: 'binary', subject: specs.map((s) => s.name).join(', '), message: 'every command was found' });
  const beforePorts = out.length;
  for (const spec of specs) await checkPorts(owner, spec, out);
  if (out.length === beforePorts && specs.some((s) => s.services.some((x) => x.ports.length > 0))) out.push({ level: 'ok', topic: 'port', subject: 'ports', message: 'no declared port is held by another process' });
  const only = req.only && req.file ? (specs[0]?.name ?? '') : undefined;
  await checkOrphansAndState(owner, req.fix === true, out, only);
  out.push(checkLogDir(owner.dir));
  owner.checkLogFiles();
  for (const st of owner.snapshot().stacks) {
    for (const s of st.services) {
      if (!s.logMissing || s.pid === null || (only !== undefined && st.name !== only)) continue;
      out.push({
        level: 'warning',
        topic: 'logs',
        subject: `${st.name}/${s.name}`,
        message: `the log file of ${s.name} (${s.logFile}) was deleted while it runs: its output is lost`,
        fix: `corral restart ${s.name} -s ${st.name} (its next start creates the file again)`,
      });
    }
  }
  for (const name of only === undefined ? owner.stackNames() : specs.map((s) => s.name)) {
    const f = checkLogDir(owner.dir, name);
    if (f.level !== 'ok') out.push({ ...f, subject: `${name}: ${f.subject}` });
  }
  return out;
}
