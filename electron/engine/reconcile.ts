// Reconcile: what an owner does with what an earlier owner left. Live
// instances recorded in state files are adopted (same pid: identity checked by
// start time and, where readable, by marker; F07, F09); state from a previous
// boot or pointing at a dead or reused pid is cleaned, never signalled (F14,
// F15); a service whose state file was lost is re-adopted through the marker
// of its group leader (F17); marked processes nobody accounts for are swept as
// orphans.
//
// What adoption costs: an adopted process is not our child, so its end is seen
// by a poll, not an exit event, and its exit code can never be known (the exit
// reads "exit code unknown").
import type { ProcessInfo } from './process/platform/index.js';
import { platform } from './process/platform/index.js';
import { stopTarget } from './process/stop.js';
import { takeSnapshot, byMarker, type ProcessSnapshot } from './process/process-scan.js';
import { readInstance, removeInstance, listInstanceFiles, writeInstance, knownOfRecord, type InstanceRecord } from './state/state-file.js';
import type { ServiceSupervisor } from './supervisor.js';
import type { DataDir } from './state/paths.js';

export interface ReconcileContext {
  dir: DataDir;
  log(line: string): void;
  /**
   * The process table read once at the start of an owner (it costs ~50 ms per
   * 1,000 processes): each stack and each sweep looks only at its own markers
   * in it, and a sweep scans again after signalling, so a process forked since
   * is still found. Null: scan when needed.
   */
  scan: ProcessSnapshot | null;
}

export class Reconciler {
  constructor(private readonly ctx: ReconcileContext) {}

  private cleanState(stack: string, service: string): void {
    try {
      removeInstance(this.ctx.dir, stack, service);
    } catch (e) {
      this.ctx.log(`warning: cannot remove the state file of ${stack}/${service}: ${(e as Error).message}`);
    }
  }

  /**
   * Adopts the stack's live instances, cleans stale state, sweeps its orphans.
   * Returns one promise per adoption, settled when that service's first probe answered.
   */
  async stack(stackName: string, services: ReadonlyMap<string, ServiceSupervisor>): Promise<Promise<void>[]> {
    const rt = { spec: { name: stackName }, services };
    const adoptions: Promise<void>[] = [];
    const p = await platform();
    const boot = await p.bootId();
    const adopted = new Set<string>();
    const names = new Set([...rt.services.keys(), ...listInstanceFiles(this.ctx.dir, rt.spec.name)]);
    for (const name of names) {
      const sup = rt.services.get(name);
      const r = readInstance(this.ctx.dir, rt.spec.name, name);
      if (r.kind === 'missing') continue;
      if (r.kind === 'corrupt') {
        this.ctx.log(`warning: state file of ${rt.spec.name}/${name} is corrupt (${r.reason}); treating it as stale`);
        this.cleanState(rt.spec.name, name);
        continue;
      }
      const rec = r.value;
      if (rec.boot !== boot) {
        // From a previous boot: stale by definition, never signalled (F15).
        this.ctx.log(`${rt.spec.name}/${name}: state file from a previous boot, cleaned`);
        this.cleanState(rt.spec.name, name);
        continue;
      }
      const info = await p.processInfo(rec.pid);
      const marker = info ? await p.readMarker(rec.pid) : null;
      // Identity: same start time; and where the marker is readable, it must be this instance's (F09).
      if (!info || info.start !== rec.start || (marker !== null && marker !== rec.marker)) {
        this.ctx.log(`${rt.spec.name}/${name}: pid ${rec.pid} is gone or is another process now; state cleaned`);
        // What it left behind and had hidden (recorded descendants) is ended by identity.
        if ((rec.descendants ?? []).length > 0) {
          await stopTarget({ leader: null, markerPrefix: rec.marker, ports: [], known: knownOfRecord(rec) }, { signal: 'SIGTERM', graceMs: sup?.spec.stop.graceMs ?? 5000 });
        }
        this.cleanState(rt.spec.name, name);
        continue;
      }
      if (!sup) continue; // the service left the stack: its processes are swept below
      adopted.add(rec.marker);
      adoptions.push(sup.adopt(rec));
    }
    // Processes carrying our stack's marker that no adopted instance accounts for.
    const found = await this.markedProcesses(this.ctx.dir.markerPrefix(rt.spec.name));
    for (const [marker, procs] of found) {
      if (adopted.has(marker)) continue;
      const [, , service] = marker.split('/');
      const sup = service ? rt.services.get(service) : undefined;
      const leader = procs.find((pr) => pr.pid === pr.pgid);
      if (sup && leader && sup.pid === null && sup.desired === 'up') {
        // Its state file was lost (F17), but the leader of its group carries the marker: adopt it.
        const rec: InstanceRecord = {
          v: 1,
          stack: rt.spec.name,
          service: sup.name,
          instance: marker.split('/')[3] ?? 'recovered',
          marker,
          pid: leader.pid,
          pgid: leader.pgid,
          start: leader.start,
          boot,
          command: sup.spec.command,
          ports: sup.spec.ports,
          startedAt: Date.now(),
          restarts: 0,
        };
        this.ctx.log(`${rt.spec.name}/${sup.name}: state file missing; re-adopted pid ${leader.pid} by its marker`);
        adopted.add(marker);
        writeInstance(this.ctx.dir, rec);
        adoptions.push(sup.adopt(rec));
        continue;
      }
      await this.sweep(marker, procs, sup?.spec.stop.graceMs ?? 5000);
    }
    for (const [name, sup] of rt.services) {
      const prefix = this.ctx.dir.markerPrefix(rt.spec.name, name);
      if (![...found.keys()].some((m) => m.startsWith(prefix))) sup.foundNothingLeft();
    }
    return adoptions;
  }

  /** Sweeps marked processes of stacks the owner does not know (their stack was removed); false when some survived. */
  async sweepUnknownStacks(known: (stack: string) => boolean): Promise<boolean> {
    const found = await this.markedProcesses(this.ctx.dir.markerPrefix());
    let clean = true;
    for (const [marker, procs] of found) {
      const stack = marker.split('/')[1] ?? '';
      if (!known(stack)) clean = (await this.sweep(marker, procs, 5000)) && clean;
    }
    return clean;
  }

  /** False when some survived. */
  private async sweep(marker: string, procs: ProcessInfo[], graceMs: number): Promise<boolean> {
    this.ctx.log(`sweeping orphan ${marker}: ${procs.map((p) => `${p.pid} (${p.command})`).join(', ')}`);
    const leader = procs.find((p) => p.pid === p.pgid);
    const boot = await (await platform()).bootId();
    const r = await stopTarget(
      { leader: leader ? { pid: leader.pid, start: leader.start, boot } : null, markerPrefix: marker, ports: [] },
      { signal: 'SIGTERM', graceMs, ...(this.ctx.scan ? { snapshot: this.ctx.scan } : {}) },
    );
    if (r.survivors.length > 0) this.ctx.log(`warning: orphan sweep left ${r.survivors.map((s) => s.pid).join(', ')}`);
    return r.survivors.length === 0;
  }

  /** Live processes whose marker starts with `prefix`, grouped by full marker (one instance each). */
  private async markedProcesses(prefix: string): Promise<Map<string, ProcessInfo[]>> {
    return byMarker(this.ctx.scan ?? (await takeSnapshot()), prefix);
  }

}
