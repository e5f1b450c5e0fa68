// What the lifecycle manager needs to know about processes and sockets,
// per operating system. Linux reads /proc; macOS asks ps, sysctl and lsof.

/** A process is (pid, kernel start time, boot id): a pid alone can be reused. */
export interface ProcessIdentity {
  pid: number;
  /** Kernel start time, opaque but stable for the life of the process (Linux: clock ticks since boot). */
  start: string;
  boot: string;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** One-letter state (R, S, D, Z, T…). Z counts as dead everywhere in Corral. */
  state: string;
  start: string;
  command: string;
  /** Login name of the owner, where the platform gives it cheaply (single-process lookups; not every scan row). */
  user?: string;
}

/** One read of the process table with every process's marker (see process-scan.ts). */
export interface ProcessScan {
  procs: ProcessInfo[];
  /** CORRAL_INSTANCE per pid: '' when readable and absent, null when unreadable. */
  markers: Map<number, string | null>;
}

/** A process as a resource sample sees it: enough to tell which service it belongs to, and what it uses. */
export interface ProcessUsage extends ProcessInfo {
  /** CPU time used so far, user + system, in milliseconds. */
  cpuMs: number;
  /** Resident memory, in bytes. */
  rssBytes: number;
}

export interface PortListener {
  port: number;
  address: string;
  /** Holder pids; empty when the socket's owner cannot be seen (another user's process). */
  pids: number[];
}

export type SignalOutcome = 'sent' | 'gone' | 'not-ours';

export interface Platform {
  readonly name: 'linux' | 'darwin';
  /**
   * Whether reading a process's identity (its start time) is cheap enough to ask every second
   * per process: Linux reads one /proc file; macOS starts a ps.
   */
  readonly cheapIdentity: boolean;
  bootId(): Promise<string>;
  /** Info of a live (non-zombie) process, or null. */
  processInfo(pid: number): Promise<ProcessInfo | null>;
  listProcesses(): Promise<ProcessInfo[]>;
  /** The user's live processes with their markers, in as few tool calls as the platform allows. */
  scan(): Promise<ProcessScan>;
  /**
   * Live processes with their CPU time and resident memory, in one pass: with `roots`, only
   * those trees (each root and its descendants; Linux: /proc/<pid>/stat and the children
   * files of those processes alone; macOS: one ps); else every process of the user. `command`
   * may be the short name only. What the resource sampler reads on each tick while a view watches.
   */
  usage(roots?: readonly number[]): Promise<ProcessUsage[]>;
  /** Markers of these processes (see readMarker), in as few tool calls as the platform allows. */
  readMarkers(pids: readonly number[]): Promise<Map<number, string | null>>;
  /**
   * The live processes of these trees (each root and its descendants) with their markers,
   * read without the rest of the table (Linux: /proc/<pid>/task/<tid>/children); null where
   * the platform cannot (then the caller scans the table).
   */
  scanTrees?(roots: readonly number[]): Promise<ProcessScan | null>;
  /**
   * Value of CORRAL_INSTANCE in the process's environment: '' when the environment
   * is readable and has none (not ours), null when it cannot be read (macOS, another user).
   */
  readMarker(pid: number): Promise<string | null>;
  /** LISTEN TCP sockets, restricted to `ports` when given. */
  listeners(ports?: readonly number[]): Promise<PortListener[]>;
  /**
   * Checks the identity and signals in one step, so nothing can reuse the pid
   * between check and kill (Linux does both synchronously).
   */
  signalProcess(identity: ProcessIdentity, signal: NodeJS.Signals): Promise<SignalOutcome>;
  /**
   * Signals a whole process group, after proving it is ours: some live member of
   * group `pgid` must match one of `proof`. A pgid cannot be reused while any member lives.
   */
  signalGroup(pgid: number, proof: readonly ProcessIdentity[], signal: NodeJS.Signals): Promise<SignalOutcome>;
}

export const MARKER_VAR = 'CORRAL_INSTANCE';
