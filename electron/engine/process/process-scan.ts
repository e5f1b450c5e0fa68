// One read of the process table and of every process's marker. The owner's
// reconcile, the orphan sweep, stop, `corral ps` and `corral doctor` all start
// from the same question: which live processes carry which of our markers.
import { platform, type ProcessInfo } from './platform/index.js';

export interface ProcessSnapshot {
  boot: string;
  /** Live processes (zombies excluded), the calling process left out. */
  procs: ProcessInfo[];
  /** CORRAL_INSTANCE per pid: '' when readable and absent, null when unreadable. */
  markers: Map<number, string | null>;
}

export async function takeSnapshot(): Promise<ProcessSnapshot> {
  const p = await platform();
  const boot = await p.bootId();
  const { procs, markers } = await p.scan();
  return { boot, procs: procs.filter((proc) => proc.pid !== process.pid), markers };
}

/** Processes whose marker starts with `prefix`, grouped by full marker (one instance each). */
export function byMarker(snap: ProcessSnapshot, prefix: string): Map<string, ProcessInfo[]> {
  const out = new Map<string, ProcessInfo[]>();
  for (const proc of snap.procs) {
    const m = snap.markers.get(proc.pid);
    if (!m || !m.startsWith(prefix)) continue;
    const list = out.get(m) ?? [];
    list.push(proc);
    out.set(m, list);
  }
  return out;
}
