// Words and numbers the status view shows; pure functions of the snapshot.
import type { ExitInfo, HealthResult, ServiceSnapshot, ServiceState } from '../../shared/state.js';
import { formatDuration } from '../../shared/duration.js';

export const STATE_LABEL: Record<ServiceState, string> = {
  stopped: 'Stopped',
  held: 'Held',
  starting: 'Starting',
  running: 'Running',
  unhealthy: 'Unhealthy',
  stopping: 'Stopping',
  backoff: 'Restarting (backoff)',
  failed: 'Failed',
  completed: 'Completed',
};

export function uptime(s: Pick<ServiceSnapshot, 'startedAt' | 'state'>, now: number): string {
  if (s.startedAt === null || s.state === 'stopped' || s.state === 'failed') return '—';
  return formatDuration(Math.max(0, now - s.startedAt));
}

export function ago(at: number, now: number): string {
  return `${formatDuration(Math.max(0, now - at))} ago`;
}

export function exitText(e: ExitInfo | null, now: number): string {
  if (!e) return '—';
  // A stop the user asked for is not a crash: say so, and say when it had to be forced.
  if (e.reason === 'stopped') return `stopped${e.signal === 'SIGKILL' ? ' (forced)' : ''}, ${ago(e.at, now)}`;
  const how = e.signal ? `killed by ${e.signal}` : e.code === null ? 'exited' : `exit ${e.code}`;
  return `${how} (${e.reason}), ${ago(e.at, now)}`;
}

export function healthText(h: HealthResult | null): string {
  if (!h) return '—';
  return `${h.ok ? 'ok' : 'failing'}${h.detail ? `: ${h.detail}` : ''}`;
}

export function portsText(ports: readonly number[]): string {
  return ports.length === 0 ? '—' : ports.join(', ');
}

// A stable colour per service: its place in the stack file (so the services
// of a stack get distinct colours, the same in every view and session), or a
// hash of the name for a service not in the list.
const SERVICE_COLOURS = 8;
export function serviceColour(name: string, services?: readonly string[]): number {
  const i = services ? services.indexOf(name) : -1;
  if (i >= 0) return i % SERVICE_COLOURS;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SERVICE_COLOURS;
}
