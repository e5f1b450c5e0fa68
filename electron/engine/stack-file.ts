// Reads corral.yaml into a StackSpec. The schema in shared/ decides what is
// valid; this module adds what needs the file system and the environment
// (`${VAR}`, `~`, env files, paths relative to the file) and turns every
// problem into `file:line:column: field: what to do`, because a stack file
// error is only useful if it points at the line to fix.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { STACK_FILE_NAMES, type ServiceSpec, type StackSpec } from '../../shared/stack.js';
import {
  STACK_FILE_VERSION,
  StackFileSchema,
  describeValue,
  quoteValue,
  similar,
  stackJsonSchema,
  versionMessage,
  type ServiceFile,
} from '../../shared/stack-schema.js';
import { defaultHome } from './state/paths.js';
import { stackDigest } from './stack-watch.js';

/** Looked for, in this order, when Corral is pointed at a directory. */
export { STACK_FILE_NAMES };

export interface StackFileOptions {
  /** Source of `${VAR}` (default: process.env). */
  env?: Record<string, string | undefined>;
  /** What a leading `~` means (default: os.homedir()). */
  home?: string;
  /** Corral's data directory, whose logs a `watch` must not cover (default: CORRAL_HOME's, as the owner finds it). */
  dataHome?: string;
}

type Path = (string | number)[];

export interface StackProblem {
  file: string;
  /** 1-based; undefined when the problem has no place in a file (e.g. it does not exist). */
  line: number | undefined;
  column: number | undefined;
  /** Dotted path of the field, e.g. `services.api.ports[0]`; '' for the whole file. */
  field: string;
  message: string;
}

// Past this many, the rest are usually consequences of the first ones.
const MAX_SHOWN = 20;

// Bounds on what a stack file may be, so that a wrong or hostile file (a log,
// a disk image, an alias bomb) costs the CLI and the owner little and reads as
// one clear error. No real stack comes near them.
/** Larger stack files (and env files) are refused unread. */
export const MAX_STACK_FILE_BYTES = 1 << 20;
export const MAX_SERVICES = 1000;
/** The deepest setting (`health.http.status[0]`) is 6 levels down. */
const MAX_DEPTH = 32;
/** Far above MAX_DEPTH, far below what the parser's recursion can take. */
const MAX_BRACKETS = 256;
/** One problem line; the values it quotes are already cut to SHOWN_CHARS. */
const MAX_PROBLEM_CHARS = 500;
/** All the problems' lines together, at most (twenty ordinary ones fit). */
const MAX_MESSAGE_CHARS = 2500;

/**
 * A stack file that cannot be used. `file`, `line`, `column` and `field`
 * describe the first problem; `problems` lists all that were found, and the
 * message has one `file:line:column: field: problem` line for each.
 */
export class StackFileError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string;
  readonly problems: StackProblem[];

  constructor(problems: StackProblem[], options?: { cause?: unknown }) {
    // At most MAX_SHOWN problems and MAX_MESSAGE_CHARS of them: a hostile file must not flood the terminal.
    const shown: string[] = [];
    let chars = 0;
    for (const p of problems.slice(0, MAX_SHOWN)) {
      const line = formatProblem(p);
      if (shown.length > 0 && chars + line.length > MAX_MESSAGE_CHARS) break;
      shown.push(line);
      chars += line.length + 1;
    }
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more problem${problems.length - shown.length === 1 ? '' : 's'}`);
    super(shown.join('\n'), options);
    this.name = 'StackFileError';
    const first = problems[0]!;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.field = first.field;
    this.problems = problems;
  }
}

function formatProblem(p: StackProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  const text = p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
  // Escaped first, then cut: a control character shows as six characters, and the bound is on what is shown.
  const safe = printable(text);
  return safe.length > MAX_PROBLEM_CHARS ? `${safe.slice(0, MAX_PROBLEM_CHARS)}… (${safe.length - MAX_PROBLEM_CHARS} more characters)` : safe;
}

/**
 * Control characters (C0, C1, bidi overrides) as `\u….` escapes: a message
 * that quotes a binary file must not drive the terminal that shows it.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Reads a stack file (or the corral.yaml inside a directory).
 * Throws StackFileError for a missing, unreadable or invalid file.
 */
export async function loadStackFile(path: string, opts: StackFileOptions = {}): Promise<StackSpec> {
  const file = await stackFileIn(path);
  let text: string;
  try {
    text = readBounded(file, 'stack file');
  } catch (e) {
    throw new StackFileError([noPlace(file, readFailure(e, 'stack file'))], { cause: e });
  }
  return { ...parseText(text, file, opts, true), digest: stackDigest(text) };
}

/** A read refused before the contents are looked at (wrong kind of file, too large). */
class Refused extends Error {}

/**
 * A regular file's text, at most MAX_STACK_FILE_BYTES. Opened non-blocking so
 * that a FIFO cannot hold the reader, and checked on the open descriptor so
 * that `/dev/zero` or a growing file cannot make it read without end.
 */
function readBounded(path: string, what: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: 'EISDIR' });
    if (!st.isFile()) throw new Refused(`Expected ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}, found a ${st.isFIFO() ? 'named pipe' : st.isSocket() ? 'socket' : 'device'}: pass the path of a regular file`);
    const tooLarge = () => new Refused(`This ${what} is larger than ${MAX_STACK_FILE_BYTES >> 20} MiB, more than any ${what} needs: is it the right file?`);
    if (st.size > MAX_STACK_FILE_BYTES) throw tooLarge();
    const buf = Buffer.alloc(MAX_STACK_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_STACK_FILE_BYTES) throw tooLarge();
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

async function stackFileIn(path: string): Promise<string> {
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!isDir) return path;
  for (const name of STACK_FILE_NAMES) {
    const candidate = join(path, name);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  throw new StackFileError([noPlace(path, `No ${STACK_FILE_NAMES[0]} in this directory: create one, or pass the path of your stack file`)]);
}

/**
 * Parses stack file text. `file` is where the text came from: it names the
 * file in errors, and relative paths in the file are resolved against its
 * directory. Reads env files synchronously.
 */
export function parseStack(text: string, file: string, opts: StackFileOptions = {}): StackSpec {
  return parseText(text, file, opts, false);
}

/** `checkDirs`: the file is real, so each service's working directory must exist too. */
function parseText(text: string, file: string, opts: StackFileOptions, checkDirs: boolean): StackSpec {
  try {
    return parseChecked(text, file, opts, checkDirs);
  } catch (e) {
    if (e instanceof StackFileError) throw e;
    // A parser limit met some other way must still read as a problem with this file, not as a crash.
    throw new StackFileError([noPlace(file, `Cannot read this stack file: ${(e as Error).message}`)], { cause: e });
  }
}

function parseChecked(text: string, file: string, opts: StackFileOptions, checkDirs: boolean): StackSpec {
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw new StackFileError([{ file, line, column: 1, field: '', message: 'This file holds binary data (a NUL byte), not YAML text: is it the right file?' }]);
  }
  const bracket = bracketTooDeep(text);
  if (bracket !== undefined) {
    const line = text.slice(0, bracket).split('\n').length;
    throw new StackFileError([{ file, line, column: bracket - text.lastIndexOf('\n', bracket - 1), field: '', message: `Brackets nested more than ${MAX_BRACKETS} deep, deeper than any setting of a stack file: is it the right file?` }]);
  }
  const lineCounter = new LineCounter();
  // yaml's own duplicate-key check compares every pair of keys (10,000 keys: seconds); duplicateKeys is linear.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true, uniqueKeys: false });
  const at = new Locator(file, doc, lineCounter);

  if (doc.errors.length > 0) throw new StackFileError(syntaxProblems(doc, text, at));
  const dupes = duplicateKeys(doc);
  if (dupes.length > 0) throw new StackFileError(dupes.map((offset) => at.atOffset(offset, syntaxMessage('DUPLICATE_KEY', 'Map keys must be unique'))));
  const deep = tooDeep(doc);
  if (deep !== undefined) {
    throw new StackFileError([at.atOffset(deep, `Nested more than ${MAX_DEPTH} levels deep, deeper than any setting of a stack file: is it the right file?`)]);
  }

  let js: unknown;
  try {
    js = doc.toJS();
  } catch (e) {
    // yaml refuses aliases that expand past a bound (an "alias bomb": each level multiplies the size).
    if (e instanceof ReferenceError && /alias/i.test(e.message)) throw new StackFileError([aliasBomb(doc, at)], { cause: e });
    throw e;
  }
  // Aliases (`*base`, `<<: *base`) share one JS object between services;
  // expansion edits in place, so each service needs its own copy.
  const raw: unknown = unshare(js);
  if (raw === null || raw === undefined) {
    throw new StackFileError([at.problem([], `The file is empty: a stack file has \`version: ${STACK_FILE_VERSION}\`, a \`name\` and \`services\``)]);
  }
  if (isRecord(raw) && raw.version !== STACK_FILE_VERSION) {
    // Checked before the rest: a file of another version may not fit the
    // version 1 schema anywhere, and one clear line beats a page of noise.
    throw new StackFileError([at.problem(['version'], versionMessage(raw.version))]);
  }

  if (isRecord(raw) && isRecord(raw.services) && Object.keys(raw.services).length > MAX_SERVICES) {
    const n = Object.keys(raw.services).length;
    throw new StackFileError([at.problem(['services'], `${n} services: a stack has at most ${MAX_SERVICES}; split it into several stacks`, true)]);
  }

  const home = opts.home ?? homedir();
  const vars: Record<string, string | null> = {};
  const expandProblems = isRecord(raw) ? expandTree(raw, recording(opts.env ?? process.env, vars), home) : [];
  if (expandProblems.length > 0) throw new StackFileError(expandProblems.map((p) => at.problem(p.path, p.message)));

  const misplaced = isRecord(raw) && isRecord(raw.services) ? misplacedServices(raw.services, at) : new Map<string, StackProblem>();
  const parsed = StackFileSchema.safeParse(raw, { reportInput: true, error: genericMessage });
  if (!parsed.success || misplaced.size > 0) {
    // A key indented as a service of its own is one problem, not the schema's
    // "missing command" and "unknown field" about its insides.
    const issues = parsed.success ? [] : parsed.error.issues.flatMap(unwrapUnion).filter((iss) => !(iss.path[0] === 'services' && misplaced.has(String(iss.path[1]))));
    const problems = [...misplaced.values(), ...issues.flatMap((iss) => at.issue(iss))];
    // Zod reports in schema order; the reader goes down the file.
    throw new StackFileError(problems.sort((x, y) => (x.line ?? 0) - (y.line ?? 0) || (x.column ?? 0) - (y.column ?? 0)));
  }

  const stack = parsed.data;
  const dir = dirname(resolve(file));
  const services = Object.entries(stack.services).map(([name, svc]) => resolveService(name, svc, dir, at));
  const refused = services.flatMap((svc) => watchRefusals(svc.name, stack.services[svc.name]!.watch, dir, { home, data: opts.dataHome ?? defaultHome(process.env), real: checkDirs }, at));
  if (refused.length > 0) throw new StackFileError(refused);
  if (checkDirs) {
    const missing = services.flatMap((svc) => {
      const cwd = cwdProblem(svc, at);
      return [...(cwd ? [cwd] : []), ...watchProblems(svc, stack.services[svc.name]!.watch, dir, at)];
    });
    if (missing.length > 0) throw new StackFileError(missing);
  }
  return {
    version: STACK_FILE_VERSION,
    name: stack.name,
    file: resolve(file),
    services: startOrder(services, at.serviceOrder()),
    ...(Object.keys(vars).length > 0 ? { vars } : {}),
  };
}

/** `env` as expandVars reads it, noting each variable asked for and its value (null: unset) in `used`. */
function recording(env: Record<string, string | undefined>, used: Record<string, string | null>): Record<string, string | undefined> {
  return new Proxy(env, {
    get(target, name) {
      const value = Reflect.get(target, name) as string | undefined;
      if (typeof name === 'string') used[name] = value ?? null;
      return value;
    },
  });
}

// --- turning zod issues into problems --------------------------------------------

type Issue = z.core.$ZodIssue;

/** Fallback wording for issues the schema has no message of its own for. */
function genericMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const input = 'input' in iss ? iss.input : undefined;
  switch (iss.code) {
    case 'invalid_type': {
      const what: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false' };
      return `Expected ${what[iss.expected] ?? iss.expected}, got ${describeValue(input)}`;
    }
    case 'too_small':
      if (iss.origin === 'string') return `Expected a non-empty string`;
      if (iss.origin === 'array') return `Expected at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`;
      return `Expected at least ${iss.minimum}, got ${describeValue(input)}`;
    case 'too_big':
      return `Expected at most ${iss.maximum}, got ${describeValue(input)}`;
    default:
      return undefined;
  }
}

/**
 * A union whose input matched one branch's type (a list, say) but failed
 * inside it is reported as that branch's own issues: "command[1]: Expected a
 * string" says more than "command: Expected a string or a list".
 */
function unwrapUnion(iss: Issue): Issue[] {
  if (iss.code !== 'invalid_union' || iss.errors.length === 0) return [iss];
  const deeper = iss.errors.filter((branch) => branch.some((b) => b.path.length > 0 || b.code !== 'invalid_type'));
  if (deeper.length !== 1) return [iss];
  return deeper[0]!.flatMap((b) => unwrapUnion({ ...b, path: [...iss.path, ...b.path] } as Issue));
}

/** Maps a field path to its line in the file, and a file offset back to a field. */
class Locator {
  constructor(
    private readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  problem(path: Path, message: string, onKey = false): StackProblem {
    const pos = this.offsetOf(path, onKey);
    const lc = pos === undefined ? undefined : this.lines.linePos(pos);
    return { file: this.file, line: lc?.line ?? 1, column: lc?.col ?? 1, field: fieldName(path), message };
  }

  issue(iss: Issue): StackProblem[] {
    const path = iss.path as Path;
    const input = (iss as { input?: unknown }).input;
    if (iss.code === 'unrecognized_keys') {
      // A key that is right for another level is mis-indented, not misspelled: say so, on its own line.
      const out: StackProblem[] = [];
      const unknown: string[] = [];
      for (const key of iss.keys) {
        const line = this.problem([...path, key], '', true).line;
        const why = misplacedKey(path, key, line, this.doc.getIn([...path, key]));
        if (why) out.push(this.problem([...path, key], why, true));
        else unknown.push(key);
      }
      if (unknown.length === 0) return out;
      // One problem per unknown key would hide the others' lines; name them all,
      // but point at the first, where the fix usually starts.
      const [first, ...rest] = unknown;
      const allowed = allowedFields(path);
      const hint = allowed.find((f) => similar(f, first!));
      const named = unknown.slice(0, 5).map((k) => quoteValue(k)).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
      const message =
        `Unknown field${rest.length ? 's' : ''} ${named}` +
        (hint ? `; did you mean "${hint}"?` : allowed.length ? `; allowed here: ${allowed.join(', ')}` : '');
      return [...out, this.problem([...path, first!], message, true)];
    }
    if (iss.code === 'invalid_key') {
      const inner = iss.issues[0];
      return [this.problem(path, inner?.message ?? iss.message, true)];
    }
    if (input === undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_union')) {
      return [this.problem(path, `Missing required field "${String(path.at(-1))}"`)];
    }
    return [this.problem(path, iss.message)];
  }

  /**
   * The offset of the value at `path` (or of its key, for a block mapping or
   * list, whose value starts on the next line). A missing field is placed at
   * the nearest parent that exists.
   */
  private offsetOf(path: Path, onKey: boolean): number | undefined {
    let node: unknown = this.doc.contents;
    let key: YamlNode | undefined;
    for (const seg of path) {
      let next: YamlNode | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair) {
          key = pair.key as YamlNode;
          next = (pair.value as YamlNode | null) ?? undefined;
          if (!next) return key.range?.[0];
        }
      } else if (isSeq(node)) {
        // A dependency list is a map after parsing: find `db` in `[db]` by value.
        next = (typeof seg === 'number' ? node.items[seg] : node.items.find((i) => isScalar(i) && String(i.value) === seg)) as YamlNode | undefined;
        key = next;
      }
      if (!next) return (key ?? (node as YamlNode | null))?.range?.[0];
      node = next;
    }
    const n = node as YamlNode | null;
    if (onKey && key) return key.range?.[0];
    const blockCollection = (isMap(n) || isSeq(n)) && !n.flow;
    const empty = isScalar(n) && n.value === null;
    return (blockCollection || empty) && key ? key.range?.[0] : n?.range?.[0];
  }

  atOffset(offset: number, message: string): StackProblem {
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, field: this.fieldAt(offset), message };
  }

  /** The field whose text contains `offset`, for syntax errors ('' if none). */
  fieldAt(offset: number): string {
    const path: Path = [];
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.filter((p) => isScalar(p.key) && (p.key.range?.[0] ?? Infinity) <= offset).at(-1);
        if (!pair || !isScalar(pair.key)) break;
        path.push(String(pair.key.value));
        node = pair.value;
      } else if (isSeq(node)) {
        const i = node.items.findIndex((it) => {
          const r = (it as YamlNode | null)?.range;
          return r !== undefined && r !== null && r[0] <= offset && offset <= r[2];
        });
        if (i < 0) break;
        path.push(i);
        node = node.items[i];
      } else break;
    }
    return fieldName(path);
  }

  isList(path: Path): boolean {
    return isSeq(this.doc.getIn(path, true));
  }

  isSet(path: Path): boolean {
    return this.doc.hasIn(path);
  }

  /** Service names in the order the file lists them (JS objects put "1" before "a"). */
  serviceOrder(): string[] {
    const services = this.doc.get('services');
    return isMap(services) ? services.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')) : [];
  }
}

/** `['services', 'api', 'ports', 0]` → `services.api.ports[0]` (a very deep path ends in `…`). */
export function fieldName(path: Path): string {
  let out = '';
  for (const seg of path.slice(0, 12)) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[\w-]{1,63}$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${quoteValue(seg)}]`;
  }
  return path.length > 12 ? `${out}…` : out;
}

// --- keys at the wrong level ------------------------------------------------------------

const SERVICE = ['services', '_'];
const BLOCKS = ['health', 'restart', 'stop'] as const;

/**
 * Why `key`, unknown at `path`, is there: it belongs one level deeper (a
 * probe dedented out of `health`) or one level up (a service field indented
 * into `health`). undefined when it fits no neighbouring level: a misspelling.
 */
function misplacedKey(path: Path, key: string, line: number | undefined, value: unknown): string | undefined {
  const at = `\`${key}\` at line ${line}`;
  const serviceFields = allowedFields(SERVICE);
  if (path.length === 0) {
    if (isMap(value) && value.has('command')) return `${at} looks like a service, but it is not under \`services:\`: indent it under \`services:\``;
    if (serviceFields.includes(key)) return `${at} is a service field, but it sits at the top level of the file: indent it under the service it belongs to`;
    return undefined;
  }
  // One level deeper first: `url` dedented out of `http` is an http field, though a service has a `url` too.
  const under = allowedFields(path).filter((f) => allowedFields([...path, f]).includes(key));
  if (under.length > 0) {
    return `${at} belongs inside \`${under.join('` or `')}\`: indent it under \`${under[0]}:\`${under.length > 1 ? ' (or the other)' : ''}`;
  }
  if (path.length >= 3) {
    const parent = path.slice(0, -1);
    if (allowedFields(parent).includes(key)) {
      return `${at} is a field of \`${fieldName(parent)}\`, not of \`${String(path.at(-1))}\`: indent it less, in line with \`${String(path.at(-1))}\``;
    }
  }
  return undefined;
}

/**
 * Entries of `services` that are not services but a service's field (or a
 * `health`/`restart`/`stop` setting) indented one level too little: named
 * like a field, without a command.
 */
function misplacedServices(services: Record<string, unknown>, at: Locator): Map<string, StackProblem> {
  const out = new Map<string, StackProblem>();
  const serviceFields = allowedFields(SERVICE);
  const order = at.serviceOrder();
  for (const name of order) {
    const v = services[name];
    if (isRecord(v) && 'command' in v) continue;
    const block = serviceFields.includes(name) ? undefined : BLOCKS.find((b) => allowedFields([...SERVICE, b]).includes(name));
    if (!serviceFields.includes(name) && !block) continue;
    const owner = order.slice(0, order.indexOf(name)).reverse().find((n) => !out.has(n));
    const line = at.problem(['services', name], '', true).line;
    const where = block ? `\`${block}:\` of ${owner ? `\`${owner}\`` : 'the service it belongs to'}` : owner ? `\`${owner}\`` : 'the service it belongs to';
    const what = block ? `a \`${block}\` setting` : 'a service field';
    out.set(name, at.problem(['services', name], `\`${name}\` at line ${line} is indented as a service of its own, but it is ${what}: indent it under ${where}`, true));
  }
  return out;
}

// --- limits ------------------------------------------------------------------------------

/**
 * The offset of the first `[` or `{` nested more than MAX_BRACKETS deep
 * outside quotes and comments. The YAML parser recurses per level and would
 * run out of stack somewhere that depends on its caller; this scan does not.
 */
function bracketTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') {
      if (++depth > MAX_BRACKETS) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if (c === '"' || c === "'") {
      // To the closing quote ('' and \" stay inside); an unclosed one is the parser's to report.
      for (i++; i < text.length && text[i] !== c; i++) if (c === '"' && text[i] === '\\') i++;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    }
  }
  return undefined;
}

/** The offset of the first node nested deeper than MAX_DEPTH (walked without recursion: the depth is the problem). */
function tooDeep(doc: Document.Parsed): number | undefined {
  const todo: [unknown, number][] = [[doc.contents, 1]];
  while (todo.length > 0) {
    const [node, depth] = todo.pop()!;
    if (depth > MAX_DEPTH) return (node as YamlNode | null)?.range?.[0] ?? 0;
    if (isMap(node)) for (const p of node.items) todo.push([p.key, depth + 1], [p.value, depth + 1]);
    else if (isSeq(node)) for (const item of node.items) todo.push([item, depth + 1]);
  }
  return undefined;
}

/** Offsets of keys that repeat an earlier key of the same mapping. */
function duplicateKeys(doc: Document.Parsed): number[] {
  const out: number[] = [];
  const todo: unknown[] = [doc.contents];
  while (todo.length > 0) {
    const node = todo.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const p of node.items) {
        const k = isScalar(p.key) ? p.key.value : p.key;
        // `<<` merge keys may repeat (one per merged anchor).
        if (seen.has(k) && k !== '<<') out.push((p.key as YamlNode | null)?.range?.[0] ?? 0);
        seen.add(k);
        todo.push(p.value);
      }
    } else if (isSeq(node)) todo.push(...node.items);
  }
  return out.sort((a, b) => a - b);
}

/** Where an alias bomb starts: the first alias whose anchor holds aliases itself (each level multiplies). */
function aliasBomb(doc: Document.Parsed, at: Locator): StackProblem {
  let found: { offset: number; name: string } | undefined;
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      let nested = false;
      if (target) visit(target, { Alias: () => ((nested = true), visit.BREAK) });
      if (nested || !found) found = { offset: alias.range?.[0] ?? 0, name: alias.source };
      return nested ? visit.BREAK : undefined;
    },
  });
  return at.atOffset(
    found?.offset ?? 0,
    `YAML aliases expand to too much data: *${found?.name.slice(0, 40) ?? ''} repeats an anchor that holds aliases itself, and each level multiplies the size; share settings with one level of anchors (\`<<: *base\`) instead`,
  );
}

function syntaxProblems(doc: Document.Parsed, text: string, at: Locator): StackProblem[] {
  const problems = doc.errors.map((e) => {
    // yaml notices an unclosed `[`, `{` or quote where a later line starts;
    // the line to fix is the one that opened it.
    const unclosed = /^(Flow (sequence|map)|Missing closing)/.test(e.message) ? unclosedBefore(doc, text, e.pos[0]) : undefined;
    if (!unclosed) return at.atOffset(e.pos[0], syntaxMessage(e.code, e.message));
    const message =
      unclosed.open === unclosed.close
        ? `YAML syntax error: the string opened with ${unclosed.open} here is not closed: add the closing ${unclosed.close}`
        : `YAML syntax error: the "${unclosed.open}" opened here is not closed: add "${unclosed.close}" (brackets that go on to the next lines must be indented deeper than their key)`;
    return at.atOffset(unclosed.offset, message);
  });
  // Two errors about one unclosed bracket would print the same line twice.
  return problems.filter((p, i) => problems.findIndex((q) => formatProblem(q) === formatProblem(p)) === i);
}

function syntaxMessage(code: string, message: string): string {
  // yaml appends " at line N, column M:" and a code frame; we print our own position.
  if (/Maximum call stack/.test(message)) return 'YAML nested too deeply to read (brackets within brackets): is it the right file?';
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  // yaml quotes the offending token, which may be a whole binary file.
  const text = first.length > 160 ? `${first.slice(0, 160)}…` : first;
  const hints: Record<string, string> = {
    TAB_AS_INDENT: ': indent with spaces',
    DUPLICATE_KEY: ': remove or rename one of them',
    MULTIPLE_DOCS: ': a stack file holds one document; remove the `---`',
  };
  return `YAML syntax error: ${text}${hints[code] ?? ''}`;
}

/** The last `[…`, `{…` or quoted string opened before `offset` that lacks its closing character. */
function unclosedBefore(doc: Document.Parsed, text: string, offset: number): { offset: number; open: string; close: string } | undefined {
  let found: { offset: number; open: string; close: string } | undefined;
  const check = (node: YamlNode) => {
    const r = node.range;
    if (!r || r[0] >= offset) return;
    let close: string;
    if ((isMap(node) || isSeq(node)) && node.flow) close = isSeq(node) ? ']' : '}';
    else if (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) close = text[r[0]]!;
    else return;
    const src = text.slice(r[0], r[1]).trimEnd();
    if (src.length > 1 && src.endsWith(close)) return;
    if (!found || r[0] > found.offset) found = { offset: r[0], open: text[r[0]]!, close };
  };
  visit(doc, { Map: (_, n) => check(n), Seq: (_, n) => check(n), Scalar: (_, n) => check(n) });
  return found;
}

let jsonSchema: Record<string, unknown> | undefined;

/** The field names the schema allows at `path`, read from the JSON Schema so there is one source. */
function allowedFields(path: Path): string[] {
  jsonSchema ??= stackJsonSchema();
  let s: unknown = jsonSchema;
  for (const seg of path) {
    s = step(s, seg);
    if (!s) return [];
  }
  const props = objectBranch(s)?.properties;
  return isRecord(props) ? Object.keys(props) : [];
}

function step(schema: unknown, seg: string | number): unknown {
  const obj = objectBranch(schema);
  if (!obj) return undefined;
  if (typeof seg === 'number') return obj.items;
  const props = obj.properties;
  if (isRecord(props) && seg in props) return props[seg];
  return isRecord(obj.additionalProperties) ? obj.additionalProperties : undefined;
}

function objectBranch(schema: unknown): Record<string, unknown> | undefined {
  if (!isRecord(schema)) return undefined;
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map(objectBranch).find((b) => b && (b.properties || b.additionalProperties || b.items));
  return schema;
}

function unshare(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unshare);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unshare(x)]));
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function noPlace(file: string, message: string): StackProblem {
  return { file, line: undefined, column: undefined, field: '', message };
}

function readFailure(e: unknown, what: string): string {
  if (e instanceof Refused) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `No such ${what}: create it, or fix the path`;
  if (code === 'EACCES' || code === 'EPERM') return `Cannot read this ${what} (permission denied): check its permissions`;
  if (code === 'EISDIR') return `Expected a ${what}, found a directory`;
  return `Cannot read this ${what}: ${(e as Error).message}`;
}

// --- ${VAR} and ~ ------------------------------------------------------------------

interface PathProblem {
  path: Path;
  message: string;
}

/**
 * Expands `${VAR}` / `${VAR:-default}` (and a leading `~` where a path is
 * expected) in place, in the fields that take them, before validation, so
 * that a URL or path is checked as it will be used. Values of the wrong
 * type are left alone for the schema to report.
 */
function expandTree(root: Record<string, unknown>, env: Record<string, string | undefined>, home: string): PathProblem[] {
  const problems: PathProblem[] = [];
  const services = root.services;
  if (!isRecord(services)) return problems;

  for (const [name, svc] of Object.entries(services)) {
    if (!isRecord(svc)) continue;
    const base: Path = ['services', name];
    const ownEnv = isRecord(svc.env) ? Object.keys(svc.env) : [];
    const expand = (holder: Record<string, unknown> | unknown[], key: string | number, path: Path, tilde: boolean) => {
      const v = (holder as Record<string | number, unknown>)[key];
      if (typeof v !== 'string') return;
      const r = expandVars(v, env);
      if ('error' in r) {
        const inOwnEnv = r.name !== undefined && ownEnv.includes(r.name);
        problems.push({ path, message: r.error + (inOwnEnv ? ownEnvHint(r.name!) : '') });
        return;
      }
      (holder as Record<string | number, unknown>)[key] = tilde ? expandHome(r.value, home) : r.value;
    };
    const expandCommand = (holder: Record<string, unknown>, path: Path) => {
      const cmd = holder.command;
      // A string command goes to `sh -c`, which expands a leading ~ itself.
      if (typeof cmd === 'string') expand(holder, 'command', [...path, 'command'], false);
      else if (Array.isArray(cmd)) cmd.forEach((_, i) => expand(cmd, i, [...path, 'command', i], i === 0));
    };

    expandCommand(svc, base);
    expand(svc, 'cwd', [...base, 'cwd'], true);
    expand(svc, 'url', [...base, 'url'], false);
    if (isRecord(svc.env)) for (const k of Object.keys(svc.env)) expand(svc.env, k, [...base, 'env', k], false);
    for (const key of ['env_file', 'watch'] as const) {
      const v = svc[key];
      if (typeof v === 'string') expand(svc, key, [...base, key], true);
      else if (Array.isArray(v)) v.forEach((_, i) => expand(v, i, [...base, key, i], true));
    }
    if (isRecord(svc.health)) {
      if (isRecord(svc.health.http)) expand(svc.health.http, 'url', [...base, 'health', 'http', 'url'], false);
      if (isRecord(svc.health.exec)) expandCommand(svc.health.exec, [...base, 'health', 'exec']);
    }
  }
  return problems;
}

function ownEnvHint(name: string): string {
  return ` (${name} is in this service's env, which the service sees when it runs, but the file is expanded with Corral's environment; for a shell command write $${name} to let the shell expand it)`;
}

/**
 * `${VAR}` → its value (an error if unset); `${VAR:-default}` → the default
 * when VAR is unset or empty; `$${` → a literal `${`. A bare `$VAR` is left
 * alone, so a string command's shell still sees it.
 */
export function expandVars(text: string, env: Record<string, string | undefined>): { value: string } | { error: string; name?: string } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('$', i);
    if (at < 0) break;
    out += text.slice(i, at);
    if (text.startsWith('$${', at)) {
      out += '${';
      i = at + 3;
      continue;
    }
    if (text[at + 1] !== '{') {
      out += '$';
      i = at + 1;
      continue;
    }
    const end = text.indexOf('}', at);
    const m = end < 0 ? null : /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(text.slice(at + 2, end));
    if (!m) {
      const ref = end < 0 ? text.slice(at) : text.slice(at, end + 1);
      return { error: `Malformed variable reference "${ref}": write \${NAME} or \${NAME:-default} (or $\${ for a literal \${)` };
    }
    const [, name, fallback] = m as unknown as [string, string, string | undefined];
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) out += fallback;
    else if (value !== undefined) out += value;
    else return { name, error: `Variable ${name} is not set: set it in the environment Corral runs in, or give a default with \${${name}:-value}` };
    i = end + 1;
  }
  return { value: out + text.slice(i) };
}

/** `~` and `~/x` → the home directory; `~user` is left alone (we do not look up other users). */
function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

// --- env files ---------------------------------------------------------------------------

/**
 * Parses a dotenv-style file: `KEY=VALUE` lines, `#` comments, an optional
 * `export ` prefix, values optionally in single quotes (literal) or double
 * quotes (with \n, \t, \", \\ escapes). No `${VAR}` expansion inside: what
 * is written is what the service gets.
 */
export function parseEnvFile(text: string): { env: Record<string, string> } | { line: number; error: string } {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    // The line is not repeated: env files hold secrets, and a wrong path may name any file (a key, /etc/shadow).
    if (!m) return { line: n + 1, error: `Expected KEY=VALUE on each line of an env file; line ${n + 1} is not (its text is not shown: env files hold secrets)` };
    const value = envValue(m[2]!);
    if (value === null) return { line: n + 1, error: `Missing closing quote in the value of ${m[1]!.length > 40 ? `${m[1]!.slice(0, 40)}…` : m[1]}: env file values are one line each` };
    env[m[1]!] = value;
  }
  return { env };
}

function envValue(v: string): string | null {
  const q = v[0];
  if (q === "'" || q === '"') {
    let out = '';
    for (let i = 1; i < v.length; i++) {
      const c = v[i]!;
      if (c === q) {
        const rest = v.slice(i + 1).trim();
        return rest === '' || rest.startsWith('#') ? out : null;
      }
      if (q === '"' && c === '\\' && i + 1 < v.length) {
        const e = v[++i]!;
        out += ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e;
      } else out += c;
    }
    return null;
  }
  // Unquoted: a `#` after whitespace starts a comment (so `a#b` keeps its `#`).
  return v.replace(/\s+#.*$/, '').trim();
}

// --- resolution and order ---------------------------------------------------------------------

function resolveService(name: string, svc: ServiceFile, dir: string, at: Locator): ServiceSpec {
  const env: Record<string, string> = {};
  const listed = at.isList(['services', name, 'env_file']);
  svc.envFile.forEach((p, i) => {
    const path = resolve(dir, p);
    const field: Path = ['services', name, 'env_file', ...(listed ? [i] : [])];
    let text: string;
    try {
      text = readBounded(path, 'env file');
    } catch (e) {
      throw new StackFileError([at.problem(field, `${readFailure(e, 'env file')} (${path})`)], { cause: e });
    }
    const r = parseEnvFile(text);
    if ('error' in r) {
      throw new StackFileError([{ file: path, line: r.line, column: 1, field: fieldName(field), message: r.error }]);
    }
    Object.assign(env, r.env);
  });
  Object.assign(env, svc.env);
  const cwdAt = at.problem(['services', name, ...(svc.cwd === null ? [] : ['cwd'])], '', svc.cwd === null);
  return {
    name,
    command: svc.command,
    cwd: resolve(dir, svc.cwd ?? '.'),
    cwdAt: `${cwdAt.file}:${cwdAt.line}`,
    env,
    ports: svc.ports,
    health: svc.health,
    dependsOn: svc.dependsOn,
    restart: svc.restart,
    stop: svc.stop,
    startTimeoutMs: svc.startTimeoutMs,
    readyAfterMs: svc.readyAfterMs,
    oneshot: svc.oneshot,
    foregroundOnly: svc.foregroundOnly,
    url: svc.url,
    // A path listed twice is watched once.
    watch: [...new Set(svc.watch.map((p) => resolve(dir, p)))],
  };
}

/** Each written `watch` path, resolved, with its field; a repeated one only the first time. */
function watchEntries(name: string, written: string[], dir: string, at: Locator): { path: string; written: string; field: Path }[] {
  const listed = at.isList(['services', name, 'watch']);
  const seen = new Set<string>();
  return written.flatMap((w, i) => {
    const path = resolve(dir, w);
    if (seen.has(path)) return [];
    seen.add(path);
    return [{ path, written: w, field: ['services', name, 'watch', ...(listed ? [i] : [])] }];
  });
}

/** True when `inner` is `outer` or below it. */
function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/** A path and, when it exists and `real`, where its symbolic links lead. */
function bothWays(path: string, real: boolean): string[] {
  if (!real) return [path];
  try {
    const r = realpathSync(path);
    return r === path ? [path] : [path, r];
  } catch {
    return [path];
  }
}

/**
 * Paths a `watch` must not name, whatever is in them: the file system's root
 * and the home directory (every file the user owns; /proc, unreadable
 * directories, the inotify limit), and anything covering Corral's logs, or
 * inside its log or state directories: a service's output written to its log
 * would restart it, and its next start's output restart it again, without end.
 */
function watchRefusals(name: string, written: string[], dir: string, where: { home: string; data: string; real: boolean }, at: Locator): StackProblem[] {
  const data = bothWays(resolve(where.data), where.real);
  const logs = data.map((d) => join(d, 'logs'));
  const busy = [...logs, ...data.map((d) => join(d, 'state'))];
  const homes = bothWays(resolve(where.home), where.real);
  return watchEntries(name, written, dir, at).flatMap(({ path, written: w, field }) => {
    const as = bothWays(path, where.real);
    const named = `Watched path ${quoteValue(w)}${w === path ? '' : ` (${path})`}`;
    let why: string | undefined;
    if (as.some((p) => dirname(p) === p)) why = 'is the root of the file system: it would watch every directory of the machine, /proc included';
    else if (as.some((p) => homes.includes(p))) why = 'is your home directory: it would watch every directory you own';
    else if (as.some((p) => logs.some((l) => within(l, p)))) why = `contains Corral's log directory (${logs.at(-1)}): the service's own output, written there, would restart it, and the next start's output again, without end`;
    else if (as.some((p) => busy.some((d) => within(p, d)))) why = `is inside Corral's ${as.some((p) => logs.some((l) => within(p, l))) ? 'log' : 'state'} directory, which Corral writes as services start: each restart would cause the next`;
    return why ? [at.problem(field, `${named} ${why}: watch the directories of your project that hold its sources`)] : [];
  });
}

/** Each `watch` path must exist when the file is read: a typo would otherwise watch nothing, silently. */
function watchProblems(svc: ServiceSpec, written: string[], dir: string, at: Locator): StackProblem[] {
  return watchEntries(svc.name, written, dir, at).flatMap(({ path, written: w, field }) => {
    try {
      statSync(path);
      return [];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`;
      return [at.problem(field, `Watched path ${quoteValue(w)} (${path}) ${why}: create it, or fix \`watch\` (a relative path starts at the stack file's directory)`)];
    }
  });
}

/** The working directory must exist when the file is read (it is checked again at each start). */
function cwdProblem(svc: ServiceSpec, at: Locator): StackProblem | undefined {
  let isDir: boolean | undefined;
  try {
    isDir = statSync(svc.cwd).isDirectory();
  } catch {}
  if (isDir) return undefined;
  const field = at.isSet(['services', svc.name, 'cwd']) ? ['services', svc.name, 'cwd'] : ['services', svc.name];
  const message =
    isDir === false
      ? `Working directory ${svc.cwd} is not a directory: fix \`cwd\``
      : `Working directory ${svc.cwd} does not exist: create it, or fix \`cwd\` (a relative path starts at the stack file's directory)`;
  return at.problem(field, message, field.length === 2);
}

/**
 * Dependencies first; among services free to start, the file's order. The
 * schema has already rejected cycles and unknown targets.
 */
export function startOrder<T extends { name: string; dependsOn: Record<string, unknown> }>(services: T[], fileOrder: string[] = []): T[] {
  const rank = (s: T) => {
    const i = fileOrder.indexOf(s.name);
    return i < 0 ? fileOrder.length + services.indexOf(s) : i;
  };
  const pending = [...services].sort((a, b) => rank(a) - rank(b));
  const placed = new Set<string>();
  const out: T[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((s) => Object.keys(s.dependsOn).every((d) => placed.has(d)));
    if (i < 0) throw new Error(`Dependency cycle among ${pending.map((s) => s.name).join(', ')}`);
    const [next] = pending.splice(i, 1);
    placed.add(next!.name);
    out.push(next!);
  }
  return out;
}
