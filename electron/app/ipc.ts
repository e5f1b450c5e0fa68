// The one registration point for IPC. IPC's own checks come first (sender
// frame, argument count); then the host's dispatch (call name, request schema,
// call, error mapping), the same one the control socket and the web UI use.
// Every failure comes back as a plain `{error}` object: the renderer must never
// see Electron's "Error invoking remote method" wrapping, and an untrusted
// frame must never reach a handler.
import { calls, isCallName } from '../../shared/api.js';
import type { CallName, CorralApi, LogBatch } from '../../shared/api.js';
import { apiError, type ApiError } from '../../shared/errors.js';
import { dispatchCall, followLogs, type ApiHandlers, type DispatchOptions } from '../host/dispatch.js';
import { CHANNEL, type Reply } from './channels.js';
import { APP_ORIGIN, originOf } from './app-url.js';

export type { ApiHandlers };
export type LogSource = Pick<CorralApi, 'onLogs'>;

/** The parts of Electron's IpcMainInvokeEvent the checks read; tests pass plain objects of this shape. */
export interface InvokeEventLike {
  senderFrame: { url: string; parent: unknown } | null;
  sender: SenderLike;
}

export interface SenderLike {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface IpcOptions {
  /** Origins (`protocol//host`) whose main frame may call; the packaged app allows only `corral-app://app`. */
  allowedOrigins?: readonly string[];
  /** Told about every refused call (untrusted sender, bad arguments, the owner saying no): the app log. */
  onRejected?: (what: string) => void;
  /** Told about unexpected handler failures (code `internal`), with the original error. */
  onError?: (call: string, err: unknown) => void;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value.length > 64 ? `${value.slice(0, 64)}…` : value}\``;
  return `a value of type ${value === null ? 'null' : typeof value}`;
}

/**
 * Null when the frame may call; otherwise the refusal. Only the main frame of
 * a page on an allowed origin is trusted: a subframe, a frame that navigated
 * away (senderFrame null) or any other origin is not.
 */
export function checkSender(event: Pick<InvokeEventLike, 'senderFrame'>, what: string, allowedOrigins: readonly string[] = [APP_ORIGIN]): ApiError | null {
  const frame = event.senderFrame;
  if (!frame) return apiError('unauthorized', `Refused \`${what}\`: the calling frame is gone (it navigated away or was closed).`);
  if (frame.parent) return apiError('unauthorized', `Refused \`${what}\`: only the Corral window's main frame may call, not a subframe (${frame.url}).`);
  const origin = originOf(frame.url);
  if (origin === null || !allowedOrigins.includes(origin)) {
    return apiError('unauthorized', `Refused \`${what}\`: the calling page ${describe(frame.url)} is not the Corral window (allowed: ${allowedOrigins.join(', ')}).`);
  }
  return null;
}

/** The handler for `CHANNEL.invoke`: `(event, call, request) → Reply`. Pure apart from what `handlers` do. */
export function createInvokeHandler(handlers: ApiHandlers, opts: IpcOptions = {}) {
  return async (event: InvokeEventLike, ...args: unknown[]): Promise<Reply<unknown>> => {
    const [call, req] = args;
    const name = isCallName(call) ? call : 'unknown call';
    const refused = checkSender(event, name, opts.allowedOrigins);
    if (refused) {
      opts.onRejected?.(refused.error.message);
      return refused;
    }
    if (args.length !== 2) {
      const e = apiError('bad-request', `IPC \`${CHANNEL.invoke}\` takes exactly 2 arguments (call name, request object), got ${args.length}.`);
      opts.onRejected?.(e.error.message);
      return e;
    }
    const r = await dispatchCall(handlers, call, req, failureReport(opts));
    return r.ok ? { value: r.value } : r.error;
  };
}

/** The owner's refusals (a known code) are expected outcomes; anything else is a bug worth a stack trace. */
function failureReport(opts: IpcOptions): DispatchOptions {
  return {
    onFailure: (call, e, cause) => {
      if (e.error.code === 'internal') opts.onError?.(call, cause);
      else if (cause === e) opts.onRejected?.(e.error.message);
      else opts.onRejected?.(`\`${call}\`: ${e.error.message}`);
    },
  };
}

const isSubscriptionId = (id: unknown): id is number => Number.isSafeInteger(id) && (id as number) > 0;

/**
 * Log follow subscriptions over IPC. The renderer picks an id per
 * subscription; batches are pushed on `CHANNEL.logs` as `{id, batch}` to the
 * frame that asked. A closed or reloaded window drops its subscriptions, so a
 * renderer that forgot to unsubscribe does not keep tailers alive.
 */
export function createLogSubscriptions(source: LogSource, opts: IpcOptions = {}) {
  const subs = new Map<string, { senderId: number; stop: () => void }>();
  const watchedSenders = new Set<number>();
  const key = (senderId: number, id: number) => `${senderId}:${id}`;

  function dropSender(senderId: number): void {
    for (const [k, s] of subs) {
      if (s.senderId !== senderId) continue;
      subs.delete(k);
      s.stop();
    }
  }

  function reject(e: ApiError): ApiError {
    opts.onRejected?.(e.error.message);
    return e;
  }

  async function subscribe(event: InvokeEventLike, ...args: unknown[]): Promise<Reply<null>> {
    const refused = checkSender(event, 'onLogs', opts.allowedOrigins);
    if (refused) return reject(refused);
    const [id, sub] = args;
    if (args.length !== 2 || !isSubscriptionId(id)) return reject(apiError('bad-request', 'Invalid log subscription: expected (id: positive integer, {stack, services?, history?, from?}).'));
    const sender = event.sender;
    const k = key(sender.id, id);
    if (subs.has(k)) return reject(apiError('conflict', `Log subscription ${id} already exists for this window.`));
    const r = followLogs(
      source,
      sub,
      // The first batch (history and cursor) comes during this call, before the reply: the renderer holds it until then.
      (batch: LogBatch) => {
        if (!sender.isDestroyed()) sender.send(CHANNEL.logs, { id, batch });
      },
      failureReport(opts),
    );
    if (!r.ok) return r.error;
    subs.set(k, { senderId: sender.id, stop: r.value });
    if (!watchedSenders.has(sender.id)) {
      watchedSenders.add(sender.id);
      sender.once('destroyed', () => {
        watchedSenders.delete(sender.id);
        dropSender(sender.id);
      });
    }
    return { value: null };
  }

  async function unsubscribe(event: InvokeEventLike, ...args: unknown[]): Promise<Reply<null>> {
    const refused = checkSender(event, 'onLogs', opts.allowedOrigins);
    if (refused) return reject(refused);
    const [id] = args;
    if (args.length !== 1 || !isSubscriptionId(id)) return reject(apiError('bad-request', 'Invalid log unsubscription: expected (id: positive integer).'));
    const k = key(event.sender.id, id);
    subs.get(k)?.stop();
    subs.delete(k);
    return { value: null };
  }

  function dispose(): void {
    for (const s of subs.values()) s.stop();
    subs.clear();
  }

  return { subscribe, unsubscribe, dropSender, dispose, get size() { return subs.size; } };
}

/** Every call of an API object as a bound function, so individual calls can be wrapped without losing `this`. */
export function bindCalls(api: ApiHandlers): ApiHandlers {
  const out: Partial<Record<CallName, unknown>> = {};
  for (const name of Object.keys(calls) as CallName[]) {
    const fn = api[name] as (req: unknown) => Promise<unknown>;
    out[name] = (req: unknown) => fn.call(api, req);
  }
  return out as ApiHandlers;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Registers every channel; returns the undo and the hook the window uses when it reloads. */
export function registerIpc(ipcMain: IpcMainLike, handlers: ApiHandlers, logs: LogSource, opts: IpcOptions = {}) {
  const subscriptions = createLogSubscriptions(logs, opts);
  ipcMain.handle(CHANNEL.invoke, createInvokeHandler(handlers, opts));
  ipcMain.handle(CHANNEL.logsSubscribe, subscriptions.subscribe);
  ipcMain.handle(CHANNEL.logsUnsubscribe, subscriptions.unsubscribe);
  return {
    dropSender: subscriptions.dropSender,
    dispose(): void {
      for (const channel of [CHANNEL.invoke, CHANNEL.logsSubscribe, CHANNEL.logsUnsubscribe]) ipcMain.removeHandler(channel);
      subscriptions.dispose();
    },
  };
}
