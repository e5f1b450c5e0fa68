// Stop is proven, not hoped: signal the group and every escaped descendant,
// wait until all of them are gone (zombies count as gone), SIGKILL at the grace
// period, check the declared ports, and report by pid whatever survived.
import { platform, type ProcessIdentity, type ProcessInfo } from './platform/index.js';
import { takeSnapshot, type ProcessSnapshot } from './process-scan.js';

export { takeSnapshot, type ProcessSnapshot };
import { waitUntil } from '../wait.js';
import { portHolders, type PortHolder } from './ports.js';
import type { ProcessRef } from '../../../shared/state.js';

export interface StopTarget {
  /** The recorded leader (pid == pgid), possibly already dead. */
  leader: ProcessIdentity | null;
  /** Every process whose CORRAL_INSTANCE starts with this belongs to the target. */
  markerPrefix: string;
  ports: readonly number[];
  /**
   * Descendants recorded while the service ran (see `recordDescendants`): they
   * count even after leaving the group, the marker and the parent chain (a
   * double fork with a cleared environment), as long as their identity matches.
   */
  known?: readonly ProcessIdentity[];
}

export interface StopOptions {
  signal: NodeJS.Signals;
  graceMs: number;
  /** Bound on SIGKILL taking effect. */
  killWaitMs?: number;
  /** A process-table scan just taken (the owner's opening shares one), used instead of the first scan. */
  snapshot?: ProcessSnapshot;
}

export interface StopResult {
  /** SIGKILL was needed. */
  forced: boolean;
  /** Our processes still alive after everything (never reported as stopped). */
  survivors: ProcessRef[];
  /** Declared ports still held by a process that is not ours. */
  portsHeld: (PortHolder & { kind: 'foreign' })[];
  /** How many processes were ended. */
  ended: number;
  durationMs: number;
}

export interface Member {
  id: ProcessIdentity;
  info: ProcessInfo;
  inGroup: boolean;
}

/** Every live process of the target: the leader's group (when proven ours), every marked or recorded process, and their children. */
export async function findMembers(target: StopTarget): Promise<Member[]> {
  return membersIn(await takeSnapshot(), target);
}

/** A snapshot's processes by pid, by group, by parent, and those that carry a marker: built once per snapshot, shared by every target. */
interface ScanIndex {
  byPid: Map<number, ProcessInfo>;
  byPgid: Map<number, ProcessInfo[]>;
  byPpid: Map<number, ProcessInfo[]>;
  marked: ProcessInfo[];
}
const indexes = new WeakMap<ProcessSnapshot, ScanIndex>();

function indexOf(snap: ProcessSnapshot): ScanIndex {
  let ix = indexes.get(snap);
  if (ix) return ix;
  ix = { byPid: new Map(), byPgid: new Map(), byPpid: new Map(), marked: [] };
  const push = (m: Map<number, ProcessInfo[]>, k: number, p: ProcessInfo) => {
    const l = m.get(k);
    if (l) l.push(p);
    else m.set(k, [p]);
  };
  for (const proc of snap.procs) {
    ix.byPid.set(proc.pid, proc);
    push(ix.byPgid, proc.pgid, proc);
    push(ix.byPpid, proc.ppid, proc);
    if (snap.markers.get(proc.pid)) ix.marked.push(proc);
  }
  indexes.set(snap, ix);
  return ix;
}

export function membersIn(snap: ProcessSnapshot, target: StopTarget): Member[] {
  const { boot } = snap;
  // 200 services stopping at once share one snapshot: each looks up its own processes, never the whole table.
  const ix = indexOf(snap);
  const pgid = target.leader?.pid ?? null;
  const marked = new Set<number>();
  for (const proc of ix.marked) {
    const m = snap.markers.get(proc.pid);
    if (m && m.startsWith(target.markerPrefix)) marked.add(proc.pid);
  }
  const group = pgid !== null ? (ix.byPgid.get(pgid) ?? []) : [];
  // The group is ours if its recorded leader is alive, or a marked process is in it:
  // a pgid cannot be reused while any member of the group lives.
  const groupProven = group.some((proc) => (proc.pid === pgid && proc.start === target.leader!.start && target.leader!.boot === boot) || marked.has(proc.pid));
  const members = new Set<number>(marked);
  if (groupProven) for (const proc of group) members.add(proc.pid);
  for (const k of target.known ?? []) {
    const proc = k.boot === boot ? ix.byPid.get(k.pid) : undefined;
    if (proc && proc.start === k.start) members.add(proc.pid);
  }
  // Children of our processes are ours even when they left the group and lost the marker
  // (servers that call setsid and rewrite their environment for a process title).
  const todo = [...members];
  while (todo.length > 0) {
    for (const child of ix.byPpid.get(todo.pop()!) ?? []) {
      if (members.has(child.pid)) continue;
      members.add(child.pid);
      todo.push(child.pid);
    }
  }
  const out: Member[] = [];
  for (const pid of members) {
    const proc = ix.byPid.get(pid)!;
    out.push({ id: { pid: proc.pid, start: proc.start, boot }, info: proc, inGroup: groupProven && proc.pgid === pgid });
  }
  // In the table's order (by pid), as before the index.
  return out.sort((a, b) => a.id.pid - b.id.pid);
}

async function signalAll(members: Member[], pgid: number | null, signal: NodeJS.Signals): Promise<void> {
  const p = await platform();
  const grouped = members.filter((m) => m.inGroup);
  if (pgid !== null && grouped.length > 0) await p.signalGroup(pgid, grouped.map((m) => m.id), signal);
  for (const m of members) if (!m.inGroup || pgid === null) await p.signalProcess(m.id, signal);
}

async function allGone(ids: ProcessIdentity[]): Promise<boolean> {
  const p = await platform();
  for (const id of ids) {
    const info = await p.processInfo(id.pid);
    if (info && info.start === id.start) return false;
  }
  return true;
}

export async function stopTarget(target: StopTarget, opts: StopOptions): Promise<StopResult> {
  const t0 = performance.now();
  const pgid = target.leader?.pid ?? null;
  const killWaitMs = opts.killWaitMs ?? 3000;
  const seen = new Map<string, ProcessIdentity>();
  const note = (ms: Member[]) => ms.forEach((m) => seen.set(`${m.id.pid}:${m.id.start}`, m.id));

  let members = opts.snapshot ? membersIn(opts.snapshot, target) : await findMembers(target);
  note(members);
  let forced = false;
  if (members.length > 0) {
    await signalAll(members, pgid, opts.signal);
    // Processes forked while we wait join the group or carry the marker: re-scan at the end of grace.
    const graceful = await waitUntil(() => allGone(members.map((m) => m.id)), opts.graceMs, 5, 25);
    members = await findMembers(target);
    note(members);
    if (!graceful || members.length > 0) {
      for (let round = 0; round < 3 && members.length > 0; round++) {
        forced = true;
        await signalAll(members, pgid, 'SIGKILL');
        await waitUntil(() => allGone(members.map((m) => m.id)), killWaitMs, 2, 20);
        members = await findMembers(target);
        note(members);
      }
    }
  }
  // Ports: a holder that is ours (an escaped process without our group) is ended; a foreign one is reported.
  let held = await portHolders(target.ports, target.markerPrefix);
  const oursHolding = held.filter((h): h is PortHolder & { kind: 'ours' } => h.kind === 'ours');
  if (oursHolding.length > 0) {
    forced = true;
    const p = await platform();
    for (const h of oursHolding) {
      seen.set(`${h.identity.pid}:${h.identity.start}`, h.identity);
      await p.signalProcess(h.identity, 'SIGKILL');
    }
    await waitUntil(() => allGone(oursHolding.map((h) => h.identity)), killWaitMs, 2, 20);
    held = await portHolders(target.ports, target.markerPrefix);
  }
  // `members` is the latest scan; only killing a port holder can have changed it since.
  if (oursHolding.length > 0) members = await findMembers(target);
  const survivors = members.map((m) => ({ pid: m.id.pid, command: m.info.command }));
  for (const h of held) if (h.kind === 'ours') survivors.push({ pid: h.pid, command: h.command });
  return {
    forced,
    survivors,
    portsHeld: held.filter((h): h is PortHolder & { kind: 'foreign' } => h.kind === 'foreign'),
    ended: seen.size - survivors.length,
    durationMs: performance.now() - t0,
  };
}
