// Becoming the owner of a data directory, politely: when another owner holds
// the lock, it is asked over its socket to hand over (close without stopping
// services and release the lock), then the lock is taken and the services are
// adopted. The tray app uses this when a headless daemon runs; `corral daemon
// --take-over` does the reverse.
import { Owner, type OwnerOptions } from '../../engine/owner.js';
import { OwnerBusyError, readOwnerLock, type LockInfo } from '../../engine/state/owner-lock.js';
import { DataDir, defaultHome } from '../../engine/state/paths.js';
import { resumePausedServices } from '../../engine/logs/log-rotate.js';
import { waitUntil } from '../../engine/wait.js';
import { ControlClient } from './client.js';

export class HandoverError extends Error {
  constructor(
    message: string,
    readonly holder: LockInfo,
  ) {
    super(message);
    this.name = 'HandoverError';
  }
}

/**
 * Opens the owner. With `takeOver`, a live owner is asked to hand over first;
 * without it, OwnerBusyError is thrown as by `Owner.open`.
 */
export async function openOwner(opts: OwnerOptions & { takeOver?: boolean; handoverTimeoutMs?: number }): Promise<Owner> {
  const dir = new DataDir(opts.home ?? defaultHome());
  const timeoutMs = opts.handoverTimeoutMs ?? 30_000;
  for (let attempt = 0; ; attempt++) {
    // A previous owner that died mid-rotation left its service paused: resume it before adopting (which probes it).
    if ((await readOwnerLock(dir.lockFile)).live === null) await resumePausedServices(dir, (m) => opts.onLog?.(m));
    try {
      return await Owner.open({ ...opts, home: dir.home });
    } catch (e) {
      if (!(e instanceof OwnerBusyError) || !opts.takeOver || attempt >= 5) throw e;
      await requestHandover(dir, e.holder, timeoutMs);
    }
  }
}

/** Asks the holder to hand over and waits until its lock is released. */
export async function requestHandover(dir: DataDir, holder: LockInfo, timeoutMs: number): Promise<void> {
  let socket = holder.socket;
  if (!socket) {
    // Still starting: it records its socket once it listens.
    await waitUntil(async () => {
      const cur = await readOwnerLock(dir.lockFile);
      socket = cur.live?.pid === holder.pid ? cur.live.socket : null;
      return socket !== null || cur.live?.pid !== holder.pid;
    }, timeoutMs);
    if (!socket) {
      const cur = await readOwnerLock(dir.lockFile);
      if (cur.live?.pid !== holder.pid) return;
      throw new HandoverError(`The owner (${holder.kind}, pid ${holder.pid}) has no control socket to ask for a handover; quit it first.`, holder);
    }
  }
  let client: ControlClient;
  try {
    client = await ControlClient.connect(socket, 5000);
  } catch (e) {
    throw new HandoverError(`The owner (${holder.kind}, pid ${holder.pid}) does not answer on ${socket}: ${(e as Error).message} Quit it (kill ${holder.pid}) and try again.`, holder);
  }
  try {
    await client.call('handover', {}, 10_000);
  } catch (e) {
    throw new HandoverError(`The owner (${holder.kind}, pid ${holder.pid}) refused to hand over: ${(e as Error).message}`, holder);
  } finally {
    client.close();
  }
  const released = await waitUntil(async () => (await readOwnerLock(dir.lockFile)).live?.pid !== holder.pid, timeoutMs);
  if (!released) throw new HandoverError(`The owner (${holder.kind}, pid ${holder.pid}) accepted the handover but still holds the lock after ${timeoutMs} ms.`, holder);
}
