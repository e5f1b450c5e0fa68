// The one API contract between the owner and every view (window, web UI, CLI).
// Each call has a request schema (validated at every entry: IPC, HTTP, control
// socket) and a response type; `CorralApi` is derived from this table, so a
// call without both fails to compile.
import { z } from './valid.js';
import type { Snapshot, ProcessRef, ServiceState, Settings, ExitInfo, HealthResult } from './state.js';
import { apiError, type ApiError } from './errors.js';

export type { ApiError, ErrorCode } from './errors.js';

const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only');
const target = z.strictObject({ stack: name, services: z.array(name).max(256).optional() });
const cursor = z.record(name, z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER));
const historySchema = z.strictObject({
  lines: z.number().int().min(1).max(1_000_000).optional(),
  since: z.number().nonnegative().optional(),
});

/** A log subscription, the same over the control socket, IPC and SSE. */
export const logSubscriptionSchema = z.strictObject({
  stack: name,
  services: z.array(name).max(256).optional(),
  /** The last lines first, in the first batch. */
  history: historySchema.optional(),
  /** Resume: per service, every line at or after this position (history and live), none lost or repeated. */
  from: cursor.optional(),
});

export interface LogLine {
  stack: string;
  service: string;
  /**
   * The merge order (ms since epoch): `at` where known, else an estimate
   * (between the file's birth and last write, by byte offset) that only places
   * a history line among other services' lines. Never shown as a time.
   */
  ts: number;
  /**
   * When the line was written, where that is known, else absent: the
   * service's own timestamp at the line's start (`stamped`), or, for a line
   * the owner read as it arrived (a followed log), the time the owner read it
   * (within its poll interval; later only when a flood is read at a bounded
   * pace). A line read back from a file without a timestamp of its own has
   * none: the file does not record when each line was written.
   */
  at?: number;
  /** `at` is the service's own timestamp, written in the line. */
  stamped?: true;
  /**
   * The line's identity: the byte position where it starts in the service's
   * whole log, counted across rotations and owners. Unique per service and
   * increasing, so a view joins a history and live lines by it, never by text.
   */
  seq: number;
  text: string;
  /** The line was longer than the cap (16 KiB): this piece is continued by the next one. */
  cont?: true;
}

/** Per service, a position in its log: a follower has been given every line before it. */
export type LogCursor = Record<string, number>;

/** What a log subscription delivers. The first batch comes at once and carries the history asked for (possibly none) and the cursor. */
export interface LogBatch {
  lines: LogLine[];
  /** Only in the first batch: where each service's live lines start. Resume from it (or from the last line's `seq` + 1). */
  cursor?: LogCursor;
  /**
   * Only in the first batch of a resume (`from`): per service, bytes left out
   * because the gap was larger than one read (8 MiB of text): the follower
   * had stopped reading for long while the service flooded its log.
   */
  skipped?: Record<string, number>;
}

export interface ActionOutcome {
  stack: string;
  service: string;
  ok: boolean;
  state: ServiceState;
  /** Human sentence: what happened, or why not and what to do next. */
  message: string;
  forced?: boolean;
  survivors?: ProcessRef[];
  /** Refused before a process was spawned (a held port, a command that cannot start): its log has nothing from this attempt. */
  notStarted?: true;
  /** Stopped because it depends on this service, which was asked to stop. */
  dependentOf?: string;
}

export interface ActionResult {
  outcomes: ActionOutcome[];
}

/** A stack file applied (`corral up`, Apply): the outcome of each service started, and those restarted because their definition changed. */
export interface StackApplied extends ActionResult {
  stack: string;
  /** Services restarted because their definition changed in the stack file. */
  recreated: string[];
}

export type { Settings } from './state.js';

/** One process of a service now: its leader, its process group, what left the group (still marked as the service's), their children; `orphan`: marked, left by an earlier instance. */
export interface ServiceProcess {
  pid: number;
  ppid: number;
  command: string;
  role: 'leader' | 'group' | 'descendant' | 'escaped' | 'orphan';
  /** Depth in the tree as listed (0: the leader, or a process whose parent is not the service's). */
  depth: number;
}

/** What a service's detail view shows beyond its snapshot (`describeService`). */
export interface ServiceDetail {
  stack: string;
  service: string;
  /** The command as the stack file has it: a string command as written, an argument list joined (quoted where needed). */
  command: string;
  /** The absolute working directory it runs in. */
  cwd: string;
  /** Its health check in words ("http http://127.0.0.1:7300/healthz, every 5s"); null: none. */
  healthCheck: string | null;
  /** Its processes now, the leader first, each after its parent. */
  processes: ServiceProcess[];
  /** Its last exits (at most 10), newest first, since this owner started supervising it. */
  exits: ExitInfo[];
  /** Its last health results (at most 10), newest first. */
  healthResults: HealthResult[];
}

export const settingsSchema = z.strictObject({
  stopServicesOnQuit: z.boolean(),
  launchAtLogin: z.boolean(),
  notifyOnFailure: z.boolean(),
});

export const DEFAULT_SETTINGS: Settings = { stopServicesOnQuit: false, launchAtLogin: false, notifyOnFailure: true };

export const calls = {
  /** `resources: true`: with fresh CPU and memory figures per running service (what `corral status` shows), measured now if no view is watching. */
  snapshot: { req: z.strictObject({ resources: z.boolean().optional() }), res: {} as Snapshot },
  start: { req: target, res: {} as ActionResult },
  stop: { req: target, res: {} as ActionResult },
  restart: { req: target, res: {} as ActionResult },
  /** SIGKILL what a stop left behind (our processes only, identity-checked). */
  forceStop: { req: z.strictObject({ stack: name, service: name }), res: {} as ActionResult },
  /** Ends a foreign process holding a declared port; only with explicit confirmation. */
  killPortHolder: {
    req: z.strictObject({ stack: name, service: name, pid: z.number().int().positive(), confirm: z.literal(true) }),
    res: {} as ActionResult,
  },
  readLogs: {
    req: z.strictObject({
      stack: name,
      services: z.array(name).max(256).optional(),
      ...historySchema.shape,
      /** Per service, only lines before this position (older history behind what a view holds). */
      before: cursor.optional(),
    }),
    res: {} as LogLine[],
  },
  logLocation: { req: z.strictObject({ stack: name, service: name.optional() }), res: {} as { path: string } },
  /** Opens the log folder on the owner's desktop (the app: the file manager; the web UI: where a desktop exists). */
  openLogFolder: { req: z.strictObject({ stack: name, service: name.optional() }), res: {} as { path: string; opened: boolean } },
  /** Opens the service's `url` (or its http health check's address) in the desktop's browser, where a desktop exists. */
  openService: { req: z.strictObject({ stack: name, service: name }), res: {} as { url: string; opened: boolean } },
  /**
   * Applies the stack file as it is on disk now (what `pending` announced): read again and
   * validated, then what `corral up` does for the services the user has up. Never done by itself.
   */
  applyStack: { req: z.strictObject({ stack: name }), res: {} as StackApplied },
  /** The service's detail view: its command as written, cwd, processes, recent exits and health results. */
  describeService: { req: z.strictObject({ stack: name, service: name }), res: {} as ServiceDetail },
  getSettings: { req: z.strictObject({}), res: {} as Settings },
  setSettings: { req: settingsSchema.partial().strict(), res: {} as Settings },
} as const;

export type CallName = keyof typeof calls;
export type CallRequest<K extends CallName> = z.input<(typeof calls)[K]['req']>;
export type CallResponse<K extends CallName> = (typeof calls)[K]['res'];

export type Unsubscribe = () => void;

export type LogSubscription = z.input<typeof logSubscriptionSchema>;

/** `window.corral` in the renderer; implemented over IPC (Electron) and HTTP (web UI). */
export type CorralApi = { [K in CallName]: (req: CallRequest<K>) => Promise<CallResponse<K>> } & {
  onSnapshot(listener: (snapshot: Snapshot) => void): Unsubscribe;
  onLogs(sub: LogSubscription, listener: (batch: LogBatch) => void): Unsubscribe;
};

/** Validates a request for `call`; returns the parsed value or a plain error. */
export function validateRequest<K extends CallName>(call: K, body: unknown): { ok: true; value: z.output<(typeof calls)[K]['req']> } | { ok: false; error: ApiError } {
  const schema = calls[call]?.req;
  if (!schema) return { ok: false, error: apiError('not-found', `Unknown call \`${String(call)}\`.`) };
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, value: r.data as z.output<(typeof calls)[K]['req']> };
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? ` at \`${issue.path.join('.')}\`` : '';
  return { ok: false, error: apiError('bad-request', `Invalid request for \`${call}\`${where}: ${issue.message}`) };
}

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(calls, value);
}
