// Reads corral.yaml into a StackSpec. The schema in shared/ decides what is
// valid; this module adds what needs the file system and the environment
// (`${VAR}`, `~`, env files, paths relative to the file) and turns every
// problem into `file:line:column: field: what to do`, because a stack file
// error is only useful if it points at the line to fix.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { STACK_FILE_NAMES, type ServiceSpec, type StackSpec } from '../../shared/stack.js';
import {
  STACK_FILE_VERSION,
  StackFileSchema,
  describeValue,
  similar,
  stackJsonSchema,
  versionMessage,
  type ServiceFile,
} from '../../shared/stack-schema.js';

/** Looked for, in this order, when Corral is pointed at a directory. */
export { STACK_FILE_NAMES };

export interface StackFileOptions {
  /** Source of `${VAR}` (default: process.env). */
  env?: Record<string, string | undefined>;
  /** What a leading `~` means (default: os.homedir()). */
  home?: string;
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
    const shown = problems.slice(0, MAX_SHOWN).map(formatProblem);
    if (problems.length > MAX_SHOWN) shown.push(`… and ${problems.length - MAX_SHOWN} more problems`);
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
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/**
 * Reads a stack file (or the corral.yaml inside a directory).
 * Throws StackFileError for a missing, unreadable or invalid file.
 */
export async function loadStackFile(path: string, opts: StackFileOptions = {}): Promise<StackSpec> {
  const file = await stackFileIn(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new StackFileError([noPlace(file, readFailure(e, 'stack file'))], { cause: e });
  }
  return parseStack(text, file, opts);
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true });
  const at = new Locator(file, doc, lineCounter);

  if (doc.errors.length > 0) throw new StackFileError(syntaxProblems(doc, text, at));

  // Aliases (`*base`, `<<: *base`) share one JS object between services;
  // expansion edits in place, so each service needs its own copy.
  const raw: unknown = unshare(doc.toJS());
  if (raw === null || raw === undefined) {
    throw new StackFileError([at.problem([], `The file is empty: a stack file has \`version: ${STACK_FILE_VERSION}\`, a \`name\` and \`services\``)]);
  }
  if (isRecord(raw) && raw.version !== STACK_FILE_VERSION) {
    // Checked before the rest: a file of another version may not fit the
    // version 1 schema anywhere, and one clear line beats a page of noise.
    throw new StackFileError([at.problem(['version'], versionMessage(raw.version))]);
  }

  const home = opts.home ?? homedir();
  const expandProblems = isRecord(raw) ? expandTree(raw, opts.env ?? process.env, home) : [];
  if (expandProblems.length > 0) throw new StackFileError(expandProblems.map((p) => at.problem(p.path, p.message)));

  const parsed = StackFileSchema.safeParse(raw, { reportInput: true, error: genericMessage });
  if (!parsed.success) {
    // Zod reports in schema order; the reader goes down the file.
    const problems = parsed.error.issues.flatMap(unwrapUnion).map((iss) => at.issue(iss));
    throw new StackFileError(problems.sort((x, y) => (x.line ?? 0) - (y.line ?? 0) || (x.column ?? 0) - (y.column ?? 0)));
  }

  const stack = parsed.data;
  const dir = dirname(resolve(file));
  const services = Object.entries(stack.services).map(([name, svc]) => resolveService(name, svc, dir, at));
  return { version: STACK_FILE_VERSION, name: stack.name, file: resolve(file), services: startOrder(services, at.serviceOrder()) };
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

  issue(iss: Issue): StackProblem {
    const path = iss.path as Path;
    const input = (iss as { input?: unknown }).input;
    if (iss.code === 'unrecognized_keys') {
      // One problem per unknown key would hide the others' lines; name them all,
      // but point at the first, where the fix usually starts.
      const [first, ...rest] = iss.keys;
      const allowed = allowedFields(path);
      const hint = allowed.find((f) => similar(f, first!));
      const message =
        `Unknown field${rest.length ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}` +
        (hint ? `; did you mean "${hint}"?` : allowed.length ? `; allowed here: ${allowed.join(', ')}` : '');
      return this.problem([...path, first!], message, true);
    }
    if (iss.code === 'invalid_key') {
      const inner = iss.issues[0];
      return this.problem(path, inner?.message ?? iss.message, true);
    }
    if (input === undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_union')) {
      return this.problem(path, `Missing required field "${String(path.at(-1))}"`);
    }
    return this.problem(path, iss.message);
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

  /** Service names in the order the file lists them (JS objects put "1" before "a"). */
  serviceOrder(): string[] {
    const services = this.doc.get('services');
    return isMap(services) ? services.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')) : [];
  }
}

/** `['services', 'api', 'ports', 0]` → `services.api.ports[0]`. */
export function fieldName(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[\w-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
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
  const text = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
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
    if (isRecord(svc.env)) for (const k of Object.keys(svc.env)) expand(svc.env, k, [...base, 'env', k], false);
    if (typeof svc.env_file === 'string') expand(svc, 'env_file', [...base, 'env_file'], true);
    else if (Array.isArray(svc.env_file)) svc.env_file.forEach((_, i) => expand(svc.env_file as unknown[], i, [...base, 'env_file', i], true));
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
    if (!m) return { line: n + 1, error: `Expected KEY=VALUE, got ${JSON.stringify(line)}` };
    const value = envValue(m[2]!);
    if (value === null) return { line: n + 1, error: `Missing closing quote in the value of ${m[1]}: env file values are one line each` };
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
      text = readFileSync(path, 'utf8');
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
  return {
    name,
    command: svc.command,
    cwd: resolve(dir, svc.cwd ?? '.'),
    env,
    ports: svc.ports,
    health: svc.health,
    dependsOn: svc.dependsOn,
    restart: svc.restart,
    stop: svc.stop,
    startTimeoutMs: svc.startTimeoutMs,
  };
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
