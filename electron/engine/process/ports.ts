// Who holds a declared port: our own orphan (swept), a service of ours
// (another stack or service: said), or a foreign process (named, never killed).
import { platform, type ProcessIdentity } from './platform/index.js';
import type { ProcessRef } from '../../../shared/state.js';

export type PortHolder =
  | { port: number; kind: 'free' }
  | { port: number; kind: 'ours'; marker: string; pid: number; command: string; identity: ProcessIdentity }
  | { port: number; kind: 'foreign'; pid: number | null; command: string; user: string | null };

/** The holders of `ports` (LISTEN sockets only); one entry per port, ours first when several share it. */
export async function portHolders(ports: readonly number[], markerPrefix: string): Promise<PortHolder[]> {
  if (ports.length === 0) return [];
  const p = await platform();
  const listeners = await p.listeners(ports);
  const boot = await p.bootId();
  const out: PortHolder[] = [];
  for (const port of ports) {
    const pids = [...new Set(listeners.filter((l) => l.port === port).flatMap((l) => l.pids))];
    if (!listeners.some((l) => l.port === port)) {
      out.push({ port, kind: 'free' });
      continue;
    }
    let found: PortHolder | null = null;
    for (const pid of pids) {
      const info = await p.processInfo(pid);
      if (!info) continue;
      const marker = await p.readMarker(pid);
      if (marker && marker.startsWith(markerPrefix)) {
        found = { port, kind: 'ours', marker, pid, command: info.command, identity: { pid, start: info.start, boot } };
        break;
      }
      found ??= { port, kind: 'foreign', pid, command: info.command, user: info.user ?? null };
    }
    out.push(found ?? { port, kind: 'foreign', pid: null, command: 'a process Corral cannot see (another user?)', user: null });
  }
  return out;
}

export function describeHolder(h: PortHolder & { kind: 'foreign' }): ProcessRef & { port: number } {
  return { port: h.port, pid: h.pid ?? 0, command: h.command, ...(h.user ? { user: h.user } : {}) };
}

export function portConflictMessage(service: string, h: PortHolder & { kind: 'foreign' }): string {
  const who = h.pid ? `process ${h.pid} (${h.command}${h.user ? `, user ${h.user}` : ''})` : h.command;
  return `${service}: port ${h.port} is held by ${who}. Stop ${h.pid ? `process ${h.pid}` : 'it'} or change the port in the stack file; Corral never kills a process it did not start.`;
}
