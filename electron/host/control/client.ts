// A connection to an owner's control socket: typed calls, subscriptions, and
// the liveness check (an owner is alive when its socket answers a ping in time,
// not because a file exists).
import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { LineDecoder, MAX_RESPONSE_BYTES } from './wire.js';
import type {
  AnyCallName,
  AnyRequest,
  AnyResponse,
  ErrorCode,
  MessageId,
  PingResult,
  Topic,
  TopicEvent,
  TopicRequest,
} from './protocol.js';

export class ControlError extends Error {
  constructor(
    readonly code: ErrorCode | 'unreachable' | 'closed' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class ControlClient extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<MessageId, Pending>();
  private readonly subscribers = new Map<MessageId, (event: unknown) => void>();
  private closedError: ControlError | null = null;

  private constructor(
    private readonly sock: Socket,
    readonly path: string,
  ) {
    super();
    const decoder = new LineDecoder(MAX_RESPONSE_BYTES);
    sock.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = decoder.push(chunk);
      } catch (e) {
        this.fail(new ControlError('internal', (e as Error).message));
        sock.destroy();
        return;
      }
      for (const line of lines) this.onLine(line);
    });
    sock.on('error', (e) => this.fail(new ControlError('closed', `The owner's control socket failed: ${e.message}`)));
    sock.on('close', () => this.fail(new ControlError('closed', 'The owner closed the connection.')));
  }

  /** Connects, or throws ControlError('unreachable') within `timeoutMs`. */
  static connect(path: string, timeoutMs = 2000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ControlError('timeout', `No answer from ${path} within ${timeoutMs} ms.`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(new ControlClient(sock, path));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ControlError('unreachable', `Cannot connect to ${path} (${e.code ?? e.message}).`));
      });
    });
  }

  private onLine(line: string): void {
    let msg: { id?: MessageId | null; result?: unknown; error?: { code: ErrorCode; message: string }; event?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.id === null || msg.id === undefined) {
      // An error about the connection itself (oversized or unparseable request): fail everything.
      if (msg.error) this.fail(new ControlError(msg.error.code, msg.error.message));
      return;
    }
    if ('event' in msg) {
      this.subscribers.get(msg.id)?.(msg.event);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new ControlError(msg.error.code, msg.error.message));
    else p.resolve(msg.result);
  }

  private fail(e: ControlError): void {
    if (this.closedError) return;
    this.closedError = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.subscribers.clear();
    this.emit('close', e);
  }

  private send(msg: Record<string, unknown>): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = msg.id as MessageId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(JSON.stringify(msg) + '\n');
    });
  }

  call<K extends AnyCallName>(call: K, req: AnyRequest<K>, timeoutMs?: number): Promise<AnyResponse<K>> {
    const id = this.nextId++;
    const p = this.send({ id, call, req }) as Promise<AnyResponse<K>>;
    if (!timeoutMs) return p;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError('timeout', `The owner did not answer \`${call}\` within ${timeoutMs} ms.`));
      }, timeoutMs);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  /** Streams events of `topic` to `listener`; resolves once the owner accepted; returns the unsubscribe. */
  async subscribe<T extends Topic>(topic: T, req: TopicRequest<T>, listener: (event: TopicEvent<T>) => void): Promise<() => void> {
    const id = this.nextId++;
    this.subscribers.set(id, listener as (e: unknown) => void);
    try {
      await this.send({ id, subscribe: topic, req });
    } catch (e) {
      this.subscribers.delete(id);
      throw e;
    }
    return () => {
      this.subscribers.delete(id);
      if (!this.closedError) void this.send({ id: this.nextId++, unsubscribe: id }).catch(() => {});
    };
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}

/** The owner behind `path` if it answers a ping within `timeoutMs`, else null. */
export async function pingOwner(path: string, timeoutMs = 2000): Promise<PingResult | null> {
  let client: ControlClient | null = null;
  try {
    client = await ControlClient.connect(path, timeoutMs);
    return await client.call('ping', {}, timeoutMs);
  } catch {
    return null;
  } finally {
    client?.close();
  }
}
