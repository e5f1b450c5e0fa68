// The one way a request reaches the owner, whatever face it came in by (the
// control socket, the web UI's HTTP and SSE, Electron IPC): validate against
// the contract's schema → call → map what was thrown with shared/errors.ts.
// A face adds only its own checks (who is asking) and its own framing.
import type { z } from '../../shared/valid.js';
import { calls, logSubscriptionSchema, type CallName, type CallRequest, type CallResponse, type LogBatch, type LogSubscription, type Unsubscribe } from '../../shared/api.js';
import { apiError, toApiError, type ApiError } from '../../shared/errors.js';
import type { HostApi } from './api.js';

/** Every call of the contract, without the subscriptions (what IPC's invoke channel serves). */
export type ApiHandlers = { [K in CallName]: (req: CallRequest<K>) => Promise<CallResponse<K>> };

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiError; cause?: unknown };

/** A table of calls: each name with its request schema (the contract's `calls`, the control socket's `controlCalls`). */
export type CallTable = Record<string, { req: z.ZodType }>;

export interface DispatchOptions {
  /** Told about every failure: `internal` ones are bugs (log the cause's stack), the rest are refusals. */
  onFailure?: (call: string, error: ApiError, cause: unknown) => void;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value.length > 64 ? `${value.slice(0, 64)}…` : value}\``;
  return `a value of type ${value === null ? 'null' : typeof value}`;
}

function has(table: CallTable, name: unknown): name is string {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(table, name);
}

/** `Invalid request for \`call\` at \`field\`: problem` — the first problem is enough to fix the request. */
export function invalidRequest(what: string, err: z.ZodError): ApiError {
  const issue = err.issues[0]!;
  const where = issue.path.length > 0 ? ` at \`${issue.path.join('.')}\`` : '';
  return apiError('bad-request', `Invalid request for ${what}${where}: ${issue.message}`);
}

export function unknownCall(call: unknown, known: readonly string[]): ApiError {
  return apiError('not-found', `Unknown call ${describe(call)}. Known calls: ${known.join(', ')}.`);
}

/**
 * Validates `req` against `table[name].req`, runs `run` with the parsed value,
 * and maps whatever it throws. Never throws itself.
 */
export async function runCall<T extends CallTable>(
  table: T,
  name: unknown,
  req: unknown,
  run: (name: keyof T & string, value: unknown) => Promise<unknown> | unknown,
  opts: DispatchOptions & { known?: readonly string[] } = {},
): Promise<Outcome<unknown>> {
  const fail = (error: ApiError, cause?: unknown): Outcome<unknown> => {
    opts.onFailure?.(typeof name === 'string' ? name : 'unknown call', error, cause ?? error);
    return { ok: false, error, cause };
  };
  if (!has(table, name)) return fail(unknownCall(name, opts.known ?? Object.keys(table)));
  const parsed = table[name]!.req.safeParse(req);
  if (!parsed.success) return fail(invalidRequest(`\`${name}\``, parsed.error));
  try {
    return { ok: true, value: await run(name, parsed.data) };
  } catch (err) {
    return fail(toApiError(err), err);
  }
}

/** A call of the contract, by name, with its unchecked request, against `handlers`. */
export function dispatchCall(handlers: ApiHandlers, name: unknown, req: unknown, opts: DispatchOptions = {}): Promise<Outcome<unknown>> {
  return runCall(calls, name, req, (n, value) => (handlers[n as CallName] as (r: unknown) => Promise<unknown>).call(handlers, value), opts);
}

/** A log subscription: validated and checked (the stack and services exist, by `source`) before it is accepted. */
export function followLogs(
  source: Pick<HostApi, 'onLogs'>,
  sub: unknown,
  listener: (batch: LogBatch) => void,
  opts: DispatchOptions = {},
): Outcome<Unsubscribe> {
  const fail = (error: ApiError, cause?: unknown): Outcome<Unsubscribe> => {
    opts.onFailure?.('onLogs', error, cause ?? error);
    return { ok: false, error, cause };
  };
  const parsed = logSubscriptionSchema.safeParse(sub);
  if (!parsed.success) return fail(invalidRequest('`onLogs`', parsed.error));
  try {
    return { ok: true, value: source.onLogs(parsed.data as LogSubscription, listener) };
  } catch (err) {
    return fail(toApiError(err), err);
  }
}

export interface Dispatch {
  call(name: unknown, req: unknown): Promise<Outcome<unknown>>;
  followLogs(sub: unknown, listener: (batch: LogBatch) => void): Outcome<Unsubscribe>;
  onSnapshot: HostApi['onSnapshot'];
  /** Resource figures are sampled until the release is called (a no-op where the API does not sample). */
  watchResources(): Unsubscribe;
}

/** The dispatch of one API object, with one failure report for every face that uses it. */
export function createDispatch(api: HostApi, opts: DispatchOptions = {}): Dispatch {
  return {
    call: (name, req) => dispatchCall(api, name, req, opts),
    followLogs: (sub, listener) => followLogs(api, sub, listener, opts),
    onSnapshot: (listener) => api.onSnapshot(listener),
    watchResources: () => api.watchResources?.() ?? (() => {}),
  };
}
