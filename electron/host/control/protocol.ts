// The control socket's wire format: one JSON object per line. Requests are
// `{id, call, req}` (or `{id, subscribe, req}` / `{id, unsubscribe}`);
// answers are `{id, result}` or `{id, error}`; a subscription streams
// `{id, event}`. The calls of the API contract (shared/api.ts) are validated by
// its schemas; the calls only the CLI and the app need (ping, up, ps, doctor,
// handover, shutdown…) are defined here, with their own schemas.
import { z } from '../../../shared/valid.js';
import { logSubscriptionSchema, type StackApplied, type ActionResult, type CallName, type CallResponse, type CallRequest } from '../../../shared/api.js';
import type { Snapshot } from '../../../shared/state.js';
import type { StackSpec } from '../../../shared/stack.js';

export { MAX_REQUEST_BYTES, MAX_PENDING_BYTES, MAX_RESPONSE_BYTES, LineDecoder, MessageTooLargeError, BudgetExceededError, ByteBudget } from './wire.js';
export const PROTOCOL_VERSION = 1;

const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only');
const absolutePath = z.string().min(1).max(4096).refine((p) => p.startsWith('/'), 'an absolute path');
/** The caller's environment: `${VAR}` in a stack file is expanded with it, as `docker compose` does. */
const callerEnv = z.record(z.string().max(4096), z.string().max(1 << 16)).refine((e) => Object.keys(e).length <= 4096, 'at most 4096 variables');

import type { ErrorCode } from '../../../shared/errors.js';
export type { ErrorCode };

export interface PingResult {
  protocol: number;
  pid: number;
  kind: 'app' | 'daemon' | 'embedded';
  home: string;
  socket: string;
  since: number;
  version: string;
}

export type UpResult = StackApplied;

export type PsRole = 'leader' | 'group' | 'descendant' | 'escaped' | 'orphan';

export interface PsEntry {
  stack: string;
  service: string;
  pid: number;
  ppid: number;
  pgid: number;
  /** One-letter process state (R, S, D, T…). */
  state: string;
  command: string;
  /**
   * leader: the service's own process; group: in its process group; descendant: a child of one of
   * those in another group, without a readable marker (PostgreSQL's backends: setsid, and the process
   * title overwrites the environment); escaped: left the group but carries its marker; orphan: carries
   * a marker no running service accounts for.
   */
  role: PsRole;
  instance: string;
}

export type DoctorLevel = 'ok' | 'warning' | 'error';
export type DoctorTopic = 'owner' | 'stack' | 'binary' | 'path' | 'cwd' | 'port' | 'orphan' | 'state' | 'logs';

export interface DoctorFinding {
  level: DoctorLevel;
  topic: DoctorTopic;
  /** What the finding is about: `stack/service`, a port, a file. */
  subject: string;
  message: string;
  /** The next step, when there is one. */
  fix?: string;
  /** What `doctor --fix` did about it. */
  fixed?: string;
}

export interface StackInfo {
  name: string;
  file: string;
  services: number;
  running: number;
  aggregate: string;
}

/** A stack file's parse as this build's stack-file.ts returns it (the shape, not every field's rules). */
function isParsedSpec(v: unknown): boolean {
  const s = v as StackSpec;
  return typeof v === 'object' && v !== null && typeof s.name === 'string' && typeof s.file === 'string' && typeof s.digest === 'string' && Array.isArray(s.services);
}

/** Calls served only by the control socket. */
export const controlCalls = {
  ping: { req: z.strictObject({}), res: {} as PingResult },
  /** Registers (or updates) the stack file and starts what is asked, dependencies first; resolves when each settled. */
  up: {
    /**
     * spec: the file as the caller parsed it with `env`. Only `corral up` sends it, and only to a
     * daemon it has just started from its own build: that daemon then starts the stack without
     * loading the stack-file parser (zod and yaml: ~100 ms before the first spawn, and ~5 MB kept).
     * `handover` proves it: the one-time secret that CLI gave the daemon when it started it. Without
     * the daemon's secret, or the second time, the spec is not taken: the owner reads the file itself.
     */
    req: z.strictObject({
      file: absolutePath,
      env: callerEnv.optional(),
      services: z.array(name).max(256).optional(),
      spec: z.custom<StackSpec>(isParsedSpec).optional(),
      handover: z.string().max(64).optional(),
    }),
    res: {} as UpResult,
  },
  addStack: { req: z.strictObject({ file: absolutePath, env: callerEnv.optional() }), res: {} as { stack: string } },
  removeStack: { req: z.strictObject({ stack: name }), res: {} as ActionResult },
  stacks: { req: z.strictObject({}), res: {} as StackInfo[] },
  ps: { req: z.strictObject({ stack: name.optional() }), res: {} as PsEntry[] },
  doctor: {
    /** only: check `file`'s stack alone (`doctor -f`). */
    req: z.strictObject({ file: absolutePath.optional(), env: callerEnv.optional(), fix: z.boolean().optional(), only: z.boolean().optional() }),
    res: {} as DoctorFinding[],
  },
  /** The owner answers, then closes without stopping services and releases the lock, for the next owner to adopt them. */
  handover: { req: z.strictObject({}), res: {} as { pid: number } },
  shutdown: { req: z.strictObject({ stopServices: z.boolean() }), res: {} as { pid: number } },
  /** Starts the owner's local web UI if it is not running; the answer is an address with a new one-time sign-in code. */
  webUi: { req: z.strictObject({}), res: {} as { url: string } },
} as const;

export type ControlCallName = keyof typeof controlCalls;
export type AnyCallName = CallName | ControlCallName;
export type AnyRequest<K extends AnyCallName> = K extends ControlCallName
  ? z.input<(typeof controlCalls)[K]['req']>
  : K extends CallName
    ? CallRequest<K>
    : never;
export type AnyResponse<K extends AnyCallName> = K extends ControlCallName
  ? (typeof controlCalls)[K]['res']
  : K extends CallName
    ? CallResponse<K>
    : never;

export function isControlCall(value: unknown): value is ControlCallName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(controlCalls, value);
}

export const subscriptionSchemas = {
  snapshot: z.strictObject({}),
  /** The first event at once: the history asked for and the cursor; then every later line exactly once. */
  logs: logSubscriptionSchema,
} as const;
export type Topic = keyof typeof subscriptionSchemas;
export type TopicRequest<T extends Topic> = z.input<(typeof subscriptionSchemas)[T]>;
export type TopicEvent<T extends Topic> = T extends 'snapshot' ? Snapshot : import('../../../shared/api.js').LogBatch;

const id = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);

export const envelopeSchema = z.union([
  z.strictObject({ id, call: z.string().min(1).max(64), req: z.unknown().optional() }),
  z.strictObject({ id, subscribe: z.enum(['snapshot', 'logs']), req: z.unknown().optional() }),
  z.strictObject({ id, unsubscribe: id }),
]);
export type Envelope = z.infer<typeof envelopeSchema>;
export type MessageId = z.infer<typeof id>;

export type ServerMessage =
  | { id: MessageId | null; result: unknown }
  | { id: MessageId | null; error: { code: ErrorCode; message: string } }
  | { id: MessageId; event: unknown };
