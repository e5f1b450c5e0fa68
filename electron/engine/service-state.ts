// The service state machine: the transitions the supervisor really makes, in
// one place. A transition not listed here is a bug, and is refused loudly.
import type { ExitReason, HeldOn, ServiceState } from '../../shared/state.js';

const ALLOWED: Record<ServiceState, readonly ServiceState[]> = {
  // start → launched, adopted (running), held for a dependency, refused (port held, command missing); a stop that finds leftovers
  stopped: ['starting', 'running', 'held', 'failed', 'stopping'],
  // dependency met → launch; refused at launch; stopped while held
  held: ['starting', 'failed', 'stopping', 'held'],
  // ready; ended or timed out (backoff, or final per policy); stopped; held when a start finds a dependency gone
  starting: ['running', 'backoff', 'failed', 'stopped', 'completed', 'stopping', 'held'],
  // checks fail; ended (backoff, or final per policy); stopped; restart after an idempotent start found it
  running: ['unhealthy', 'backoff', 'failed', 'stopped', 'completed', 'stopping', 'starting', 'held'],
  unhealthy: ['running', 'backoff', 'failed', 'stopped', 'completed', 'stopping', 'starting', 'held'],
  // the scheduled start (launch, or held when a dependency went down meanwhile); stopped
  backoff: ['starting', 'held', 'failed', 'stopping'],
  stopping: ['stopped', 'failed'],
  // started again by the user; found running again (adopted); stopped
  failed: ['starting', 'held', 'running', 'failed', 'stopping'],
  completed: ['starting', 'held', 'failed', 'stopping'],
};

export function canTransition(from: ServiceState, to: ServiceState): boolean {
  return ALLOWED[from].includes(to);
}

/** Events the supervisor emits; the owner (its log, the tray, notifications) subscribes to them. */
export type ServiceEvent =
  | { type: 'state'; from: ServiceState; to: ServiceState }
  | { type: 'launched'; pid: number; restart: number }
  | { type: 'adopted'; pid: number }
  | { type: 'daemonized'; pid: number; leader: number; command: string }
  | { type: 'exited'; pid: number; code: number | null; signal: string | null; reason: ExitReason; uptimeMs: number }
  | { type: 'restarting'; inMs: number; restart: number }
  | { type: 'held'; on: HeldOn }
  | { type: 'healthy'; detail: string }
  | { type: 'unhealthy'; detail: string; failures: number }
  | { type: 'failed'; reason: string };
