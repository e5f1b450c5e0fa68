// `describeService`: what a service's detail view shows beyond the snapshot:
// the command as the stack file has it, its cwd and health check, its process
// tree now (the same scan as `corral ps`), and its recent exits and health results.
import type { Owner } from '../../engine/owner.js';
import type { ServiceDetail, ServiceProcess } from '../../../shared/api.js';
import type { HealthCheck, HealthSpec } from '../../../shared/stack.js';
import { formatDuration } from '../../../shared/duration.js';
import { listServiceProcesses } from './ps.js';

export async function describeService(owner: Owner, stack: string, service: string): Promise<ServiceDetail> {
  const sup = owner.supervisor(stack, service);
  const procs = (await listServiceProcesses(owner, stack)).filter((e) => e.service === service);
  return {
    stack,
    service,
    command: commandAsWritten(sup.spec.command),
    cwd: sup.spec.cwd,
    healthCheck: sup.spec.health ? healthCheckText(sup.spec.health) : null,
    processes: asTree(procs.map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, role: p.role, depth: 0 }))),
    exits: sup.history.exits.newestFirst(),
    healthResults: sup.history.health.newestFirst(),
  };
}

/** A string command runs as `/bin/sh -c "…"`: show what was written, not the shell. */
export function commandAsWritten(argv: readonly string[]): string {
  if (argv.length === 3 && argv[0] === '/bin/sh' && argv[1] === '-c') return argv[2]!;
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function checkText(c: HealthCheck): string {
  switch (c.kind) {
    case 'http':
      return `http ${c.url} (status ${c.status[0]}–${c.status[1]})`;
    case 'tcp':
      return `tcp ${c.host}:${c.port}`;
    case 'grpc':
      return `grpc ${c.host}:${c.port}${c.service ? ` (${c.service})` : ''}`;
    case 'exec':
      return `exec ${commandAsWritten(c.command)}`;
    case 'log':
      return `a log line matching /${c.pattern}/ (readiness only)`;
  }
}

export function healthCheckText(h: HealthSpec): string {
  return h.check.kind === 'log' ? checkText(h.check) : `${checkText(h.check)}, every ${formatDuration(h.intervalMs)}`;
}

/** Parents before their children, the leader first; depth for indenting. */
function asTree(procs: ServiceProcess[]): ServiceProcess[] {
  const pids = new Set(procs.map((p) => p.pid));
  const children = new Map<number, ServiceProcess[]>();
  for (const p of procs) if (pids.has(p.ppid) && p.ppid !== p.pid) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const roots = procs.filter((p) => !pids.has(p.ppid) || p.ppid === p.pid).sort((a, b) => Number(b.role === 'leader') - Number(a.role === 'leader') || a.pid - b.pid);
  const out: ServiceProcess[] = [];
  const seen = new Set<number>();
  const visit = (p: ServiceProcess, depth: number) => {
    if (seen.has(p.pid)) return;
    seen.add(p.pid);
    out.push({ ...p, depth });
    for (const c of (children.get(p.pid) ?? []).sort((a, b) => a.pid - b.pid)) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  return out;
}
