import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { rethrowIfOutOfDescriptors } from '../transient.js';
import type { Platform, PortListener, ProcessIdentity, ProcessInfo, ProcessUsage, SignalOutcome } from './types.js';
import { MARKER_VAR } from './types.js';
import { walkTrees } from './tree-walk.js';

let cachedBootId: string | null = null;
function bootIdSync(): string {
  cachedBootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return cachedBootId;
}

/** Parses /proc/<pid>/stat. The command (field 2) may hold spaces and parentheses: split after the last ')'. */
export function parseProcStat(text: string): Omit<ProcessInfo, 'command'> & { comm: string; threads: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`Unreadable /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return {
    pid,
    comm,
    state: rest[0]!,
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
    sid: Number(rest[3]),
    threads: Number(rest[17]), // field 20: num_threads
    start: rest[19]!, // field 22: starttime in clock ticks since boot
  };
}

/** CPU time (utime + stime, fields 14 and 15, in clock ticks) and resident pages (field 24) of a /proc/<pid>/stat line. */
export function parseProcStatUsage(text: string): { ticks: number; rssPages: number } {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(rest[11]) + Number(rest[12]), rssPages: Number(rest[21]) };
}

// USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture (it is ABI,
// whatever the kernel's own HZ), which is why glibc's sysconf(_SC_CLK_TCK) answers it.
const USER_HZ = 100;

let pageBytes: number | null = null;
/** The kernel's page size, from the first mapping of /proc/self/smaps (4 KiB on x86; 16 or 64 KiB on some arm64 kernels). */
function pageSize(): number {
  if (pageBytes !== null) return pageBytes;
  pageBytes = 4096;
  try {
    const fd = openSync('/proc/self/smaps', 'r');
    try {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, null);
      const m = /^KernelPageSize:\s+(\d+) kB$/m.exec(buf.toString('utf8', 0, n));
      if (m) pageBytes = Number(m[1]) * 1024;
    } finally {
      closeSync(fd);
    }
  } catch {}
  return pageBytes;
}

function statSync(pid: number): ReturnType<typeof parseProcStat> | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    rethrowIfOutOfDescriptors(e);
    return null;
  }
}

function commandOf(pid: number, comm: string): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const args = raw.split('\0').filter((a) => a.length > 0);
    return args.length > 0 ? args.join(' ') : `[${comm}]`;
  } catch {
    return `[${comm}]`;
  }
}

/**
 * Dead for Corral: gone, or a zombie. But a multi-threaded process whose main
 * thread exited shows `Z` while its other threads still run (and still hold its
 * sockets): that one is alive until /proc/<pid>/task lists only the leader.
 */
function isDead(pid: number, st: { state: string } | null): boolean {
  if (!st || st.state === 'X') return true;
  if (st.state !== 'Z') return false;
  try {
    return readdirSync(`/proc/${pid}/task`).length <= 1;
  } catch (e) {
    rethrowIfOutOfDescriptors(e);
    return true;
  }
}

let users: Map<number, string> | null = null;
function userName(uid: number): string {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) users.set(Number(f[2]), f[0]!);
      }
    } catch {}
  }
  return users.get(uid) ?? String(uid);
}

function userOf(pid: number): string | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? userName(Number(m[1])) : undefined;
  } catch {
    return undefined;
  }
}

function infoSync(pid: number): ProcessInfo | null {
  const st = statSync(pid);
  if (!st || isDead(pid, st)) return null;
  const { comm, threads: _threads, ...rest } = st;
  const user = userOf(pid);
  return { ...rest, command: commandOf(pid, comm), ...(user ? { user } : {}) };
}

/**
 * For whole-table scans: the command line is read only when asked for. Most
 * rows of a scan are other people's processes whose command nobody looks at,
 * and a scan is on the path of every stop and of the owner's start.
 */
function scanInfoSync(pid: number): ProcessInfo | null {
  const st = statSync(pid);
  if (!st || isDead(pid, st)) return null;
  const { comm, threads: _threads, ...rest } = st;
  let command: string | undefined;
  return {
    ...rest,
    get command() {
      return (command ??= commandOf(pid, comm));
    },
  };
}

const MARKER_AT_START = Buffer.from(`${MARKER_VAR}=`);
const MARKER_INSIDE = Buffer.from(`\0${MARKER_VAR}=`);

function matches(id: ProcessIdentity): boolean {
  if (id.boot !== bootIdSync()) return false;
  const st = statSync(id.pid);
  return st !== null && !isDead(id.pid, st) && st.start === id.start;
}

/** Children of every thread of `pid` ([] when it is gone); null when the kernel has no children files (CONFIG_PROC_CHILDREN). */
function childrenSync(pid: number, threads: number): number[] | null {
  let tids: string[];
  try {
    // Most services are one thread: its children file is all there is, no directory to list.
    tids = threads === 1 ? [String(pid)] : readdirSync(`/proc/${pid}/task`);
  } catch (e) {
    rethrowIfOutOfDescriptors(e);
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch (e) {
      rethrowIfOutOfDescriptors(e);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid) && existsSync(`/proc/${pid}`)) return null;
      continue;
    }
    for (const c of text.split(' ')) if (c) out.push(Number(c));
  }
  return out;
}

function allPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** Parses /proc/net/tcp or tcp6: LISTEN (state 0A) rows → port, address, socket inode. */
export function parseProcNetTcp(text: string): { port: number; address: string; inode: string }[] {
  const rows: { port: number; address: string; inode: string }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addrHex, portHex] = f[1]!.split(':');
    rows.push({ port: parseInt(portHex!, 16), address: hexAddress(addrHex!), inode: f[9]! });
  }
  return rows;
}

function hexAddress(hex: string): string {
  if (hex.length === 8) {
    const b = Buffer.from(hex, 'hex');
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}`;
  }
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  return `ipv6:${hex}`;
}

export const linuxPlatform: Platform = {
  name: 'linux',
  cheapIdentity: true,
  async bootId() {
    return bootIdSync();
  },
  async processInfo(pid) {
    return infoSync(pid);
  },
  async listProcesses() {
    const out: ProcessInfo[] = [];
    for (const pid of allPids()) {
      const info = scanInfoSync(pid);
      if (info) out.push(info);
    }
    return out;
  },
  async usage(roots) {
    const out: ProcessUsage[] = [];
    const page = pageSize();
    /** Reads one process's row into `out`; its thread count, or null when it is gone. */
    const read = (pid: number): number | null => {
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch (e) {
        rethrowIfOutOfDescriptors(e);
        return null;
      }
      const { comm, ...st } = parseProcStat(text);
      if (isDead(pid, st)) return null;
      const { ticks, rssPages } = parseProcStatUsage(text);
      out.push({ ...st, command: `[${comm}]`, cpuMs: (ticks * 1000) / USER_HZ, rssBytes: rssPages * page });
      return st.threads;
    };
    if (!roots) for (const pid of allPids()) read(pid);
    else
      walkTrees(roots, (pid) => {
        const threads = read(pid);
        return threads === null ? [] : (childrenSync(pid, threads) ?? []);
      });
    return out;
  },
  async readMarkers(pids) {
    const out = new Map<number, string | null>();
    for (const pid of pids) out.set(pid, await linuxPlatform.readMarker(pid));
    return out;
  },
  async scan() {
    const procs = await linuxPlatform.listProcesses();
    const markers = new Map<number, string | null>();
    for (const proc of procs) markers.set(proc.pid, await linuxPlatform.readMarker(proc.pid));
    return { procs, markers };
  },
  async scanTrees(roots) {
    const procs: ProcessInfo[] = [];
    const whole = walkTrees(roots, (pid) => {
      const st = statSync(pid);
      if (!st || isDead(pid, st)) return [];
      const kids = childrenSync(pid, st.threads);
      if (kids === null) return null;
      const { comm, threads: _threads, ...rest } = st;
      let command: string | undefined;
      procs.push({
        ...rest,
        get command() {
          return (command ??= commandOf(pid, comm));
        },
      });
      return kids;
    });
    // No environment is read: what a tree holds is known by where it hangs, not by its marker.
    return whole ? { procs, markers: new Map() } : null;
  },
  async readMarker(pid) {
    let env: Buffer;
    try {
      env = readFileSync(`/proc/${pid}/environ`);
    } catch (e) {
      rethrowIfOutOfDescriptors(e);
      return null;
    }
    // Searched in the bytes: decoding every process's whole environment made
    // this the larger half of a process-table scan.
    let at = -1;
    if (env.subarray(0, MARKER_AT_START.length).equals(MARKER_AT_START)) at = MARKER_AT_START.length;
    else {
      const i = env.indexOf(MARKER_INSIDE);
      if (i >= 0) at = i + MARKER_INSIDE.length;
    }
    if (at >= 0) {
      const end = env.indexOf(0, at);
      return env.toString('utf8', at, end < 0 ? env.length : end);
    }
    // Readable and without our marker: not ours. But servers that set their process title
    // (redis, nginx, postgres) overwrite the environment area with NULs: that tells nothing.
    return env.includes(0x3d) ? '' : null;
  },
  async listeners(ports) {
    const wanted = ports ? new Set(ports) : null;
    const sockets = new Map<string, { port: number; address: string }>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        rethrowIfOutOfDescriptors(e);
        continue;
      }
      for (const row of parseProcNetTcp(text)) {
        if (!wanted || wanted.has(row.port)) sockets.set(row.inode, { port: row.port, address: row.address });
      }
    }
    if (sockets.size === 0) return [];
    const holders = new Map<string, Set<number>>();
    for (const pid of allPids()) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch (e) {
        rethrowIfOutOfDescriptors(e);
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        if (!target.startsWith('socket:[')) continue;
        const inode = target.slice(8, -1);
        if (!sockets.has(inode)) continue;
        let set = holders.get(inode);
        if (!set) holders.set(inode, (set = new Set()));
        set.add(pid);
      }
    }
    const out: PortListener[] = [];
    for (const [inode, s] of sockets) out.push({ ...s, pids: [...(holders.get(inode) ?? [])] });
    return out;
  },
  async signalProcess(identity, signal) {
    return signalSync(identity, signal);
  },
  async signalGroup(pgid, proof, signal) {
    // Proof: a live member of the group whose identity we recorded.
    const ok = proof.some((id) => {
      if (!matches(id)) return false;
      const st = statSync(id.pid);
      return st !== null && st.pgid === pgid;
    });
    if (!ok) return proof.some((id) => infoSync(id.pid) !== null) ? 'not-ours' : 'gone';
    try {
      process.kill(-pgid, signal);
      return 'sent';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
      throw e;
    }
  },
};

function signalSync(identity: ProcessIdentity, signal: NodeJS.Signals): SignalOutcome {
  if (!matches(identity)) {
    const st = statSync(identity.pid);
    return isDead(identity.pid, st) ? 'gone' : 'not-ours';
  }
  try {
    process.kill(identity.pid, signal);
    return 'sent';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
    throw e;
  }
}
