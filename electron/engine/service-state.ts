// The service state machine: the allowed transitions, in one place. A
// transition not listed here is a bug, and is refused loudly.
import type { ServiceState } from '../../shared/state.js';

const ALLOWED: Record<ServiceState, readonly ServiceState[]> = {
  stopped: ['starting', 'running', 'stopping', 'failed', 'stopped'],
  starting: ['running', 'stopping', 'backoff', 'failed', 'stopped', 'starting'],
  running: ['unhealthy', 'stopping', 'backoff', 'failed', 'stopped', 'starting'],
  unhealthy: ['running', 'stopping', 'backoff', 'failed', 'stopped', 'starting'],
  stopping: ['stopped', 'failed', 'starting'],
  backoff: ['starting', 'stopping', 'stopped', 'failed'],
  failed: ['starting', 'stopping', 'stopped', 'running', 'failed'],
};

export function canTransition(from: ServiceState, to: ServiceState): boolean {
  return ALLOWED[from].includes(to);
}

/** Events the supervisor emits; the owner, tray and notifications subscribe to them. */
export type ServiceEvent =
  | { type: 'state'; from: ServiceState; to: ServiceState }
  | { type: 'exited'; code: number | null; signal: string | null; requested: boolean }
  | { type: 'crashed'; code: number | null; signal: string | null; restartInMs: number | null }
  | { type: 'healthy'; detail: string }
  | { type: 'unhealthy'; detail: string; failures: number }
  | { type: 'failed'; reason: string }
  | { type: 'adopted'; pid: number };
