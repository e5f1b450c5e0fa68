// The resolved form of a stack file: what the lifecycle manager runs.
// The YAML schema (stack-schema.ts) parses into this; nothing here does I/O.

export type DependencyCondition = 'started' | 'healthy' | 'completed';
export type RestartPolicy = 'always' | 'on-failure' | 'never';

export type HealthCheck =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string; status: [number, number] }
  | { kind: 'grpc'; host: string; port: number; service: string }
  | { kind: 'exec'; command: string[] }
  /** Ready when a line of the service's log, written since this start, matches (JavaScript regular expression). */
  | { kind: 'log'; pattern: string };

export interface HealthSpec {
  check: HealthCheck;
  /** Liveness interval once the service is healthy. */
  intervalMs: number;
  /** Bound on one probe attempt. */
  timeoutMs: number;
  /** Consecutive liveness failures before the service is declared unhealthy and restarted. */
  failureThreshold: number;
}

export interface RestartSpec {
  policy: RestartPolicy;
  /** Delay before the second consecutive restart (the first is immediate); doubles per crash up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Uptime after which the backoff and the crash counter reset. */
  resetAfterMs: number;
  /** `crashLoopCount` crashes within `crashLoopWindowMs` → state `failed`. */
  crashLoopCount: number;
  crashLoopWindowMs: number;
}

export interface StopSpec {
  signal: string;
  graceMs: number;
}

export interface ServiceSpec {
  name: string;
  /** argv; a string command in the file becomes ['/bin/sh', '-c', command]. */
  command: string[];
  /** Absolute working directory. */
  cwd: string;
  /** Where the stack file sets the working directory (`file:line`), for an error at start; not part of the definition. */
  cwdAt?: string;
  /** Environment added to the owner's (env_file first, then env). */
  env: Record<string, string>;
  ports: number[];
  health: HealthSpec | null;
  dependsOn: Record<string, DependencyCondition>;
  restart: RestartSpec;
  stop: StopSpec;
  /** Bound on reaching the first healthy probe (or staying up, without a probe). */
  startTimeoutMs: number;
  /** Without a health check: started once up this long; an exit before is a failed start (0: at once). */
  readyAfterMs: number;
  /** A task that runs to completion: `completed` on exit 0, `failed` otherwise, never restarted. */
  oneshot: boolean;
  /** A program that forks into the background and exits 0 during startup is an error, not followed. */
  foregroundOnly: boolean;
  /** Where the service is opened in a browser (`corral open`, Open in the window and tray); null: none declared. */
  url: string | null;
  /**
   * Absolute paths (directories or files) whose changes restart it while it runs
   * (`watch` in the file); [] for none. Stacks registered before `watch` existed lack it.
   */
  watch?: string[];
}

export interface StackSpec {
  version: 1;
  name: string;
  /** Absolute path of the stack file ('' for a stack built in code). */
  file: string;
  /** Services in a valid start order (dependencies first). */
  services: ServiceSpec[];
  /**
   * The `${VAR}`s the file was expanded with (null: unset then), so the owner
   * reads the file again, when it changes on disk, as `corral up` read it.
   */
  vars?: Record<string, string | null>;
  /** sha-256 of the file's text as read: a file saved without a change is not parsed again. */
  digest?: string;
}

export const STACK_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** The names `corral` looks for in a directory, in order. */
export const STACK_FILE_NAMES = ['corral.yaml', 'corral.yml'] as const;
