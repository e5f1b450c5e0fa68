// The IPC wire format, shared by the main process (ipc.ts) and the preload.
// Import-free at runtime: the preload is bundled for the sandbox, and must not
// pull in zod or anything else.
import type { ApiError } from '../../shared/api.js';

export const CHANNEL = {
  /** invoke(call, request) → Reply */
  invoke: 'corral:invoke',
  /** invoke(id, subscription) → Reply<null>; lines then arrive on `logs`. */
  logsSubscribe: 'corral:logs-subscribe',
  /** invoke(id) → Reply<null> */
  logsUnsubscribe: 'corral:logs-unsubscribe',
  /** main → renderer: Snapshot */
  snapshot: 'corral:snapshot',
  /** main → renderer: { id, lines } */
  logs: 'corral:logs',
} as const;

/** Success and failure are both plain data: Electron would otherwise wrap a thrown error in "Error invoking remote method…". */
export type Reply<T> = { value: T } | ApiError;

export function isApiError(reply: unknown): reply is ApiError {
  if (typeof reply !== 'object' || reply === null || !('error' in reply)) return false;
  const error = (reply as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

/** Returns the value of a reply or throws an Error carrying the owner's message (what the renderer shows). */
export function unwrapReply<T>(reply: unknown, call: string): T {
  if (isApiError(reply)) throw new Error(reply.error.message);
  if (typeof reply === 'object' && reply !== null && 'value' in reply) return (reply as { value: T }).value;
  throw new Error(`Malformed reply to \`${call}\` from the main process.`);
}
