// `corral ps`: every process of every service, descendants included: the
// leader's process group, plus what left the group but still carries the
// service's marker, plus marked processes no running service accounts for.
import type { Owner } from '../../engine/owner.js';
import { takeSnapshot, byMarker } from '../../engine/process/process-scan.js';
import { readInstance } from '../../engine/state/state-file.js';
import type { PsEntry, PsRole } from '../control/protocol.js';

const ROLE_ORDER: Record<PsRole, number> = { leader: 0, group: 1, descendant: 2, escaped: 3, orphan: 4 };

export async function listServiceProcesses(owner: Owner, onlyStack?: string): Promise<PsEntry[]> {
  const snap = await takeSnapshot();
  const procs = snap.procs;
  const prefix = owner.dir.markerPrefix();
  const markers = new Map<number, string>();
  for (const [m, list] of byMarker(snap, prefix)) for (const proc of list) markers.set(proc.pid, m);
  const out: PsEntry[] = [];
  const claimed = new Set<number>();
  for (const stack of owner.snapshot().stacks) {
    for (const svc of stack.services) {
      if (svc.pid === null) continue;
      const rec = readInstance(owner.dir, stack.name, svc.name);
      const marker = rec.kind === 'ok' && rec.value.pid === svc.pid ? rec.value.marker : null;
      const instance = marker?.split('/')[3] ?? '';
      for (const proc of procs) {
        let role: PsRole | null = null;
        if (proc.pid === svc.pid) role = 'leader';
        else if (proc.pgid === svc.pid) role = 'group';
        else if (marker !== null && markers.get(proc.pid) === marker) role = 'escaped';
        if (!role) continue;
        claimed.add(proc.pid);
        out.push({ stack: stack.name, service: svc.name, pid: proc.pid, ppid: proc.ppid, pgid: proc.pgid, state: proc.state, command: proc.command, role, instance });
      }
    }
  }
  // Children of the service's processes that are in neither its group nor marked, transitively.
  for (let grew = true; grew; ) {
    grew = false;
    for (const proc of procs) {
      if (claimed.has(proc.pid)) continue;
      const parent = out.find((e) => e.pid === proc.ppid);
      if (!parent) continue;
      claimed.add(proc.pid);
      grew = true;
      out.push({ ...parent, pid: proc.pid, ppid: proc.ppid, pgid: proc.pgid, state: proc.state, command: proc.command, role: 'descendant' });
    }
  }
  for (const proc of procs) {
    const m = markers.get(proc.pid);
    if (!m || claimed.has(proc.pid)) continue;
    const [, stack = '?', service = '?', instance = ''] = m.split('/');
    out.push({ stack, service, pid: proc.pid, ppid: proc.ppid, pgid: proc.pgid, state: proc.state, command: proc.command, role: 'orphan', instance });
  }
  return out
    .filter((e) => !onlyStack || e.stack === onlyStack)
    .sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : a.service < b.service ? -1 : a.service > b.service ? 1 : ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.pid - b.pid));
}
