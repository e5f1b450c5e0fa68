// Runs test/fixtures/owner-host in a child process and reads its JSON events.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { StackSpec } from '../../shared/stack.js';
import type { Snapshot } from '../../shared/state.js';

const HOST = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'owner-host.js');

export interface OwnerProcess {
  child: ChildProcess;
  events: { type: string; [k: string]: unknown }[];
  latest(): Snapshot | null;
  waitEvent(pred: (e: { type: string; [k: string]: unknown }) => boolean, timeoutMs?: number): Promise<{ type: string; [k: string]: unknown }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startOwnerProcess(home: string, spec: StackSpec | null, env: Record<string, string> = {}): Promise<OwnerProcess> {
  let specFile = '-';
  if (spec) {
    specFile = join(home, `spec-${Date.now()}.json`);
    writeFileSync(specFile, JSON.stringify(spec));
  }
  const child = spawn(process.execPath, ['--enable-source-maps', HOST, home, specFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const events: OwnerProcess['events'] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      return;
    }
    waiters.forEach((w) => w());
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const op: OwnerProcess = {
    child,
    events,
    latest() {
      for (let i = events.length - 1; i >= 0; i--) {
        const e = events[i]!;
        if (e.type === 'snapshot' || e.type === 'ready') return e.snapshot as Snapshot;
      }
      return null;
    },
    waitEvent(pred, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const e = events.find(pred);
          if (e) {
            waiters.delete(check);
            clearTimeout(t);
            resolve(e);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`owner-host: no matching event within ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-3)).slice(0, 800)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
  try {
    await op.waitEvent((e) => e.type === 'ready', 20_000);
  } catch (e) {
    await op.kill('SIGKILL');
    throw e;
  }
  return op;
}
