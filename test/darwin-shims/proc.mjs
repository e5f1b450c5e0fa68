// What the Node shims read: Linux's /proc, turned into the facts macOS's tools
// print. Shared by lsof, netstat, sysctl and xnu-kill.mjs (ps is Perl, for
// speed, and reads /proc itself). The README's "The Mac path, tested without
// a Mac" says what they stand for.
import { appendFileSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

export const CLK_TCK = 100;

export function bootTime() {
  return Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))[1]);
}

export function bootId() {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

let users = null;
export function userName(uid) {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) users.set(Number(f[2]), f[0]);
      }
    } catch {}
  }
  return users.get(uid) ?? String(uid);
}

export function allPids() {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

// Linux states as macOS's ps shows them: D (disk wait) is U, t (traced) is T, X (dead) is Z.
const STATE = { R: 'R', S: 'S', D: 'U', Z: 'Z', T: 'T', t: 'T', X: 'Z', I: 'I', W: 'S', P: 'S' };

/** One process as ps sees it, or null when it is gone. */
export function proc(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(open + 1, close);
  const f = stat.slice(close + 2).split(' ');
  let uid = 0;
  try {
    uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {}
  let args = [];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
  } catch {}
  let exe = comm;
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {}
  const pidN = Number(stat.slice(0, open).trim());
  const sid = Number(f[3]);
  const state = STATE[f[0]] ?? 'S';
  return {
    pid: pidN,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid,
    tty: Number(f[4]),
    uid,
    comm,
    exe,
    state,
    stat: state + (pidN === sid && state !== 'Z' ? 's' : ''),
    startSec: bootTime() + Math.floor(Number(f[19]) / CLK_TCK),
    // macOS shows a process without arguments (or a zombie) as (name).
    command: args.length > 0 && state !== 'Z' ? args.join(' ') : `(${comm})`,
  };
}

/** Every call is appended to CORRAL_SHIM_LOG when set, so tests can see what Corral asked. */
export function logCall(tool, args) {
  const file = process.env.CORRAL_SHIM_LOG;
  if (file) appendFileSync(file, JSON.stringify({ tool, args, pid: process.pid }) + '\n');
}

// ---------------------------------------------------------------- sockets

function hexToIpv4(hex) {
  const b = Buffer.from(hex, 'hex');
  return `${b[3]}.${b[2]}.${b[1]}.${b[0]}`;
}

function hexToIpv6(hex) {
  const words = [];
  for (let i = 0; i < 4; i++) {
    const b = Buffer.from(hex.slice(i * 8, i * 8 + 8), 'hex');
    words.push(b.readUInt32LE(0));
  }
  const groups = [];
  for (const w of words) groups.push((w >>> 16) & 0xffff, w & 0xffff);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  // Compress the longest run of zero groups.
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best[1]) best = [i, j - i];
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (best[1] < 2) return hexes.join(':');
  return `${hexes.slice(0, best[0]).join(':')}::${hexes.slice(best[0] + best[1]).join(':')}`;
}

/** LISTEN TCP sockets: { inode, family: 'IPv4'|'IPv6', address, port }. */
export function listenSockets() {
  const out = [];
  for (const [file, family] of [['/proc/net/tcp', 'IPv4'], ['/proc/net/tcp6', 'IPv6']]) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      const [addr, port] = f[1].split(':');
      out.push({ inode: f[9], family, address: family === 'IPv4' ? hexToIpv4(addr) : hexToIpv6(addr), port: parseInt(port, 16) });
    }
  }
  return out;
}

/** pid → [{ fd, inode }] for every socket fd of the processes that may be inspected. */
export function socketFds(pids) {
  const out = new Map();
  for (const pid of pids) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const list = out.get(pid) ?? [];
      list.push({ fd: Number(fd), inode: target.slice(8, -1) });
      out.set(pid, list);
    }
  }
  return out;
}
