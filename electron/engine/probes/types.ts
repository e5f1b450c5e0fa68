// The answer every probe kind gives; `detail` is shown to the user as is.

export interface ProbeResult {
  ok: boolean;
  /** One short sentence: what was tried and what came back. */
  detail: string;
  /** Failed for want of a file descriptor (EMFILE, ENFILE): not the service's fault; not counted. */
  transient?: true;
  /** Nothing listened (the connection was refused): the service itself saw nothing of the try. */
  refused?: true;
}

export interface ProbeOptions {
  /** Hard bound on the attempt, connection and answer included. */
  timeoutMs: number;
  /** Working directory of an `exec` check (the service's cwd). */
  cwd?: string;
  /** Environment of an `exec` check; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
}
