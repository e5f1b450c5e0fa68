// The errors that cross a face of the owner (control socket, HTTP, IPC), defined
// once: each has a code from a closed set, a message that tells the user what to
// do, and the original error as `cause`. `toApiError` is the one mapping from
// whatever a call threw to the plain `{error}` every transport sends, so the
// faces cannot disagree about what a failure is.

export const ERROR_CODES = ['bad-request', 'not-found', 'unauthorized', 'conflict', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Errors cross every transport as plain data. */
export interface ApiError {
  error: { code: ErrorCode; message: string };
}

/** The HTTP status of each code (the web UI's face); the other faces carry the code itself. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  'not-found': 404,
  conflict: 409,
  internal: 500,
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Base of the errors the engine and host throw on purpose; anything else maps to `internal`. */
export class CorralError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CorralError';
  }
}

/** A request that cannot be right (a bad field, a bad stack file): nothing was done. */
export class BadRequestError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad-request', message, options);
    this.name = 'BadRequestError';
  }
}

/** The stack, service or call named does not exist. */
export class NotFoundError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-found', message, options);
    this.name = 'NotFoundError';
  }
}

/** The request is well formed but the current state refuses it (a duplicate name, a port holder that changed). */
export class ConflictError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
    this.name = 'ConflictError';
  }
}

export function apiError(code: ErrorCode, message: string): ApiError {
  return { error: { code, message } };
}

/** Errors whose class says the input was wrong, though they do not extend CorralError (parsers below the host). */
const BAD_INPUT_NAMES = new Set(['StackFileError', 'ProcfileError']);

/**
 * The one mapping from a thrown value to the plain error of the contract. A
 * known code is kept with its message; an already plain `{error}` passes; a
 * parser's error is `bad-request`; anything else is `internal` (a bug: the
 * caller logs it with its stack).
 */
export function toApiError(err: unknown): ApiError {
  if (err && typeof err === 'object') {
    const e = err as { error?: { code?: unknown; message?: unknown }; code?: unknown; message?: unknown; name?: unknown };
    if (e.error && isErrorCode(e.error.code)) return apiError(e.error.code, String(e.error.message ?? e.error.code));
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
    if (isErrorCode(e.code)) return apiError(e.code, message);
    if (typeof e.name === 'string' && BAD_INPUT_NAMES.has(e.name)) return apiError('bad-request', message);
    return apiError('internal', message);
  }
  return apiError('internal', String(err));
}
