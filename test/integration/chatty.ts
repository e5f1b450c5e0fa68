// A chatty service for the log tests, inlined as `node -e`: writes `line <n>`
// at a fixed rate (lines per second) until `total`, prints `chatty done`, then
// stays up. Its stdout is the log file, written synchronously by Node.
import { readdirSync, readFileSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';

export const CHATTY = `
const total = Number(process.argv[1]); const rate = Number(process.argv[2]); const chunk = 500;
let n = 0; const t0 = Date.now();
function tick() {
  let buf = '';
  for (let i = 0; i < chunk && n < total; i++) buf += 'line ' + (++n) + '\\n';
  process.stdout.write(buf);
  if (n < total) setTimeout(tick, Math.max(0, t0 + (n / rate) * 1000 - Date.now()));
  else { process.stdout.write('chatty done in ' + (Date.now() - t0) + ' ms\\n'); setInterval(() => {}, 1 << 30); }
}
tick();`;

export function chattyYaml(name: string, total: number, rate: number): string {
  return `  ${name}:
    command: ${JSON.stringify(['${CORRAL_NODE}', '-e', CHATTY, String(total), String(rate)])}
    restart: { policy: never }
    stop: { grace: 2s }
`;
}

export interface LineCount {
  files: number;
  unique: number;
  missing: number[];
  duplicates: number;
  done: boolean;
  doneMs: number | null;
}

/** Counts `line <n>` across `file` and its rotated copies (`file.1`, `file.2`, …). */
export function countLines(file: string, total: number): LineCount {
  const seen = new Uint8Array(total + 1);
  let duplicates = 0;
  let done = false;
  let doneMs: number | null = null;
  const names = readdirSync(dirname(file)).filter((f) => f === basename(file) || new RegExp(`^${basename(file).replace('.', '\\.')}\\.\\d+$`).test(f));
  for (const f of names) {
    let text: string;
    try {
      text = readFileSync(join(dirname(file), f), 'latin1');
    } catch {
      continue; // rotated away while we read: counted again once the caller stops rotation
    }
    for (const line of text.split('\n')) {
      if (line.startsWith('line ')) {
        const k = Number(line.slice(5));
        if (k >= 1 && k <= total) {
          if (seen[k]) duplicates++;
          seen[k] = 1;
        }
      } else if (line.startsWith('chatty done')) {
        done = true;
        doneMs = Number(/in (\d+) ms/.exec(line)?.[1] ?? NaN);
      }
    }
  }
  const missing: number[] = [];
  for (let k = 1; k <= total; k++) if (!seen[k]) missing.push(k);
  return { files: names.length, unique: total - missing.length, missing, duplicates, done, doneMs };
}

/**
 * How far the writer has got, from the ends of the current file and the newest
 * rotated copy: the last `line <n>` there (`total` once it printed `chatty
 * done`). Cheap enough to poll while the writer runs, unlike
 * counting every line, which would compete with it for the CPU.
 */
export function writtenSoFar(file: string, total: number): number {
  // A rotation may just have moved everything to `.1` (the newest copy).
  return Math.max(lastNumber(file, total), lastNumber(`${file}.1`, total));
}

function lastNumber(file: string, total: number): number {
  let tail = '';
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 256));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      tail = buf.toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
  if (tail.includes('chatty done')) return total;
  const all = [...tail.matchAll(/line (\d+)\n/g)];
  return all.length > 0 ? Number(all[all.length - 1]![1]) : 0;
}
