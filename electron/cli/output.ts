// Terminal output: colour only on a TTY and never with NO_COLOR (no-color.org)
// or --no-color; tables padded by visible width.
import type { Writable } from 'node:stream';

// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export const stripAnsi = (s: string): string => s.replace(ANSI, '');

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Color = keyof typeof CODES;

/** Colours cycled through for service prefixes in merged logs. */
export const SERVICE_COLORS: Color[] = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'];

export class Output {
  constructor(
    readonly stdout: Writable,
    readonly stderr: Writable,
    readonly color: boolean,
  ) {}

  paint(color: Color, s: string): string {
    return this.color ? `\x1b[${CODES[color]}m${s}\x1b[0m` : s;
  }

  /** Service output as shown: its own ANSI codes kept only when we colour. */
  text(s: string): string {
    return this.color ? s : stripAnsi(s);
  }

  line(s = ''): void {
    this.stdout.write(s + '\n');
  }

  note(s: string): void {
    this.stderr.write(s + '\n');
  }

  json(v: unknown): void {
    this.stdout.write(JSON.stringify(v, null, 2) + '\n');
  }

  stateColor(state: string): Color {
    if (state === 'running' || state === 'completed') return 'green';
    if (state === 'failed') return 'red';
    if (state === 'stopped') return 'gray';
    return 'yellow';
  }
}

/** Rows padded to the widest visible cell of each column; the last column is not padded. */
export function table(rows: string[][], gap = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, stripAnsi(c).length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - stripAnsi(c).length))).join(gap).trimEnd());
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}
