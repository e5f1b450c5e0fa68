// Pure parsers for what macOS's ps, sysctl, lsof and netstat print. darwin.ts
// only runs the commands; every decision lives here so it can be tested on
// recorded output from any machine.
import type { PortListener, ProcessIdentity, ProcessInfo, ProcessUsage } from './types.js';
import { MARKER_VAR } from './types.js';

// ---------------------------------------------------------------- boot id

/**
 * `sysctl -n kern.bootsessionuuid` → the UUID, upper-cased; null when absent or garbled.
 * A fresh UUID per boot and never adjusted, unlike kern.boottime (see below).
 */
export function parseBootSessionUuid(text: string): string | null {
  const t = text.trim();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t) ? t.toUpperCase() : null;
}

/**
 * `sysctl -n kern.boottime` (`{ sec = 1700000000, usec = 123456 } Mon Nov 13 …`) → "1700000000.123456".
 * Only a fallback: macOS recomputes boottime when the wall clock is stepped,
 * so it can move by a little within one boot.
 */
export function parseBootTime(text: string): string | null {
  const m = /\{\s*sec\s*=\s*(\d+)\s*,\s*usec\s*=\s*(\d+)\s*\}/.exec(text);
  if (!m) return null;
  return `${m[1]!}.${m[2]!.padStart(6, '0')}`;
}

// ---------------------------------------------------------------- processes

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LSTART_SRC = '([A-Z][a-z]{2}) +([A-Z][a-z]{2}) +(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})';

/**
 * Normalises a `ps -o lstart` value (strftime "%c" in the C locale, e.g.
 * `Mon Nov  3 10:02:03 2023`) to seconds since the epoch, as a string.
 * darwin.ts runs ps with TZ=UTC0, so the value does not depend on the user's
 * time zone (or a change of it between two Corral runs). Resolution is one
 * second: that is all ps gives.
 */
export function parseLstart(text: string): string | null {
  const m = new RegExp(`^${LSTART_SRC}$`).exec(text.trim());
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0) return null;
  const ms = Date.UTC(Number(m[7]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isFinite(ms) ? String(ms / 1000) : null;
}

// pid ppid pgid [user] stat lstart(5 words, left-justified in a 28-wide column) command…
// The user is optional for the parser: stat never looks like the weekday lstart starts with.
const PS_LINE = new RegExp(`^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(?:(\\S+)\\s+)?(\\S+)\\s+${LSTART_SRC}(?:\\s+(.*))?$`);

/**
 * One line of `ps -o pid=,ppid=,pgid=,user=,stat=,lstart=,command=` (`user=`
 * may be left out); null for anything else (headers, warnings, a continuation
 * of a command that held a newline).
 *
 * `sid` is the pgid: macOS ps has no session id (its `sess` column is a kernel
 * address, zeroed on current releases). For a service leader the two are the
 * same (setsid makes pid == pgid == sid); a descendant that moved to its own
 * group is found through the recorded snapshot and the ports instead.
 */
export function parsePsLine(line: string): ProcessInfo | null {
  const m = PS_LINE.exec(line);
  if (!m) return null;
  const start = parseLstart(`${m[6]!} ${m[7]!} ${m[8]!} ${m[9]!}:${m[10]!}:${m[11]!} ${m[12]!}`);
  if (start === null) return null;
  const pgid = Number(m[3]);
  return {
    pid: Number(m[1]),
    ppid: Number(m[2]),
    pgid,
    sid: pgid,
    state: m[5]!.charAt(0),
    start,
    command: (m[13] ?? '').trimEnd(),
    ...(m[4] !== undefined ? { user: m[4] } : {}),
  };
}

/** Every parseable line of ps output, zombies included (callers decide; see isDead). */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const info = parsePsLine(line);
    if (info) out.push(info);
  }
  return out;
}

/**
 * A `ps -o time` value, the CPU time used (user + system), to milliseconds:
 * macOS prints minutes:seconds.hundredths ("0:01.23", "125:07.90"); other BSD
 * forms add hours and days ("1:02:03.45", "2-01:02:03"). Null for anything else.
 */
export function parseCpuTime(text: string): number | null {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return null;
  const [days, hours, minutes, seconds] = [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3]), Number(m[4])];
  return Math.round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000);
}

// pid ppid pgid stat rss time lstart(5 words) comm
const PS_USAGE_LINE = new RegExp(`^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+${LSTART_SRC}(?:\\s+(.*))?$`);

/**
 * `ps -o pid=,ppid=,pgid=,stat=,rss=,time=,lstart=,comm=` → rows with CPU time
 * and resident memory (rss is in KiB); zombies and unparseable lines left out.
 */
export function parsePsUsage(text: string): ProcessUsage[] {
  const out: ProcessUsage[] = [];
  for (const line of text.split('\n')) {
    const m = PS_USAGE_LINE.exec(line);
    if (!m) continue;
    const start = parseLstart(`${m[7]!} ${m[8]!} ${m[9]!} ${m[10]!}:${m[11]!}:${m[12]!} ${m[13]!}`);
    const cpuMs = parseCpuTime(m[6]!);
    if (start === null || cpuMs === null) continue;
    const state = m[4]!.charAt(0);
    if (isDead({ state })) continue;
    const pgid = Number(m[3]);
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), pgid, sid: pgid, state, start, command: (m[14] ?? '').trimEnd(), cpuMs, rssBytes: Number(m[5]) * 1024 });
  }
  return out;
}

/** A zombie has exited: it only waits to be reaped, and `kill(pid, 0)` still succeeds on it. */
export function isDead(info: Pick<ProcessInfo, 'state'>): boolean {
  return info.state === 'Z';
}

export type IdentityCheck = 'match' | 'gone' | 'not-ours';

/**
 * Whether `row` (ps's view of `identity.pid` now, or null when ps did not list it)
 * is the process `identity` names. A zombie counts as gone.
 */
export function checkIdentity(identity: ProcessIdentity, row: ProcessInfo | null, bootId: string): IdentityCheck {
  if (!row || row.pid !== identity.pid || isDead(row)) return 'gone';
  return identity.boot === bootId && row.start === identity.start ? 'match' : 'not-ours';
}

/**
 * The proof a group signal needs: a live member of group `pgid` whose identity
 * is one of `proof`. `rows` is ps's view of the proof pids. 'not-ours' when some
 * proof pid is alive but proves nothing (reused pid, other group, other boot).
 */
export function checkGroupProof(
  pgid: number,
  proof: readonly ProcessIdentity[],
  rows: readonly ProcessInfo[],
  bootId: string,
): IdentityCheck {
  if (!Number.isInteger(pgid) || pgid <= 1) return 'not-ours'; // kill(0|-1, …) would hit us or everyone
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  let someAlive = false;
  for (const id of proof) {
    const row = byPid.get(id.pid) ?? null;
    const c = checkIdentity(id, row, bootId);
    if (c === 'match' && row!.pgid === pgid) return 'match';
    if (c !== 'gone') someAlive = true;
  }
  return someAlive ? 'not-ours' : 'gone';
}

/** A pid ps may be asked about (and kill may be given): never 0 or negative, which mean groups. */
export function isValidPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid <= 0x7fffffff;
}

// ---------------------------------------------------------------- marker

/**
 * The marker of one process from ps's `command` column with `-E` and without.
 * `-E` appends the environment the process started with after its arguments,
 * so only what follows the arguments is the environment: a marker among the
 * *arguments* (a `grep CORRAL_INSTANCE=…`, another user's command line, which
 * setuid ps prints) never counts. Returns the value; '' when the environment
 * is readable and has no marker (not ours); null when there is none to read:
 * the two columns are the same (another user's process, or a binary the kernel
 * hides the environment of under SIP, such as /bin/bash or /bin/sleep), or the
 * process changed its arguments between the two calls.
 * A value holding a space cannot be told from the next variable; marker values never do.
 */
export function parseMarker(withEnv: string, withoutEnv: string): string | null {
  if (!withEnv.startsWith(withoutEnv)) return null;
  const env = withEnv.slice(withoutEnv.length);
  if (!/^\s+\S/.test(env)) return null;
  const re = new RegExp(`(?:^|\\s)${MARKER_VAR}=(\\S*)`, 'g');
  let value = '';
  for (const m of env.matchAll(re)) value = m[1]!;
  return value;
}

/**
 * Markers for a scan: `plain` and `withEnv` are ps's rows without and with
 * `-E`, taken one after the other. A pid is matched only with the same start
 * time (it may have been reused between the calls); otherwise it is unreadable.
 */
export function markersOf(plain: readonly ProcessInfo[], withEnv: readonly ProcessInfo[]): Map<number, string | null> {
  const env = new Map(withEnv.map((r) => [r.pid, r]));
  const out = new Map<number, string | null>();
  for (const r of plain) {
    const e = env.get(r.pid);
    out.set(r.pid, e && e.start === r.start && !isDead(e) ? parseMarker(e.command, r.command) : null);
  }
  return out;
}

// ---------------------------------------------------------------- listeners

export interface LsofListenRow {
  pid: number;
  command: string;
  /** 'IPv4' | 'IPv6' when lsof said so (field t). */
  family: string | null;
  address: string;
  port: number;
}

/**
 * An address as Linux's platform prints it, so both platforms compare alike:
 * wildcards become 0.0.0.0 or ::, IPv6 loses its brackets and scope.
 */
function normaliseAddress(raw: string, family: 'IPv4' | 'IPv6' | null): string {
  let a = raw;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  if (a === '*') return family === 'IPv6' ? '::' : family === 'IPv4' ? '0.0.0.0' : '*';
  return a;
}

function toPort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/** lsof's `n` field of a listening socket: `*:7233`, `127.0.0.1:7234`, `[::1]:7234`. */
function parseLsofName(name: string, family: 'IPv4' | 'IPv6' | null): { address: string; port: number } | null {
  if (name.includes('->')) return null; // a connection, not a listener
  const colon = name.lastIndexOf(':');
  if (colon <= 0) return null;
  const port = toPort(name.slice(colon + 1));
  if (port === null) return null;
  const address = normaliseAddress(name.slice(0, colon), family);
  return { address, port };
}

/**
 * `lsof -nP -iTCP -sTCP:LISTEN -FpcftnT` field output: one field per line, the
 * first character naming it. `p` starts a process (`c` its command), `f` starts
 * a file of it, then `t` (IPv4/IPv6), `n` (address:port) and `T` lines such as
 * `TST=LISTEN`. A socket shared by several processes (forked workers) appears
 * once per process. Unknown fields and garbage are ignored.
 */
export function parseLsofListen(text: string): LsofListenRow[] {
  const rows: LsofListenRow[] = [];
  let pid: number | null = null;
  let command = '';
  let file: { family: string | null; name: string | null; state: string | null } | null = null;

  const flush = (): void => {
    if (file && pid !== null && file.name !== null && (file.state === null || file.state === 'LISTEN')) {
      const fam = file.family === 'IPv4' || file.family === 'IPv6' ? file.family : null;
      const parsed = parseLsofName(file.name, fam);
      if (parsed) rows.push({ pid, command, family: file.family, ...parsed });
    }
    file = null;
  };

  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.length === 0) continue;
    const value = line.slice(1);
    switch (line[0]) {
      case 'p':
        flush();
        pid = /^\d+$/.test(value) ? Number(value) : null;
        command = '';
        break;
      case 'c':
        command = value;
        break;
      case 'f':
        flush();
        file = { family: null, name: null, state: null };
        break;
      case 't':
        file ??= { family: null, name: null, state: null };
        file.family = value;
        break;
      case 'n':
        // Without an `f` line between two names, the second starts a new file.
        if (file !== null && file.name !== null) flush();
        file ??= { family: null, name: null, state: null };
        file.name = value;
        break;
      case 'T':
        if (file && value.startsWith('ST=')) file.state = value.slice(3);
        break;
      default:
        break;
    }
  }
  flush();
  return rows;
}

export interface NetstatListenRow {
  address: string;
  port: number;
}

/**
 * `netstat -an -p tcp`: every LISTEN socket, whoever owns it (lsof, run as the
 * user, sees only the user's own processes). Local address is `addr.port`,
 * wildcard `*.port`; Proto tcp4 / tcp6 / tcp46 (dual-stack) gives the family.
 */
export function parseNetstatListen(text: string): NetstatListenRow[] {
  const out: NetstatListenRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^tcp(4|6|46)$/.test(f[0]!) || f[5] !== 'LISTEN') continue;
    const local = f[3]!;
    const dot = local.lastIndexOf('.');
    if (dot <= 0) continue;
    const port = toPort(local.slice(dot + 1));
    if (port === null) continue;
    const family = f[0] === 'tcp4' ? 'IPv4' : 'IPv6';
    out.push({ address: normaliseAddress(local.slice(0, dot), family), port });
  }
  return out;
}

/**
 * One PortListener per (address, port): lsof rows give the holders (several
 * pids when a socket is shared); netstat rows lsof did not see are sockets of
 * processes we may not inspect, reported with no pids. Restricted to `ports`
 * when given; sorted by port, then address.
 */
export function mergeListeners(
  lsof: readonly LsofListenRow[],
  netstat: readonly NetstatListenRow[],
  ports?: readonly number[],
): PortListener[] {
  const wanted = ports ? new Set(ports) : null;
  const byKey = new Map<string, PortListener>();
  const add = (address: string, port: number, pid: number | null): void => {
    if (wanted && !wanted.has(port)) return;
    const key = `${address}|${port}`;
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = { port, address, pids: [] }));
    if (pid !== null && !l.pids.includes(pid)) l.pids.push(pid);
  };
  for (const r of lsof) add(r.address, r.port, r.pid);
  for (const r of netstat) add(r.address, r.port, null);
  const out = [...byKey.values()];
  for (const l of out) l.pids.sort((a, b) => a - b);
  out.sort((a, b) => a.port - b.port || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return out;
}
