// A tiny logger for the demo services: a timestamp first (Corral merges
// services' logs by it) and a coloured level, as real servers print.
const color = (code, s) => (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0' ? `\x1b[${code}m${s}\x1b[0m` : s);
const LEVELS = { info: 32, warn: 33, error: 31 };

export function log(level, msg) {
  const line = `${new Date().toISOString()} ${color(LEVELS[level] ?? 0, level.toUpperCase().padEnd(5))} ${msg}\n`;
  (level === 'error' ? process.stderr : process.stdout).write(line);
}
