import type { Platform, ProcessIdentity } from './types.js';
import { linuxPlatform } from './linux.js';

export * from './types.js';

let current: Platform | null = null;

/** The platform of this machine; macOS support is loaded lazily so Linux never pays for it. */
export async function platform(): Promise<Platform> {
  if (current) return current;
  if (process.platform === 'linux') current = linuxPlatform;
  else if (process.platform === 'darwin') current = (await import('./darwin.js')).darwinPlatform;
  else throw new Error(`Corral supports Linux and macOS, not ${process.platform}.`);
  return current;
}

export async function identityOf(pid: number): Promise<ProcessIdentity | null> {
  const p = await platform();
  const info = await p.processInfo(pid);
  return info ? { pid, start: info.start, boot: await p.bootId() } : null;
}

/** True when the process with this identity is alive (a zombie is dead). */
export async function isAlive(id: ProcessIdentity): Promise<boolean> {
  const p = await platform();
  if (id.boot !== (await p.bootId())) return false;
  const info = await p.processInfo(id.pid);
  return info !== null && info.start === id.start;
}
