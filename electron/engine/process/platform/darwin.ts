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
//   shows them; the lifecycle also uses process groups, recorded descendants
//   and ports (docs/architecture.md, "Reconcile").
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Platform, ProcessIdentity, ProcessInfo, SignalOutcome } from './types.js';
import {
  checkGroupProof,
  checkIdentity,
  isDead,
  isValidPid,
  mergeListeners,
  parseBootSessionUuid,
  parseBootTime,
  parseLsofListen,
  parseMarker,
  parseNetstatListen,
  parsePs,
  type NetstatListenRow,
} from './darwin-parse.js';

const execFileP = promisify(execFile);

// Absolute paths: an app started from Finder has a minimal PATH, and a
// Homebrew procps/lsof earlier on PATH would print other formats.
const PS = '/bin/ps';
const SYSCTL = '/usr/sbin/sysctl';
const LSOF = '/usr/sbin/lsof';
const NETSTAT = '/usr/sbin/netstat';

const PS_FIELDS = 'pid=,ppid=,pgid=,stat=,lstart=,command=';
const TIMEOUT_MS = 5_000;
const LSOF_TIMEOUT_MS = 10_000;

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

/** ps's rows for these pids, zombies included. */
async function psRows(pids: readonly number[]): Promise<ProcessInfo[]> {
  const valid = [...new Set(pids.filter(isValidPid))];
  if (valid.length === 0) return [];
  const args = ['-ww', '-o', PS_FIELDS];
  for (const pid of valid) args.push('-p', String(pid));
  return parsePs(await run(PS, args)).filter((r) => valid.includes(r.pid));
}

async function psRow(pid: number): Promise<ProcessInfo | null> {
  return (await psRows([pid]))[0] ?? null;
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

export const darwinPlatform: Platform = {
  name: 'darwin',
  bootId,
  async processInfo(pid) {
    const row = await psRow(pid);
    return row && !isDead(row) ? row : null;
  },
  async listProcesses() {
    return parsePs(await run(PS, ['-axww', '-o', PS_FIELDS])).filter((r) => !isDead(r));
  },
  async readMarker(pid) {
    if (!isValidPid(pid)) return null;
    try {
      return parseMarker(await run(PS, ['-E', '-ww', '-o', 'command=', '-p', String(pid)]));
    } catch {
      return null;
    }
  },
  async listeners(ports) {
    const wanted = ports?.filter((p) => Number.isInteger(p) && p >= 1 && p <= 65535);
    if (wanted && wanted.length === 0) return [];
    const select = wanted ? `-iTCP:${wanted.join(',')}` : '-iTCP';
    const [lsofOut, netstatRows] = await Promise.all([
      run(LSOF, ['-nP', '-w', select, '-sTCP:LISTEN', '-FpcftnT'], LSOF_TIMEOUT_MS),
      // Best effort: without it, only the holders lsof can see are reported.
      run(NETSTAT, ['-an', '-p', 'tcp']).then(parseNetstatListen, (): NetstatListenRow[] => []),
    ]);
    return mergeListeners(parseLsofListen(lsofOut), netstatRows, wanted);
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
    return check === 'match' ? kill(-pgid, signal) : check;
  },
};
