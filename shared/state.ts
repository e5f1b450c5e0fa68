// The state model: one small closed type per service, and the snapshot every
// view (CLI, tray, window) renders. Pure data, no I/O. What a state means in a
// sentence is shared/explain.ts: views never re-derive it.
import type { DependencyCondition } from './stack.js';

export type { DependencyCondition };

/**
 * - `stopped`: no instance; either the user stopped it (`desired: 'down'`) or it exited and its policy does not restart it.
 * - `held`: the user wants it up, but a dependency is not in the state it needs (see `held`); it starts when it is.
 * - `starting`: an instance runs and has not passed its readiness check yet.
 * - `running`: ready (healthy, or started where there is no check).
 * - `unhealthy`: running, but its health checks fail (past the threshold).
 * - `backoff`: the instance ended; a restart is scheduled (`nextRestartAt`).
 * - `stopping`: a stop is under way.
 * - `failed`: Corral gave up or could not start it (crash loop, port held, command missing, stop left processes): `reason` says why.
 * - `completed`: a one-shot task that exited 0.
 */
export const SERVICE_STATES = ['stopped', 'held', 'starting', 'running', 'unhealthy', 'backoff', 'stopping', 'failed', 'completed'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** Why an instance ended. */
export type ExitReason =
  /** exit code 0, not asked for */
  | 'exited'
  /** non-zero exit or a signal, not asked for */
  | 'crashed'
  /** killed by Corral after failing its health checks */
  | 'killed-unhealthy'
  /** stopped by Corral because the user asked */
  | 'stopped'
  /** ended by Corral: not ready within its start timeout */
  | 'start-timeout'
  /** an adopted process that is gone: its exit code cannot be known */
  | 'vanished';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
  reason: ExitReason;
  /** The pid that ended, where known. */
  pid?: number;
}

/** What a held service waits for: the first unmet dependency, and that dependency's state now. */
export interface HeldOn {
  dependency: string;
  condition: DependencyCondition;
  /** The dependency's state now; null when it is not in the stack. */
  state: ServiceState | null;
}

export interface HealthResult {
  ok: boolean;
  detail: string;
  at: number;
  /** While starting: how many probes have failed so far. */
  tries?: number;
}

export interface ProcessRef {
  pid: number;
  command: string;
  user?: string;
}

/** CPU and memory of a service's whole process tree (group, escaped descendants, recorded children). */
export interface ResourceUse {
  /** Percent of one core over the last sampling interval (above 100 when several cores are busy). */
  cpuPercent: number;
  /** Resident memory of all its processes, in bytes. */
  memoryBytes: number;
  /** How many processes were counted. */
  processes: number;
  /** When it was sampled (epoch ms). */
  at: number;
}

export interface ServiceSnapshot {
  stack: string;
  name: string;
  state: ServiceState;
  desired: 'up' | 'down';
  pid: number | null;
  adopted: boolean;
  restarts: number;
  ports: number[];
  startedAt: number | null;
  lastExit: ExitInfo | null;
  health: HealthResult | null;
  /** The engine's own words for a failure or a stop that left something behind (failed: why; stopped: a port still held). */
  reason: string | null;
  /** While `held`: what it waits for. */
  held: HeldOn | null;
  /** While `backoff`: when the next start is due (epoch ms). */
  nextRestartAt: number | null;
  /** Its log file was deleted while it runs: its output is lost until it restarts. */
  logMissing: boolean;
  /** It forked into the background during startup (its first process exited 0): Corral follows `pid`. */
  daemonized: boolean;
  /** Where it is opened in a browser: its `url`, else the address of its http health check; null: none. */
  url: string | null;
  /** Last lines of the log, kept when the service failed. */
  lastLogLines: string[];
  /** Processes that a stop could not end (never reported as stopped). */
  survivors: ProcessRef[];
  /** A foreign process that holds one of the declared ports. */
  portHolder: (ProcessRef & { port: number }) | null;
  logFile: string;
  dependsOn: Record<string, DependencyCondition>;
  /** A one-shot task (runs to completion) rather than a service that stays up. */
  oneshot: boolean;
  /** Its resource use, sampled only while a view watches (or a status asks); null: not sampled, or nothing runs. */
  resources: ResourceUse | null;
  /** Corral restarted it because files under its `watch` paths changed (cleared by any other start or stop). */
  watchRestart?: WatchRestart | null;
}

/** A restart for a changed watched file: what changed (relative to the service's working directory) and when. */
export interface WatchRestart {
  /** The file that changed ("src/server.js"); when several did, the last one. */
  file: string;
  /** How many other files changed in the same burst. */
  others: number;
  at: number;
}

/** The stack file on disk differs from what the owner runs: what `corral up` (or Apply) would do. Never applied by itself. */
export interface StackChange {
  /** When the owner noticed it (epoch ms). */
  at: number;
  /** The file cannot be used as it is (why, in a sentence); nothing can be applied until it is fixed. */
  error: string | null;
  /** Services whose definition changed: applying restarts them. */
  restart: string[];
  /** Services the file adds. */
  add: string[];
  /** Services the file no longer has: applying stops them. */
  remove: string[];
}

export interface StackSnapshot {
  name: string;
  file: string;
  services: ServiceSnapshot[];
  /** The file changed on disk since it was applied; null: what runs is what the file says. */
  pending: StackChange | null;
}

export interface OwnerInfo {
  pid: number;
  kind: 'app' | 'daemon' | 'embedded';
  since: number;
  home: string;
  /** Where the app is the owner: whether the OS lets it launch at login, and if not, why (a sentence). */
  launchAtLogin?: { available: true } | { available: false; reason: string };
}

/** What the user chose in the tray or the window; the owner stores it, the app acts on it. */
export interface Settings {
  stopServicesOnQuit: boolean;
  launchAtLogin: boolean;
  notifyOnFailure: boolean;
}

export interface Snapshot {
  seq: number;
  owner: OwnerInfo;
  stacks: StackSnapshot[];
  /** Sent with every snapshot, so every view sees a change made elsewhere (tray, window, another page). */
  settings: Settings;
}

/**
 * One word for a whole set of services: what the tray icon shows.
 * `partial`: everything the user wants up is up, and some services were stopped by the user.
 */
export type Aggregate = 'running' | 'partial' | 'starting' | 'degraded' | 'failed' | 'stopped';

/** Settled states of a service the user wants up: nothing more will happen without a change. */
const UP_STATES: readonly ServiceState[] = ['running', 'completed'];

/** A one-shot task that is not running and has not failed needs nothing: it is not counted. */
const idleTask = (s: { state: ServiceState; oneshot?: boolean }) => s.oneshot === true && (s.state === 'stopped' || s.state === 'completed');

export function aggregateState(services: readonly (Pick<ServiceSnapshot, 'state' | 'desired'> & { oneshot?: boolean })[]): Aggregate {
  if (services.some((s) => s.state === 'failed')) return 'failed';
  const wanted = services.filter((s) => s.desired === 'up' && !idleTask(s));
  if (wanted.length === 0) return services.some((s) => s.state !== 'stopped' && s.state !== 'completed') ? 'degraded' : 'stopped';
  if (wanted.some((s) => s.state === 'unhealthy' || s.state === 'backoff' || s.state === 'held')) return 'degraded';
  if (wanted.some((s) => s.state === 'starting' || s.state === 'stopping')) return 'starting';
  if (!wanted.every((s) => UP_STATES.includes(s.state))) return 'degraded';
  return services.some((s) => s.desired === 'down' && !s.oneshot) ? 'partial' : 'running';
}

/** How an exit reads in a sentence: "exited with code 1", "was killed by SIGKILL". */
export function describeExit(exit: Pick<ExitInfo, 'code' | 'signal' | 'reason'>): string {
  if (exit.reason === 'start-timeout') return 'did not become healthy in time';
  if (exit.reason === 'killed-unhealthy') return 'was killed after failing its health checks';
  if (exit.reason === 'vanished') return 'exited (exit code unknown: adopted process)';
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
