// The YAML form of a stack file (corral.yaml), defined once: it validates a
// parsed file, fills in the defaults, checks the dependency graph and produces
// the JSON Schema that editors use. Pure (zod only): file paths, `${VAR}`,
// `~` and env files are resolved by electron/engine/stack-file.ts.
import { z } from 'zod';
import { parseDuration } from './duration.js';
import {
  STACK_NAME_PATTERN,
  type DependencyCondition,
  type HealthCheck,
  type HealthSpec,
  type RestartSpec,
  type StopSpec,
} from './stack.js';

export const STACK_FILE_VERSION = 1;

/** The defaults, as a user would write them in the file (the JSON Schema shows these). */
export const STACK_DEFAULTS = {
  restart: { policy: 'on-failure', backoff: '500ms', max_backoff: '30s', reset_after: '30s', crash_loop: { count: 5, window: '60s' } },
  stop: { signal: 'SIGTERM', grace: '10s' },
  start_timeout: '60s',
  ready_after: '1s',
  health: { interval: '5s', timeout: '2s', failure_threshold: 3, host: '127.0.0.1', status: [200, 399] as [number, number] },
} as const;

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGUSR2'] as const;

/** Longest part of a value the user wrote that an error message repeats. */
export const SHOWN_CHARS = 80;

/**
 * Text the user wrote, quoted for an error message and cut short: a stack file
 * may hold a 20 MB string, and repeating it whole buries the message.
 */
export function quoteValue(s: string, max = SHOWN_CHARS): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, max))}… (${s.length - max} more characters)`;
}

/** How a value the user wrote reads in an error message: `"abc"`, `7233`, `a list`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return quoteValue(v);
  return String(v);
}

const got = (what: string) => (iss: { input?: unknown }) => `Expected ${what}, got ${describeValue(iss.input)}`;

// --- scalars -----------------------------------------------------------------

const NAME_RULE = 'a name of letters, digits, ".", "_" or "-" that starts with a letter or digit (at most 63 characters)';

// JSON Schema patterns have no flags, and STACK_NAME_PATTERN is case-insensitive:
// spell the upper-case letters out for editors.
export const NAME_JSON_PATTERN = STACK_NAME_PATTERN.flags.includes('i') ? STACK_NAME_PATTERN.source.replaceAll('a-z', 'a-zA-Z') : STACK_NAME_PATTERN.source;

const name = (what: string) =>
  z
    .string({ error: got(NAME_RULE) })
    .regex(STACK_NAME_PATTERN, { error: (iss) => `Invalid ${what} name ${describeValue(iss.input)}: use ${NAME_RULE}` })
    .meta({ pattern: NAME_JSON_PATTERN });

const PORT_RULE = 'a port number (1-65535)';
const port = () =>
  z
    .int({ error: got(PORT_RULE) })
    .min(1, { error: got(PORT_RULE) })
    .max(65535, { error: got(PORT_RULE) })
    .describe('TCP port (1-65535).');

// Mirrors the syntax parseDuration accepts (shared/duration.ts is the authority;
// this copy exists so editors can check durations through the JSON Schema).
const DURATION_PATTERN = /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h)\s*$/;
const DURATION_RULE = 'a duration such as "500ms", "10s" or "2m" (a bare number means seconds)';

/** A duration in the file ("500ms", "10s", "2m", "1h", or seconds as a number) → milliseconds. */
function duration(opts: { positive: boolean; default: string }) {
  return z
    .union(
      [
        z.number({ error: got(DURATION_RULE) }).nonnegative({ error: got(DURATION_RULE) }),
        z.string({ error: got(DURATION_RULE) }).regex(DURATION_PATTERN, { error: got(DURATION_RULE) }),
      ],
      { error: got(DURATION_RULE) },
    )
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (opts.positive && ms <= 0) {
        ctx.issues.push({ code: 'custom', input: v, message: `Expected a duration above zero, got ${describeValue(v)}` });
      }
      return ms;
    })
    .prefault(opts.default)
    .describe('Duration: "500ms", "10s", "2m", "1h", or a number of seconds.');
}

const positiveInt = (what: string) =>
  z.int({ error: got(`${what} (a whole number of at least 1)`) }).min(1, { error: got(`${what} (a whole number of at least 1)`) });

// Numbers in argv are rejected rather than converted: YAML reads 1.10 as 1.1,
// and a silently changed argument is worse than an error.
const argvItem = z.string({
  error: (iss) =>
    typeof iss.input === 'number'
      ? `Expected a string, got the number ${iss.input}: quote it in YAML ("${iss.input}")`
      : `Expected a string, got ${describeValue(iss.input)}`,
});

const COMMAND_RULE = 'a command: a string (run by /bin/sh -c) or a list of arguments';

/** `"cmd args"` → ['/bin/sh', '-c', 'cmd args']; a list is the argv as written. */
const command = () =>
  z
    .union(
      [
        z.string().trim().min(1, { error: 'Expected a command, got an empty string' }),
        z.array(argvItem).min(1, { error: 'Expected a command, got an empty list' }),
      ],
      { error: got(COMMAND_RULE) },
    )
    .transform((c, ctx): string[] => {
      if (typeof c === 'string') return ['/bin/sh', '-c', c];
      if (c[0]!.trim() === '') ctx.issues.push({ code: 'custom', input: c[0], path: [0], message: 'The program (first item of the command) is empty' });
      return c;
    })
    .describe('A string (run by /bin/sh -c) or a list of arguments; the first may start with ~/.');

// --- health ------------------------------------------------------------------

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const statusCode = z.int({ error: got('an HTTP status code (100-599)') }).min(100, { error: got('an HTTP status code (100-599)') }).max(599, { error: got('an HTTP status code (100-599)') });

const tcpProbe = z
  .strictObject({ port: port(), host: z.string().min(1).default(STACK_DEFAULTS.health.host) })
  .describe('Healthy when a TCP connection to host:port succeeds.');

const httpProbe = z
  .strictObject({
    url: z.string().refine(isHttpUrl, { error: got('an http:// or https:// URL') }),
    status: z
      .union([statusCode, z.tuple([statusCode, statusCode])], { error: got('a status code or a range [low, high]') })
      .default(STACK_DEFAULTS.health.status)
      .describe('Accepted status: one code or an inclusive range [low, high].'),
  })
  .describe('Healthy when a GET of url answers with an accepted status.');

const grpcProbe = z
  .strictObject({
    port: port(),
    host: z.string().min(1).default(STACK_DEFAULTS.health.host),
    service: z.string().default('').describe('Service name for grpc.health.v1 ("" = the whole server).'),
  })
  .describe('Healthy when grpc.health.v1 Check answers SERVING.');

const execProbe = z.strictObject({ command: command() }).describe('Healthy when the command exits with code 0.');

function isRegExp(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

const logProbe = z
  .strictObject({
    pattern: z
      .string()
      .min(1)
      .refine(isRegExp, { error: got('a regular expression (JavaScript syntax)') }),
  })
  .describe('Ready when a line of the service\'s log written since this start matches the regular expression (readiness only: no liveness checks after).');

const PROBES = ['tcp', 'http', 'grpc', 'exec', 'log'] as const;

const healthShape = z.strictObject({
  tcp: tcpProbe.optional(),
  http: httpProbe.optional(),
  grpc: grpcProbe.optional(),
  exec: execProbe.optional(),
  log: logProbe.optional(),
  interval: duration({ positive: true, default: STACK_DEFAULTS.health.interval }),
  timeout: duration({ positive: true, default: STACK_DEFAULTS.health.timeout }),
  failure_threshold: positiveInt('a failure count').default(STACK_DEFAULTS.health.failure_threshold),
});

const health = healthShape
  // The JSON Schema cannot see the transform below; tell editors the same rule.
  .meta({ oneOf: PROBES.map((p) => ({ required: [p] })) })
  .describe('One probe (tcp, http, grpc, exec or log) plus its timing.')
  .transform((h, ctx): HealthSpec => {
    const given = PROBES.filter((p) => h[p] !== undefined);
    if (given.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        input: h,
        message:
          given.length === 0
            ? 'A health check needs one probe: tcp, http, grpc, exec or log'
            : `A health check has one probe, got ${given.join(' and ')}: keep one`,
      });
    }
    return { check: toCheck(h), intervalMs: h.interval, timeoutMs: h.timeout, failureThreshold: h.failure_threshold };
  });

function toCheck(h: z.output<typeof healthShape>): HealthCheck {
  if (h.http) {
    const s = h.http.status;
    return { kind: 'http', url: h.http.url, status: typeof s === 'number' ? [s, s] : [s[0], s[1]] };
  }
  if (h.grpc) return { kind: 'grpc', host: h.grpc.host, port: h.grpc.port, service: h.grpc.service };
  if (h.exec) return { kind: 'exec', command: h.exec.command };
  if (h.log) return { kind: 'log', pattern: h.log.pattern };
  // Only reached with a tcp probe (or none, which the caller reports as an issue).
  return { kind: 'tcp', host: h.tcp?.host ?? STACK_DEFAULTS.health.host, port: h.tcp?.port ?? 0 };
}

// --- restart, stop, dependencies ---------------------------------------------

const restart = z
  .strictObject({
    policy: z
      .enum(['always', 'on-failure', 'never'], { error: got('a restart policy: "always", "on-failure" or "never"') })
      .default(STACK_DEFAULTS.restart.policy),
    backoff: duration({ positive: false, default: STACK_DEFAULTS.restart.backoff }),
    max_backoff: duration({ positive: false, default: STACK_DEFAULTS.restart.max_backoff }),
    reset_after: duration({ positive: false, default: STACK_DEFAULTS.restart.reset_after }),
    crash_loop: z
      .strictObject({
        count: positiveInt('a crash count').default(STACK_DEFAULTS.restart.crash_loop.count),
        window: duration({ positive: true, default: STACK_DEFAULTS.restart.crash_loop.window }),
      })
      .prefault({})
      .describe('This many crashes within the window → state failed, no more restarts.'),
  })
  .prefault({})
  .transform((r, ctx): RestartSpec => {
    if (r.max_backoff < r.backoff) {
      ctx.issues.push({ code: 'custom', input: r.max_backoff, path: ['max_backoff'], message: 'max_backoff is shorter than backoff: raise max_backoff or lower backoff' });
    }
    return {
      policy: r.policy,
      backoffMs: r.backoff,
      maxBackoffMs: r.max_backoff,
      resetAfterMs: r.reset_after,
      crashLoopCount: r.crash_loop.count,
      crashLoopWindowMs: r.crash_loop.window,
    };
  });

const stop = z
  .strictObject({
    signal: z.enum(STOP_SIGNALS, { error: got(`a signal (${STOP_SIGNALS.join(', ')})`) }).default(STACK_DEFAULTS.stop.signal),
    grace: duration({ positive: false, default: STACK_DEFAULTS.stop.grace }).describe('Wait this long after the signal before SIGKILL.'),
  })
  .prefault({})
  .transform((s): StopSpec => ({ signal: s.signal, graceMs: s.grace }));

const condition = z.enum(['started', 'healthy', 'completed'], { error: got('a condition: "started", "healthy" or "completed"') });

/** `{ db: healthy }`, or a list `[db]` meaning `started`. */
const dependsOn = z
  .union([z.record(z.string(), condition), z.array(z.string({ error: got('a service name') }))], {
    error: got('a mapping of service → "started" | "healthy" | "completed", or a list of service names'),
  })
  .transform((d): Record<string, DependencyCondition> => (Array.isArray(d) ? Object.fromEntries(d.map((n) => [n, 'started' as const])) : d))
  .describe('Services to wait for: { name: started | healthy | completed }, or a list of names (started). `completed`: a one-shot task that exited 0.');

// --- service and stack ---------------------------------------------------------

// Compose accepts numbers and booleans as env values (PORT: 8080); so do we.
const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: got('a string, number or boolean') })
  .transform((v) => String(v));

const stringOrList = (what: string) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1))], { error: got(`${what} or a list of them`) })
    .transform((v) => (typeof v === 'string' ? [v] : v));

const service = z
  .strictObject({
    command: command(),
    cwd: z.string().min(1).optional().describe("Working directory, relative to the stack file's directory (default: that directory)."),
    env: z.record(z.string().regex(/^[^=\0]+$/, { error: got('a variable name without "="') }), envValue).default({}),
    env_file: stringOrList('a file path').optional().describe('KEY=VALUE file(s) relative to the stack file; `env` overrides them.'),
    ports: z
      .array(port())
      .default([])
      .superRefine((ports, ctx) => {
        ports.forEach((p, i) => {
          if (ports.indexOf(p) !== i) ctx.addIssue({ code: 'custom', input: p, path: [i], message: `Port ${p} is listed twice` });
        });
      })
      .describe('Ports the service listens on: checked free before start, released after stop.'),
    health: health.optional(),
    depends_on: dependsOn.optional(),
    stop,
    restart,
    start_timeout: duration({ positive: true, default: STACK_DEFAULTS.start_timeout }).describe('Bound on becoming healthy (or staying up, without a health check).'),
    ready_after: duration({ positive: false, default: STACK_DEFAULTS.ready_after }).describe(
      'Without a health check: the service counts as started once it has stayed up this long (0: at once). An exit before that is a failed start.',
    ),
    url: z
      .string()
      .refine(isHttpUrl, { error: got('an http:// or https:// URL') })
      .optional()
      .describe('Where the service is opened in a browser (`corral open`, Open in the window and tray). Default: the address of its http health check.'),
    foreground_only: z
      .boolean({ error: got('true or false') })
      .default(false)
      .describe('A program that forks into the background and exits 0 while starting (pg_ctl start, redis-server --daemonize yes) is an error saying how to run it in the foreground, instead of being followed in the background.'),
    watch: stringOrList('a path')
      .optional()
      .describe(
        "Directories or files, relative to the stack file's directory, whose changes restart the service while it runs (500 ms after the last change; `.git`, `node_modules` and editor temporary files are ignored). A path deleted or replaced is watched again when it is back. Not the file system root, the home directory or Corral's log directory. For services without a reloader of their own.",
      ),
    oneshot: z
      .boolean({ error: got('true or false') })
      .default(false)
      .describe('A task that runs to completion (a migration, a code generator): `completed` when it exits 0, `failed` otherwise; never restarted; `corral up` runs it again only when it has not completed since the owner started, when its definition changed, or when named.'),
  })
  .transform((s) => ({
    command: s.command,
    /** As written (null: the stack file's directory); resolved by the loader. */
    cwd: s.cwd ?? null,
    env: s.env,
    /** As written, in order; read and merged under `env` by the loader. */
    envFile: s.env_file ?? [],
    ports: s.ports,
    health: s.health ?? null,
    dependsOn: s.depends_on ?? {},
    restart: s.restart,
    stop: s.stop,
    startTimeoutMs: s.start_timeout,
    readyAfterMs: s.ready_after,
    oneshot: s.oneshot,
    foregroundOnly: s.foreground_only,
    url: s.url ?? null,
    /** As written, in order; resolved against the stack file's directory by the loader. */
    watch: s.watch ?? [],
    /** Whether the file set a health check (a one-shot task takes none). */
    wrote: { health: s.health !== undefined },
  }));

export type ServiceFile = z.output<typeof service>;

const stackShape = z
  .strictObject({
    version: z.literal(STACK_FILE_VERSION, { error: (iss) => versionMessage(iss.input) }),
    name: name('stack').describe('Stack name: letters, digits, ".", "_", "-".'),
    services: z
      .record(name('service'), service)
      .refine((s) => Object.keys(s).length > 0, { error: 'A stack needs at least one service' })
      .describe('Services by name.'),
  })
  .meta({ title: 'Corral stack file', description: 'corral.yaml: the processes of a local development stack.' });

/** The message for any `version` other than 1: what to do about it. */
export function versionMessage(v: unknown): string {
  if (v === undefined) return `Missing "version": add \`version: ${STACK_FILE_VERSION}\` at the top of the file`;
  if (typeof v === 'number' && Number.isInteger(v) && v > STACK_FILE_VERSION) {
    return `Stack file version ${v} is newer than this Corral understands (${STACK_FILE_VERSION}): upgrade Corral, or rewrite the file for version ${STACK_FILE_VERSION}`;
  }
  return `Unsupported stack file version ${describeValue(v)}: this Corral reads version ${STACK_FILE_VERSION}; set \`version: ${STACK_FILE_VERSION}\``;
}

/**
 * The whole file: shape, defaults, then the checks that span services
 * (dependency targets, cycles, shared ports). Those run only once every
 * service parsed, so they never report on half-valid input.
 */
export const StackFileSchema = stackShape.transform((stack, ctx) => {
  for (const issue of graphIssues(stack.services)) ctx.issues.push({ code: 'custom', input: undefined, ...issue });
  return stack;
});

export type StackFile = z.output<typeof StackFileSchema>;

interface GraphIssue {
  path: (string | number)[];
  message: string;
}

function graphIssues(services: Record<string, ServiceFile>): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const names = Object.keys(services);

  for (const [svc, spec] of Object.entries(services)) {
    for (const [dep, cond] of Object.entries(spec.dependsOn)) {
      const path = ['services', svc, 'depends_on', dep];
      if (!(dep in services)) {
        const hint = names.find((n) => n !== svc && similar(n, dep));
        const declared = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ');
        issues.push({ path, message: `Unknown service ${quoteValue(dep)}${hint ? `; did you mean "${hint}"?` : `: declared services are ${declared}`}` });
      } else if (cond === 'completed' && !services[dep]!.oneshot) {
        issues.push({ path, message: `"${dep}" is not a one-shot task, so it never completes: depend on it as "started" or "healthy", or add \`oneshot: true\` to ${dep}` });
      } else if (cond === 'healthy' && services[dep]!.oneshot) {
        issues.push({ path, message: `"${dep}" is a one-shot task, so it is never healthy: depend on it as "completed"` });
      } else if (cond === 'healthy' && services[dep]!.health === null) {
        issues.push({ path, message: `"${dep}" has no health check, so it can never be healthy: add a health check to ${dep}, or depend on it as "started"` });
      }
    }
    if (spec.oneshot && spec.wrote.health) issues.push({ path: ['services', svc, 'health'], message: 'A one-shot task has no health check: it is done when it exits 0' });
    if (spec.oneshot && spec.watch.length > 0) issues.push({ path: ['services', svc, 'watch'], message: 'A one-shot task is never restarted, so it has nothing to watch: remove `watch` (or `oneshot`)' });
  }
  const cycle = findCycle(services);
  if (cycle) {
    const [from, to] = cycle.slice(-2) as [string, string];
    issues.push({
      path: ['services', from, 'depends_on', to],
      message: `Dependency cycle: ${cycle.join(' → ')}; remove one of these depends_on entries`,
    });
  }

  // Log and state files are named after services, and macOS file systems
  // ignore case: `api` and `API` would share them.
  const seen = new Map<string, string>();
  for (const svc of names) {
    const other = seen.get(svc.toLowerCase());
    if (other !== undefined) issues.push({ path: ['services', svc], message: `Service "${other}" differs from this one only in case, and they would share log files: rename one` });
    else seen.set(svc.toLowerCase(), svc);
  }

  const owner = new Map<number, string>();
  for (const [svc, spec] of Object.entries(services)) {
    spec.ports.forEach((p, i) => {
      const other = owner.get(p);
      if (other !== undefined) {
        issues.push({ path: ['services', svc, 'ports', i], message: `Port ${p} is already declared by service "${other}": each port belongs to one service` });
      } else owner.set(p, svc);
    });
  }
  return issues;
}

/** The first dependency cycle found, as a closed walk `a → b → a`, or null. */
export function findCycle(services: Record<string, { dependsOn: Record<string, unknown> }>): string[] | null {
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    const at = stack.indexOf(n);
    if (at >= 0) return [...stack.slice(at), n];
    if (done.has(n) || !(n in services)) return null;
    stack.push(n);
    for (const dep of Object.keys(services[n]!.dependsOn)) {
      const c = visit(dep);
      if (c) return c;
    }
    stack.pop();
    done.add(n);
    return null;
  };
  for (const n of Object.keys(services)) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

/** Loose "did you mean" test: same letters ignoring case and separators, or one or two edits apart. */
export function similar(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[-_.\s]/g, '');
  if (norm(a) === norm(b)) return true;
  return Math.abs(a.length - b.length) <= 2 && editDistance(a.toLowerCase(), b.toLowerCase()) <= 2;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The JSON Schema of corral.yaml (draft-07, what YAML editors support best),
 * describing what a user may write, defaults included.
 */
export function stackJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(stackShape, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
}
