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

/**
 * One read of the table for every caller of the same moment: 200 services stopping at once
 * each ask for a scan (before signalling, after the grace), and each scan reads every
 * process's stat and environment. Callers that ask before the next scan begins share it;
 * it begins after all of them asked, so each gets a table read after its request.
 */
let pending: Promise<ProcessSnapshot> | null = null;

export function takeSnapshot(): Promise<ProcessSnapshot> {
  pending ??= new Promise<void>((r) => setImmediate(r)).then(() => {
    pending = null;
    return scanNow();
  });
  return pending;
}

async function scanNow(): Promise<ProcessSnapshot> {
  const p = await platform();
  const boot = await p.bootId();
  const { procs, markers } = await p.scan();
  return { boot, procs: procs.filter((proc) => proc.pid !== process.pid), markers };
}

/**
 * The processes of these trees (each root and its descendants) with their markers, as a
 * snapshot: read directly where the platform can (a few files per process, not the whole
 * table), else one scan of the table.
 */
export async function takeTreeSnapshot(roots: readonly number[]): Promise<ProcessSnapshot> {
  const p = await platform();
  const trees = p.scanTrees ? await p.scanTrees(roots) : null;
  if (!trees) return takeSnapshot();
  const boot = await p.bootId();
  return { boot, procs: trees.procs.filter((proc) => proc.pid !== process.pid), markers: trees.markers };
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
