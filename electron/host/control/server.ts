// The owner's control server: the CLI (and a second app instance) reach the
// owner here. Every request is validated before anything runs; a malformed
// one gets an error and changes nothing, an oversized one also closes its
// connection (F21). Who may connect is decided by the file system: the socket
// is 0600 in a 0700 directory of ours.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Owner } from '../../engine/owner.js';
import type { StackSpec } from '../../../shared/stack.js';
import { calls, isCallName, type LogBatch } from '../../../shared/api.js';
import { ConflictError, apiError, type ErrorCode } from '../../../shared/errors.js';
import {
  LineDecoder,
  MAX_REQUEST_BYTES,
  MessageTooLargeError,
  BudgetExceededError,
  ByteBudget,
  MAX_PENDING_BYTES,
  PROTOCOL_VERSION,
  controlCalls,
  envelopeSchema,
  subscriptionSchemas,
  type ControlCallName,
  type MessageId,
  type ServerMessage,
  type TopicRequest,
} from './protocol.js';
import { createApi, type HostApi } from '../api.js';
import { createDispatch, invalidRequest, runCall, type Dispatch } from '../dispatch.js';
import { RefusalLog } from '../refusal-log.js';
import { prepareSocketDir } from './socket-path.js';
import { upStack, addStackFile, stackList } from '../operations/stacks.js';
import { listServiceProcesses } from '../operations/ps.js';
import { runDoctor } from '../operations/doctor.js';

export interface ControlServerOptions {
  socketPath: string;
  version: string;
  /** Called after the `handover` answer is written: close without stopping services. */
  onHandover?: () => void | Promise<void>;
  /** Called after the `shutdown` answer is written. */
  onShutdown?: (stopServices: boolean) => void | Promise<void>;
  /** Starts (once) and describes the owner's local web UI. */
  webUi?: () => Promise<{ url: string }>;
  /** A connection whose unread output exceeds this is dropped (a stuck `logs -f` must not grow the owner). */
  maxBufferedBytes?: number;
  /** Bytes of unfinished request lines all connections may hold together (default 8 MiB). */
  maxPendingBytes?: number;
  /** The API the calls reach (default: `createApi(owner)`; the daemon shares one with its web UI). */
  api?: HostApi;
  /** Called for every request (the daemon's heap trim waits for quiet after them). */
  onRequest?: () => void;
  /**
   * Takes the one-time handover secret of the `up` call that may hand over its parse of the
   * stack file: true once, for the secret this daemon was started with (cli/spawn-daemon.ts).
   */
  takeHandover?: (secret: string) => boolean;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Listens on `socketPath` (replacing a stale socket file: the caller holds the owner lock). */
export async function startControlServer(owner: Owner, opts: ControlServerOptions): Promise<ControlServer> {
  prepareSocketDir(dirname(opts.socketPath));
  try {
    unlinkSync(opts.socketPath);
  } catch {}
  const sockets = new Set<Socket>();
  const dispatch = createDispatch(opts.api ?? createApi(owner), {
    onFailure: (call, e, cause) => {
      if (e.error.code === 'internal') owner.log(`control: ${call} failed: ${(cause as Error)?.stack ?? e.error.message}`);
    },
  });
  const shared: Shared = {
    budget: new ByteBudget(opts.maxPendingBytes ?? MAX_PENDING_BYTES),
    refusals: new RefusalLog((l) => owner.log(l), { prefix: 'control: ' }),
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    handleConnection(owner, dispatch, sock, opts, shared);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(opts.socketPath, 0o600);
  server.on('error', (e) => owner.log(`control server error: ${e.message}`));
  let closed: Promise<void> | null = null;
  return {
    path: opts.socketPath,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        shared.refusals.close();
        try {
          unlinkSync(opts.socketPath);
        } catch {}
      });
      return closed;
    },
  };
}

interface Shared {
  budget: ByteBudget;
  refusals: RefusalLog;
}

function handleConnection(owner: Owner, dispatch: Dispatch, sock: Socket, opts: ControlServerOptions, shared: Shared): void {
  const decoder = new LineDecoder(MAX_REQUEST_BYTES, shared.budget);
  const subs = new Map<MessageId, () => void>();
  const maxBuffered = opts.maxBufferedBytes ?? 32 << 20;
  let ended = false;

  const send = (msg: ServerMessage) => {
    if (ended || sock.destroyed) return;
    sock.write(JSON.stringify(msg) + '\n');
    if (sock.writableLength > maxBuffered) {
      owner.log(`control: dropping a client that does not read its output (${sock.writableLength} bytes queued)`);
      end();
    }
  };
  const fail = (id: MessageId | null, code: ErrorCode, message: string) => send({ id, error: apiError(code, message).error });
  const end = () => {
    if (ended) return;
    ended = true;
    for (const u of subs.values()) u();
    subs.clear();
    decoder.dispose();
    sock.end();
    // A peer that stops reading must not keep the socket open forever.
    setTimeout(() => sock.destroy(), 1000).unref();
  };

  sock.on('data', (chunk: Buffer) => {
    if (ended) return;
    let lines: string[];
    try {
      lines = decoder.push(chunk);
    } catch (e) {
      if (e instanceof MessageTooLargeError) {
        shared.refusals.refuse(`control: refused a request larger than ${MAX_REQUEST_BYTES} bytes`, 'control: request over 1 MiB');
        fail(null, 'bad-request', `Request larger than ${MAX_REQUEST_BYTES} bytes (1 MiB): refused, nothing was done; the connection is closed.`);
        end();
        return;
      }
      if (e instanceof BudgetExceededError) {
        shared.refusals.refuse(`control: ${e.message}`, 'control: too many unfinished requests');
        fail(null, 'bad-request', `${e.message} Nothing was done; send each request as one line ending in a newline.`);
        end();
        return;
      }
      throw e;
    }
    for (const line of lines) {
      if (ended) return;
      if (line.trim() === '') continue;
      void handleLine(line);
    }
  });
  sock.on('error', () => {});
  sock.on('close', () => {
    ended = true;
    for (const u of subs.values()) u();
    subs.clear();
    // A half-sent request is dropped with its connection, and its bytes given back.
    decoder.dispose();
  });

  async function handleLine(line: string): Promise<void> {
    opts.onRequest?.();
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      fail(null, 'bad-request', 'Malformed request: each line must be one JSON object like {"id":1,"call":"ping"}; nothing was done.');
      return;
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success) {
      const rid = typeof (raw as { id?: unknown })?.id === 'number' || typeof (raw as { id?: unknown })?.id === 'string' ? ((raw as { id: MessageId }).id) : null;
      fail(rid, 'bad-request', `${invalidRequest('the envelope', env.error).error.message} (expected {id, call, req}, {id, subscribe, req} or {id, unsubscribe}); nothing was done.`);
      return;
    }
    const msg = env.data;
    if ('unsubscribe' in msg) {
      subs.get(msg.unsubscribe)?.();
      subs.delete(msg.unsubscribe);
      send({ id: msg.id, result: { unsubscribed: msg.unsubscribe } });
      return;
    }
    if ('subscribe' in msg) {
      subscribe(msg.id, msg.subscribe, msg.req ?? {});
      return;
    }
    const id = msg.id;
    const req = msg.req ?? {};
    const r = isCallName(msg.call)
      ? await dispatch.call(msg.call, req)
      : await runCall(controlCalls, msg.call, req, (call, value) => dispatchControl(call as ControlCallName, value, id), {
          known: [...Object.keys(calls), ...Object.keys(controlCalls)],
          onFailure: (call, e, cause) => {
            if (e.error.code === 'internal') owner.log(`control: ${call} failed: ${(cause as Error)?.stack ?? e.error.message}`);
          },
        });
    if (!r.ok) return send({ id, error: r.error.error });
    if (r.value === NO_ANSWER) return;
    send({ id, result: r.value });
  }

  function subscribe(id: MessageId, topic: 'snapshot' | 'logs', req: unknown): void {
    if (subs.has(id)) return fail(id, 'conflict', `Subscription id ${id} is already in use on this connection.`);
    const parsed = subscriptionSchemas[topic].safeParse(req);
    if (!parsed.success) return void send({ id, error: invalidRequest(`subscription \`${topic}\``, parsed.error).error });
    if (topic === 'snapshot') {
      subs.set(id, dispatch.onSnapshot((s) => send({ id, event: s })));
      send({ id, result: { subscribed: topic } });
      send({ id, event: owner.snapshot() });
      return;
    }
    const sub = parsed.data as TopicRequest<'logs'>;
    // The acceptance goes first, then the first batch (history and cursor), sent at once by followLogs.
    let early: LogBatch[] | null = [];
    const r = dispatch.followLogs(sub, (batch) => (early ? early.push(batch) : send({ id, event: batch })));
    if (!r.ok) return void send({ id, error: r.error.error });
    send({ id, result: { subscribed: topic } });
    for (const batch of early) send({ id, event: batch });
    early = null;
    subs.set(id, r.value);
  }

  async function dispatchControl(call: ControlCallName, value: unknown, id: MessageId): Promise<unknown> {
    const v = { value };
    switch (call) {
      case 'ping':
        return {
          protocol: PROTOCOL_VERSION,
          pid: process.pid,
          kind: owner.lock.info.kind,
          home: owner.dir.home,
          socket: opts.socketPath,
          since: owner.lock.info.since,
          version: opts.version,
        };
      case 'up': {
        const { spec, handover, ...r } = v.value as { file: string; env?: Record<string, string>; services?: string[]; spec?: StackSpec; handover?: string };
        // A parse is taken only from the CLI that started this daemon, once; any other caller's file is read here.
        return upStack(owner, spec && handover && spec.file === r.file && opts.takeHandover?.(handover) ? { ...r, spec } : r);
      }
      case 'addStack': {
        const r = v.value as { file: string; env?: Record<string, string> };
        return addStackFile(owner, r.file, r.env);
      }
      case 'removeStack':
        return owner.removeStack((v.value as { stack: string }).stack);
      case 'stacks':
        return stackList(owner);
      case 'ps':
        return listServiceProcesses(owner, (v.value as { stack?: string }).stack);
      case 'doctor':
        return runDoctor(owner, v.value as { file?: string; env?: Record<string, string>; fix?: boolean; only?: boolean });
      case 'webUi':
        if (!opts.webUi) throw new ConflictError('This owner does not serve a web UI.');
        return opts.webUi();
      case 'handover':
      case 'shutdown': {
        const handler = call === 'handover' ? opts.onHandover : opts.onShutdown;
        if (!handler) throw new ConflictError(`This owner (${owner.lock.info.kind}) does not accept \`${call}\` over the control socket.`);
        owner.log(`control: ${call} requested`);
        // Answer first: the handler ends this process's ownership (and usually the process).
        send({ id, result: { pid: process.pid } });
        await new Promise<void>((resolve) => (sock.writableLength === 0 ? resolve() : sock.once('drain', () => resolve())));
        const stop = call === 'shutdown' ? (v.value as { stopServices: boolean }).stopServices : false;
        setImmediate(() => void Promise.resolve(call === 'handover' ? opts.onHandover!() : opts.onShutdown!(stop)).catch((e) => owner.log(`control: ${call} failed: ${(e as Error).message}`)));
        return NO_ANSWER;
      }
    }
  }
}

const NO_ANSWER = Symbol('no-answer');
