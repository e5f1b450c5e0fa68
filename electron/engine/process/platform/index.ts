import type { Platform, ProcessIdentity } from './types.js';
import { linuxPlatform } from './linux.js';

export * from './types.js';

let current: Platform | null = null;

/**
 * Which implementation runs: this machine's, or macOS's on Linux with
 * CORRAL_PLATFORM=darwin (its tools then come from PATH: test/darwin-shims).
 */
export function platformName(env: NodeJS.ProcessEnv = process.env): 'linux' | 'darwin' {
  const forced = env.CORRAL_PLATFORM;
  if (forced === 'darwin' || (forced === 'linux' && process.platform === 'linux')) return forced;
  if (forced) throw new Error(`CORRAL_PLATFORM=${forced} is not supported here: use darwin (on Linux, with test/darwin-shims on PATH) or leave it unset.`);
  if (process.platform === 'linux' || process.platform === 'darwin') return process.platform;
  throw new Error(`Corral supports Linux and macOS, not ${process.platform}.`);
}

/** The platform of this machine; macOS support is loaded lazily so Linux never pays for it. */
export async function platform(): Promise<Platform> {
  if (current) return current;
  current = platformName() === 'darwin' ? (await import('./darwin.js')).darwinPlatform : linuxPlatform;
  return current;
}

export async function identityOf(pid: number): Promise<ProcessIdentity | null> {
  const p = await platform();
  const info = await p.processInfo(pid);
  return info ? { pid, start: info.start, boot: await p.bootId() } : null;
}

/**
 * Whether the pid exists at all, for the price of one system call (signal 0). It cannot tell
 * a zombie or a new process given the same pid from the one that had it: `isAlive` can.
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process with this identity is alive (a zombie is dead). */
export async function isAlive(id: ProcessIdentity): Promise<boolean> {
  const p = await platform();
  if (id.boot !== (await p.bootId())) return false;
  const info = await p.processInfo(id.pid);
  return info !== null && info.start === id.start;
}
