// macOS has no /proc: processes come from ps, the boot from sysctl, sockets
// from lsof (and netstat for sockets of other users). This file only runs the
// commands; darwin-parse.ts reads their output.
//
// Limits, compared with Linux:
// - Start time has one-second resolution (ps lstart). A pid reused within the
//   same second it was freed would pass the identity check; macOS allocates
//   pids sequentially up to 99999, so that needs a full wrap in one second.
// - Check and kill are two steps (ps, then kill), not one: the pid could be
//   reused in the few milliseconds between them. Same wrap argument.
// - Markers are readable only for the user's own processes, and only as ps -E
//   shows them: not at all for binaries the kernel restricts under SIP
//   (/bin/bash, /bin/zsh, /bin/sleep). The lifecycle also uses process groups,
//   recorded descendants and ports (docs/architecture.md, "Reconcile").
//
// With CORRAL_PLATFORM=darwin on Linux, the tools are taken from PATH instead:
// test/darwin-shims answers in macOS's formats from /proc.
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type { Platform, ProcessIdentity, ProcessInfo, SignalOutcome } from './types.js';
import {
  checkGroupProof,
  checkIdentity,
  isDead,
  isValidPid,
  markersOf,
  mergeListeners,
  parseBootSessionUuid,
  parseBootTime,
  parseLsofListen,
  parseNetstatListen,
  parsePs,
  parsePsUsage,
} from './darwin-parse.js';
import { walkTrees } from './tree-walk.js';

const execFileP = promisify(execFile);

// Absolute paths: an app started from Finder has a minimal PATH, and a
// Homebrew procps/lsof earlier on PATH would print other formats.
const tool = (path: string): string => (process.platform === 'darwin' ? path : basename(path));
const PS = tool('/bin/ps');
const SYSCTL = tool('/usr/sbin/sysctl');
const LSOF = tool('/usr/sbin/lsof');
const NETSTAT = tool('/usr/sbin/netstat');

const PS_FIELDS = 'pid=,ppid=,pgid=,user=,stat=,lstart=,command=';
// comm (the executable's name) rather than command: a sample every few seconds needs no arguments.
const PS_USAGE_FIELDS = 'pid=,ppid=,pgid=,stat=,rss=,time=,lstart=,comm=';
const TIMEOUT_MS = 5_000;
// lsof answers in well under a second with -b; past this it is stuck (a
// network or File Provider mount), and netstat's rows stand in for it.
const LSOF_TIMEOUT_MS = 4_000;

/**
 * Runs a tool with the C locale (English month names, "%c" dates) and UTC
 * (lstart then does not depend on the user's time zone). Exit status 1 with
 * output is normal for ps -p (some pid not found) and lsof (nothing matched).
 */
async function run(file: string, args: readonly string[], timeout = TIMEOUT_MS, okStatus: readonly number[] = [1]): Promise<string> {
  try {
    const { stdout } = await execFileP(file, [...args], {
      encoding: 'utf8',
      timeout,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC0' },
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { code?: number | string; stdout?: string; killed?: boolean };
    if (typeof err.code === 'number' && okStatus.includes(err.code) && !err.killed) return err.stdout ?? '';
    throw new Error(`${file} ${args.join(' ')} failed: ${err.message}`, { cause: e });
  }
}

let bootIdPromise: Promise<string> | null = null;

async function readBootId(): Promise<string> {
  try {
    const uuid = parseBootSessionUuid(await run(SYSCTL, ['-n', 'kern.bootsessionuuid'], TIMEOUT_MS, []));
    if (uuid) return uuid;
  } catch {}
  const text = await run(SYSCTL, ['-n', 'kern.boottime'], TIMEOUT_MS, []);
  const boot = parseBootTime(text);
  if (!boot) throw new Error(`Cannot read the boot time from sysctl kern.boottime: ${JSON.stringify(text.slice(0, 80))}`);
  return boot;
}

function bootId(): Promise<string> {
  bootIdPromise ??= readBootId().catch((e: unknown) => {
    bootIdPromise = null; // retry next time rather than caching a failure
    throw e;
  });
  return bootIdPromise;
}

/**
 * ps's rows for these pids, zombies included; with `env`, each command is
 * followed by the environment (-E). Without -x, ps given several -p walks every
 * process and resolves terminal names first (132 ms to 3 s a call).
 */
async function psRows(pids: readonly number[], env = false): Promise<ProcessInfo[]> {
  const valid = [...new Set(pids.filter(isValidPid))];
  if (valid.length === 0) return [];
  const args = [...(env ? ['-E'] : []), '-x', '-ww', '-o', PS_FIELDS];
  for (const pid of valid) args.push('-p', String(pid));
  return parsePs(await run(PS, args)).filter((r) => valid.includes(r.pid));
}

/**
 * One pid's row. Asked at the same moment (every adopted process's poll shares one wake of
 * the owner), the rows come from one ps for all of them, not one ps each: on a Mac a ps is a
 * process start, and ten adopted services polled each second were ten a second.
 */
function psRow(pid: number): Promise<ProcessInfo | null> {
  let b = rowBatch;
  if (!b) {
    const pids = new Set<number>();
    const rows = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      if (rowBatch === b) rowBatch = null;
      return psRows([...pids]).then((list) => new Map(list.map((r) => [r.pid, r])));
    });
    b = rowBatch = { pids, rows };
  }
  b.pids.add(pid);
  return b.rows.then((m) => m.get(pid) ?? null);
}
let rowBatch: { pids: Set<number>; rows: Promise<Map<number, ProcessInfo>> } | null = null;

/** Every process of this user (ps -x without -a), with the environment when `env`. */
async function psOwn(env: boolean): Promise<ProcessInfo[]> {
  return parsePs(await run(PS, [...(env ? ['-E'] : []), '-x', '-ww', '-o', PS_FIELDS]));
}

function kill(pid: number, signal: NodeJS.Signals): SignalOutcome {
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
    throw e;
  }
}

/**
 * kill(-pgid). xnu's killpg1 answers EPERM when it signalled nobody because
 * every member left is a zombie (not only when a member belongs to someone
 * else): list the group again to tell which.
 */
async function killGroup(pgid: number, signal: NodeJS.Signals): Promise<SignalOutcome> {
  try {
    return kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    const rows = parsePs(await run(PS, ['-ax', '-ww', '-o', PS_FIELDS]));
    return rows.some((r) => r.pgid === pgid && !isDead(r)) ? 'not-ours' : 'gone';
  }
}

/** The rows of these trees: each root and, through ppid, its descendants. */
function inTrees<R extends { pid: number; ppid: number }>(rows: readonly R[], roots: readonly number[]): R[] {
  const byParent = new Map<number, R[]>();
  for (const r of rows) {
    const siblings = byParent.get(r.ppid);
    if (siblings) siblings.push(r);
    else byParent.set(r.ppid, [r]);
  }
  const byPid = new Map(rows.map((r) => [r.pid, r]));
  const out: R[] = [];
  walkTrees(roots, (pid) => {
    const row = byPid.get(pid);
    if (!row) return [];
    out.push(row);
    return (byParent.get(pid) ?? []).map((kid) => kid.pid);
  });
  return out;
}

export const darwinPlatform: Platform = {
  name: 'darwin',
  cheapIdentity: false,
  bootId,
  async processInfo(pid) {
    const row = await psRow(pid);
    return row && !isDead(row) ? row : null;
  },
  async listProcesses() {
    return parsePs(await run(PS, ['-axww', '-o', PS_FIELDS])).filter((r) => !isDead(r));
  },
  async scan() {
    // Two calls for the whole table (one ps -E per process took seconds on a Mac with ~900).
    const [plain, withEnv] = await Promise.all([psOwn(false), psOwn(true)]);
    const procs = plain.filter((r) => !isDead(r));
    return { procs, markers: markersOf(procs, withEnv) };
  },
  async usage(roots) {
    const rows = parsePsUsage(await run(PS, ['-x', '-ww', '-o', PS_USAGE_FIELDS]));
    return roots ? inTrees(rows, roots) : rows;
  },
  async scanTrees(roots) {
    // One ps of the user's processes without their environments (the half of a scan that
    // costs): what a tree holds is known by where it hangs, not by its marker.
    return { procs: inTrees((await psOwn(false)).filter((r) => !isDead(r)), roots), markers: new Map() };
  },
  async readMarkers(pids) {
    const out = new Map<number, string | null>();
    const valid = pids.filter(isValidPid);
    if (valid.length === 0) return out;
    // Two ps calls for every new process of a tick, not two per process.
    const [plain, withEnv] = await Promise.all([psRows(valid), psRows(valid, true)]);
    for (const [pid, marker] of markersOf(plain.filter((r) => !isDead(r)), withEnv)) out.set(pid, marker);
    return out;
  },
  async readMarker(pid) {
    if (!isValidPid(pid)) return null;
    try {
      const [plain, withEnv] = await Promise.all([psRows([pid]), psRows([pid], true)]);
      const row = plain[0];
      return row ? (markersOf([row], withEnv).get(pid) ?? null) : null;
    } catch {
      return null;
    }
  },
  async listeners(ports) {
    const wanted = ports?.filter((p) => Number.isInteger(p) && p >= 1 && p <= 65535);
    if (wanted && wanted.length === 0) return [];
    const select = wanted ? `-iTCP:${wanted.join(',')}` : '-iTCP';
    // -b: no blocking stat() calls (a File Provider or network folder can hang them).
    const [lsofRows, netstatRows] = await Promise.all([
      run(LSOF, ['-nP', '-b', '-w', select, '-sTCP:LISTEN', '-FpcftnT'], LSOF_TIMEOUT_MS).then(parseLsofListen, (e: unknown) => e as Error),
      run(NETSTAT, ['-an', '-p', 'tcp']).then(parseNetstatListen, (e: unknown) => e as Error),
    ]);
    if (lsofRows instanceof Error && netstatRows instanceof Error) throw lsofRows;
    // Each stands in for the other: without netstat only the holders lsof sees are reported;
    // without lsof every listener is there, with no pids (a holder Corral cannot see).
    return mergeListeners(lsofRows instanceof Error ? [] : lsofRows, netstatRows instanceof Error ? [] : netstatRows, wanted);
  },
  async signalProcess(identity, signal) {
    if (!isValidPid(identity.pid)) return 'not-ours';
    const [boot, row] = await Promise.all([bootId(), psRow(identity.pid)]);
    const check = checkIdentity(identity, row, boot);
    return check === 'match' ? kill(identity.pid, signal) : check;
  },
  async signalGroup(pgid: number, proof: readonly ProcessIdentity[], signal) {
    const [boot, rows] = await Promise.all([bootId(), psRows(proof.map((id) => id.pid))]);
    const check = checkGroupProof(pgid, proof, rows, boot);
    return check === 'match' ? killGroup(pgid, signal) : check;
  },
};
