// Exit codes of `corral`, documented in the README ("Exit codes"). Scripts can rely on them.
export const EXIT = {
  ok: 0,
  /** The action ran and did not succeed: a service is not healthy, a stop left processes, doctor found errors. */
  failed: 1,
  /** Wrong usage: unknown verb or option, bad value. */
  usage: 2,
  /** The stack file is missing or invalid (the message names file, line and field). */
  stackFile: 3,
  /** No owner could be reached or started. */
  owner: 4,
  /** Interrupted (Ctrl-C) while waiting; the owner goes on with what was asked. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI prints as one message (no stack trace) and exits with `code`. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
