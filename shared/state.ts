// The state model: one small closed type per service, and the snapshot every
// view (CLI, tray, window) renders. Pure data, no I/O.

export const SERVICE_STATES = ['stopped', 'starting', 'running', 'unhealthy', 'stopping', 'backoff', 'failed'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
  /** 'crashed' | 'exited' | 'killed-unhealthy' | 'stopped' | 'start-timeout' | 'vanished' */
  reason: string;
}

export interface HealthResult {
  ok: boolean;
  detail: string;
  at: number;
}

export interface ProcessRef {
  pid: number;
  command: string;
  user?: string;
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
  /** Why the service is in its state when that is not obvious: failed, waiting, port conflict. */
  reason: string | null;
  /** Last lines of the log, kept when the service failed. */
  lastLogLines: string[];
  /** Processes that a stop could not end (never reported as stopped). */
  survivors: ProcessRef[];
  /** A foreign process that holds one of the declared ports. */
  portHolder: (ProcessRef & { port: number }) | null;
  logFile: string;
  dependsOn: Record<string, 'started' | 'healthy'>;
}

export interface StackSnapshot {
  name: string;
  file: string;
  services: ServiceSnapshot[];
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

export type Aggregate = 'running' | 'starting' | 'degraded' | 'failed' | 'stopped';

/** One word for a whole set of services: what the tray icon shows. */
export function aggregateState(services: readonly Pick<ServiceSnapshot, 'state' | 'desired'>[]): Aggregate {
  if (services.some((s) => s.state === 'failed')) return 'failed';
  const wanted = services.filter((s) => s.desired === 'up');
  if (wanted.length === 0) return services.some((s) => s.state !== 'stopped') ? 'degraded' : 'stopped';
  if (wanted.some((s) => s.state === 'unhealthy' || s.state === 'backoff')) return 'degraded';
  if (wanted.some((s) => s.state === 'starting' || s.state === 'stopping')) return 'starting';
  if (wanted.every((s) => s.state === 'running')) return 'running';
  return 'degraded';
}

/** How an exit reads in a sentence: "exited with code 1", "was killed by SIGKILL". */
export function describeExit(exit: Pick<ExitInfo, 'code' | 'signal' | 'reason'>): string {
  if (exit.reason === 'start-timeout') return 'did not become healthy in time';
  if (exit.reason === 'killed-unhealthy') return 'was killed after failing its health checks';
  if (exit.reason === 'vanished') return 'exited (exit code unknown: adopted process)';
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
