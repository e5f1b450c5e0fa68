// CPU and memory as every view prints them: "3.1%", "41 MB". Pure.
import type { ResourceUse } from './state.js';

/** Percent of one core: one decimal below 10 %, whole numbers above ("0.4%", "3.1%", "87%", "203%"). */
export function formatCpu(percent: number): string {
  return percent < 9.95 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

const UNITS = ['KB', 'MB', 'GB', 'TB'];

/** Bytes in binary units, as ps and top count them (1 MB = 1024 KB): "820 KB", "41 MB", "1.2 GB". */
export function formatMemory(bytes: number): string {
  let v = bytes / 1024;
  let unit = 0;
  while (v >= 1000 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const shown = v < 10 && unit > 0 ? v.toFixed(1) : String(Math.round(v));
  return `${shown} ${UNITS[unit]}`;
}

/** "3.1% 41 MB" (with the process count when there are several: "3.1% 41 MB, 3 processes"). */
export function formatResources(r: ResourceUse, opts: { processes?: boolean } = {}): string {
  const base = `${formatCpu(r.cpuPercent)} ${formatMemory(r.memoryBytes)}`;
  return opts.processes && r.processes > 1 ? `${base}, ${r.processes} processes` : base;
}

/** The sum over several services (the tray's aggregate when a line per service would be too long). */
export function sumResources(all: readonly ResourceUse[]): ResourceUse | null {
  if (all.length === 0) return null;
  return {
    cpuPercent: Math.round(all.reduce((a, r) => a + r.cpuPercent, 0) * 10) / 10,
    memoryBytes: all.reduce((a, r) => a + r.memoryBytes, 0),
    processes: all.reduce((a, r) => a + r.processes, 0),
    at: Math.min(...all.map((r) => r.at)),
  };
}
