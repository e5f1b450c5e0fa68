// The headless owner (`corral daemon`): an Owner, its control socket, and log
// rotation, in plain Node. It ends on `shutdown` (services keep running unless
// asked), on `handover` (services keep running; the next owner adopts them),
// or when its process is told to stop (SIGTERM, SIGINT: same as shutdown
// without stopping services).
import { closeSync, openSync } from 'node:fs';
import type { Owner } from '../engine/owner.js';
import type { OwnerKind } from '../engine/state/owner-lock.js';
import { DataDir, HANDOVER_VAR, defaultHome } from '../engine/state/paths.js';
import { openOwner } from './control/handover.js';
import { openOnDesktop } from './desktop.js';
import { startControlServer, type ControlServer } from './control/server.js';
import { controlSocketPath } from './control/socket-path.js';
import { LogRotator, type RotationOptions } from '../engine/logs/log-rotate.js';
import { parseDuration } from '../../shared/duration.js';
import type { WebUi } from './web/server.js';
import { createApi, type HostApi } from './api.js';
import { heapTrim } from './heap-trim.js';

export interface DaemonOptions {
  home?: string;
  kind?: OwnerKind;
  /** Ask a running owner to hand over instead of failing with OwnerBusyError. */
  takeOver?: boolean;
  /** Receives every owner log line (besides the owner log file). */
  onLog?: (line: string) => void;
  rotation?: Partial<RotationOptions>;
  version?: string;
  adoptPollMs?: number;
  /** How the owner opens a folder for the user (the app passes Electron's shell.openPath). */
  openPath?: (path: string) => Promise<boolean>;
  /** How the owner opens a web address (the app passes Electron's shell.openExternal). */
  openUrl?: (url: string) => Promise<boolean>;
  /**
   * This process is the daemon (not the app): an uncaught exception writes a
   * fatal line to owner.log and exits 70; an unhandled rejection is logged and
   * the owner goes on.
   */
  processHandlers?: boolean;
}

export type DaemonEnd = { reason: 'shutdown' | 'handover' | 'stop'; stopServices: boolean; timeoutMs?: number };

export interface Daemon {
  readonly owner: Owner;
  /** The API contract served by this owner (the app's IPC, the web UI and the control socket share it). */
  readonly api: HostApi;
  readonly control: ControlServer;
  readonly rotator: LogRotator;
  readonly socketPath: string;
  /** Starts the local web UI once; its address with the token. */
  webUi(): Promise<{ url: string }>;
  /** Resolves once the daemon has closed (lock released). */
  readonly done: Promise<DaemonEnd>;
  stop(opts?: { stopServices?: boolean; timeoutMs?: number }): Promise<DaemonEnd>;
}

/** Rotation settings from CORRAL_LOG_* variables (sizes in bytes, durations like "7d" are not accepted: use "168h"). */
export function rotationFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<RotationOptions> {
  const out: Partial<RotationOptions> = {};
  const int = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got \`${v}\``);
    return n;
  };
  const maxBytes = int('CORRAL_LOG_MAX_BYTES');
  if (maxBytes) out.maxBytes = maxBytes;
  const checkMs = int('CORRAL_LOG_CHECK_MS');
  if (checkMs) out.checkMs = checkMs;
  const keep = int('CORRAL_LOG_KEEP');
  const age = env.CORRAL_LOG_MAX_AGE ? parseDuration(env.CORRAL_LOG_MAX_AGE) : undefined;
  if (keep || age) out.retention = { keep: keep || 5, maxAgeMs: age ?? 7 * 24 * 3600 * 1000 };
  if (env.CORRAL_LOG_PAUSE === '0') out.pause = false;
  const ownerMax = int('CORRAL_OWNER_LOG_MAX_BYTES');
  if (ownerMax) out.ownerLogMaxBytes = ownerMax;
  return out;
}

/**
 * Becomes the owner and serves the control socket. Throws OwnerBusyError when
 * another owner runs (and `takeOver` is not set), SocketPathError when no
 * short enough socket path exists.
 */
export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  // The secret of the CLI that started this daemon (`up` in control/protocol.ts): read once, and out of
  // the environment before any service could inherit it.
  let handover = process.env[HANDOVER_VAR] ?? null;
  delete process.env[HANDOVER_VAR];
  const dir = new DataDir(opts.home ?? defaultHome());
  // Checked before taking the lock: an owner nobody can reach is worse than none.
  const socketPath = controlSocketPath(dir);
  const owner = await openOwner({
    home: dir.home,
    kind: opts.kind ?? 'daemon',
    takeOver: opts.takeOver,
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
    ...(opts.adoptPollMs ? { adoptPollMs: opts.adoptPollMs } : {}),
    openPath: opts.openPath ?? openOnDesktop,
    openUrl: opts.openUrl ?? openOnDesktop,
    ...(opts.rotation?.retention ? { logRetention: opts.rotation.retention } : {}),
  });
  const rotator = new LogRotator(owner, opts.rotation);
  const trim = heapTrim();
  owner.on('snapshot', trim.activity);
  const api = createApi(owner);
  let resolveDone!: (e: DaemonEnd) => void;
  const done = new Promise<DaemonEnd>((r) => (resolveDone = r));
  let ending: Promise<DaemonEnd> | null = null;
  let control: ControlServer | null = null;
  // The web UI starts on the first `corral ui` (or `webUi()`), not before: no open port nobody asked
  // for, and its code (node:http, sessions, static files) is not even loaded until then.
  let web: Promise<WebUi> | null = null;
  const webUi = async () => {
    web ??= import('./web/server.js').then(({ startWebUi, defaultRendererDir }) => startWebUi(api, { rendererDir: defaultRendererDir(), log: (l) => owner.log(`web: ${l}`) }));
    try {
      return { url: (await web).openUrl() };
    } catch (e) {
      web = null;
      throw e;
    }
  };
  const end = (e: DaemonEnd): Promise<DaemonEnd> => {
    ending ??= (async () => {
      await control?.close();
      await web?.then((w) => w.close()).catch(() => {});
      await rotator.stop();
      await owner.close({ stopServices: e.stopServices, ...(e.timeoutMs ? { timeoutMs: e.timeoutMs } : {}) });
      owner.off('snapshot', trim.activity);
      trim.dispose();
      resolveDone(e);
      return e;
    })();
    return ending;
  };
  try {
    control = await startControlServer(owner, {
      socketPath,
      version: opts.version ?? 'unknown',
      onHandover: () => void end({ reason: 'handover', stopServices: false }),
      onShutdown: (stopServices) => void end({ reason: 'shutdown', stopServices }),
      webUi,
      api,
      onRequest: trim.activity,
      takeHandover: (secret) => {
        const ok = handover !== null && secret === handover;
        if (ok) handover = null;
        return ok;
      },
    });
    owner.lock.setSocket(socketPath);
  } catch (e) {
    await owner.close({ stopServices: false });
    throw e;
  }
  rotator.start();
  if (opts.processHandlers) {
    const undo = installProcessHandlers(owner);
    void done.then(() => undo());
  }
  owner.log(`control socket ${socketPath}`);
  return {
    owner,
    api,
    control,
    rotator,
    socketPath,
    done,
    webUi,
    stop: (o = {}) => end({ reason: 'stop', stopServices: o.stopServices ?? false, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) }),
  };
}

/**
 * The daemon's last words. One descriptor is held in reserve and given back
 * first, so the fatal line reaches owner.log even when the process died of
 * running out of them (EMFILE). Returns the undo.
 */
function installProcessHandlers(owner: Owner): () => void {
  let reserve: number | null = null;
  try {
    reserve = openSync('/dev/null', 'r');
  } catch {}
  const onException = (err: Error) => {
    if (reserve !== null) {
      try {
        closeSync(reserve);
      } catch {}
      reserve = null;
    }
    owner.log(`fatal: ${err?.stack ?? String(err)}; the owner exits (70), services keep running (the next owner adopts them)`);
    process.exit(70);
  };
  const onRejection = (reason: unknown) => {
    owner.log(`error: unhandled rejection (the owner goes on): ${(reason as Error)?.stack ?? String(reason)}`);
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    if (reserve !== null) closeSync(reserve);
    reserve = null;
  };
}
