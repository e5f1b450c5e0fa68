// Words and numbers the status view shows; pure functions of the snapshot.
import type { ExitInfo, HealthResult, ResourceUse, ServiceSnapshot, ServiceState } from '../../shared/state.js';
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

/** Resident memory in the unit a user reads: "41 MB", "1.2 GB" (binary units, as top and Activity Monitor count). */
export function bytesText(n: number): string {
  const mb = n / (1024 * 1024);
  if (mb < 10) return `${mb.toFixed(1)} MB`;
  if (mb < 1024) return `${Math.round(mb)} MB`;
  return `${(mb / 1024).toFixed(1)} GB`;
}

const cpuText = (r: ResourceUse) => `${r.cpuPercent < 10 ? r.cpuPercent.toFixed(1) : Math.round(r.cpuPercent)} %`;

/** A row's resource cell: "3.2 % · 41 MB". */
export function resourcesShort(r: ResourceUse | null): string {
  return r ? `${cpuText(r)} · ${bytesText(r.memoryBytes)}` : '—';
}

/** The detail panel's line: "CPU 3.2 % · 41 MB · 3 processes". */
export function resourcesText(r: ResourceUse): string {
  return `CPU ${cpuText(r)} · ${bytesText(r.memoryBytes)} · ${r.processes} ${r.processes === 1 ? 'process' : 'processes'}`;
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
