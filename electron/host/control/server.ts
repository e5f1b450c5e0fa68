// The owner's control server: the CLI (and a second app instance) reach the
// owner here. Every request is validated before anything runs; a malformed
// one gets an error and changes nothing, an oversized one also closes its
// connection (F21). Who may connect is decided by the file system: the socket
// is 0600 in a 0700 directory of ours.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Owner } from '../../engine/owner.js';
import { isCallName, validateRequest, type CorralApi } from '../../../shared/api.js';
import {
  LineDecoder,
  MAX_REQUEST_BYTES,
  MessageTooLargeError,
  PROTOCOL_VERSION,
  envelopeSchema,
  errorOf,
  isControlCall,
  subscriptionSchemas,
  validateControlRequest,
  describeIssue,
  type ControlCallName,
  type ErrorCode,
  type MessageId,
  type ServerMessage,
  type TopicRequest,
} from './protocol.js';
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
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    handleConnection(owner, sock, opts);
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
        try {
          unlinkSync(opts.socketPath);
        } catch {}
      });
      return closed;
    },
  };
}

function handleConnection(owner: Owner, sock: Socket, opts: ControlServerOptions): void {
  const decoder = new LineDecoder(MAX_REQUEST_BYTES);
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
  const fail = (id: MessageId | null, code: Parameters<typeof errorBody>[0], message: string) => send({ id, error: errorBody(code, message) });
  const end = () => {
    if (ended) return;
    ended = true;
    for (const u of subs.values()) u();
    subs.clear();
    sock.end();
    // A peer that stops reading must not keep the socket open forever.
    setTimeout(() => sock.destroy(), 1000).unref();
  };

  sock.on('data', (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = decoder.push(chunk);
    } catch (e) {
      if (e instanceof MessageTooLargeError) {
        owner.log(`control: refused a request larger than ${MAX_REQUEST_BYTES} bytes`);
        fail(null, 'bad-request', `Request larger than ${MAX_REQUEST_BYTES} bytes (1 MiB): refused, nothing was done; the connection is closed.`);
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
  });

  async function handleLine(line: string): Promise<void> {
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
      fail(rid, 'bad-request', `${describeIssue('the envelope', env.error)} (expected {id, call, req}, {id, subscribe, req} or {id, unsubscribe}); nothing was done.`);
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
    try {
      const result = await dispatch(msg.call, msg.req ?? {}, msg.id);
      if (result === NO_ANSWER) return;
      send({ id: msg.id, result });
    } catch (e) {
      const err = errorOf(e);
      if (err.code === 'internal') owner.log(`control: ${msg.call} failed: ${err.message}`);
      send({ id: msg.id, error: err });
    }
  }

  function subscribe(id: MessageId, topic: 'snapshot' | 'logs', req: unknown): void {
    if (subs.has(id)) return fail(id, 'conflict', `Subscription id ${id} is already in use on this connection.`);
    const parsed = subscriptionSchemas[topic].safeParse(req);
    if (!parsed.success) return fail(id, 'bad-request', describeIssue(`subscription \`${topic}\``, parsed.error));
    const api: CorralApi = owner.api;
    if (topic === 'snapshot') {
      subs.set(id, api.onSnapshot((s) => send({ id, event: s })));
      send({ id, result: { subscribed: topic } });
      send({ id, event: owner.snapshot() });
      return;
    }
    const sub = parsed.data as TopicRequest<'logs'>;
    // The acceptance goes first, then the first batch (history and cursor), sent at once by followLogs.
    let accepted = false;
    const queued: unknown[] = [];
    try {
      subs.set(
        id,
        owner.followLogs(sub, (batch) => {
          if (accepted) send({ id, event: batch });
          else queued.push(batch);
        }),
      );
    } catch (e) {
      return void send({ id, error: errorOf(e) });
    }
    accepted = true;
    send({ id, result: { subscribed: topic } });
    for (const batch of queued) send({ id, event: batch });
  }

  async function dispatch(call: string, req: unknown, id: MessageId): Promise<unknown> {
    if (isCallName(call)) {
      const v = validateRequest(call, req);
      if (!v.ok) throw Object.assign(new Error(v.error.error.message), { code: v.error.error.code });
      const fn = owner.api[call] as (r: unknown) => Promise<unknown>;
      return fn(v.value);
    }
    if (!isControlCall(call)) throw Object.assign(new Error(`Unknown call \`${call}\`; nothing was done.`), { code: 'not-found' });
    return dispatchControl(call, req, id);
  }

  async function dispatchControl(call: ControlCallName, req: unknown, id: MessageId): Promise<unknown> {
    const v = validateControlRequest(call, req);
    if (!v.ok) throw Object.assign(new Error(v.error.error.message), { code: v.error.error.code });
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
        const r = v.value as { file: string; env?: Record<string, string>; services?: string[] };
        return upStack(owner, r);
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
        return runDoctor(owner, v.value as { file?: string; env?: Record<string, string>; fix?: boolean });
      case 'webUi':
        if (!opts.webUi) throw Object.assign(new Error('This owner does not serve a web UI.'), { code: 'conflict' });
        return opts.webUi();
      case 'handover':
      case 'shutdown': {
        const handler = call === 'handover' ? opts.onHandover : opts.onShutdown;
        if (!handler) throw Object.assign(new Error(`This owner (${owner.lock.info.kind}) does not accept \`${call}\` over the control socket.`), { code: 'conflict' });
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

function errorBody(code: ErrorCode, message: string): { code: ErrorCode; message: string } {
  return { code, message };
}
