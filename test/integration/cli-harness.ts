// Runs the real `corral` CLI (bin/corral.js) against a temp CORRAL_HOME, as a
// user would, and cleans up after itself: the owner daemon is stopped (by pid
// if it must), services are gone, nothing carrying the test's marker or tag
// survives.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataDir } from '../../electron/engine/state/paths.js';
import { REPO_ROOT, tempHome, assertNothingLeft, isLive, waitFor, fixture, markedPids } from '../helpers/env.js';

export const CLI = join(REPO_ROOT, 'bin', 'corral.js');
export const SVC = fixture('svc.mjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Harness {
  home: string;
  dir: DataDir;
  /** Every process started through this harness carries CORRAL_TEST_TAG=tag (daemon and services inherit it). */
  tag: string;
  env: NodeJS.ProcessEnv;
  run(args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  json<T = unknown>(args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<T>;
  ownerPid(): number | null;
  /** A directory inside the home for stack files. */
  project(name?: string): string;
  writeStack(dir: string, yaml: string, file?: string): string;
  cleanup(): Promise<void>;
}

/** `cli`: another copy of bin/corral.js to run (default: this checkout's). */
export function harness(label: string, opts: { cli?: string } = {}): Harness {
  const cli = opts.cli ?? CLI;
  const { home, cleanup } = tempHome(label);
  const dir = new DataDir(home);
  const tag = `${label}-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, CORRAL_HOME: home, CORRAL_TEST_TAG: tag, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const h: Harness = {
    home,
    dir,
    tag,
    env,
    run(args, opts = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--enable-source-maps', cli, ...args], { cwd: opts.cwd ?? home, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`corral ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, opts.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    async json(args, opts) {
      const r = await h.run([...args, '--json'], opts);
      if (r.code !== 0) throw new Error(`corral ${args.join(' ')} --json exited ${r.code}: ${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout);
    },
    ownerPid() {
      try {
        const pid = (JSON.parse(readFileSync(dir.lockFile, 'utf8')) as { pid: number }).pid;
        return isLive(pid) ? pid : null;
      } catch {
        return null;
      }
    },
    project(name = 'project') {
      const p = join(home, name);
      mkdirSync(p, { recursive: true });
      return p;
    },
    writeStack(d, yaml, file = 'corral.yaml') {
      const p = join(d, file);
      writeFileSync(p, yaml);
      return p;
    },
    async cleanup() {
      try {
        // Services left without an owner are stopped by one (which adopts, then stops them provably).
        if (h.ownerPid() === null && markedPids(dir.markerPrefix()).length > 0) await h.run(['daemon', 'start']);
        if (h.ownerPid() !== null) await h.run(['daemon', 'stop', '--stop-services'], { timeoutMs: 120_000 });
      } catch {}
      const pid = h.ownerPid();
      if (pid !== null) {
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !isLive(pid), 5000, `owner ${pid} gone`);
      }
      try {
        await assertNothingLeft({ markerPrefix: dir.markerPrefix(), tag });
      } finally {
        cleanup();
      }
    },
  };
  return h;
}

/** A service of test/fixtures/svc.mjs in a stack file, with short timers. */
export function svcYaml(name: string, args: string[], extra = '', restart = '{ policy: on-failure, backoff: 50ms, max_backoff: 400ms }'): string {
  return `  ${name}:
    command: ${JSON.stringify(['${CORRAL_NODE}', SVC, ...args])}
    stop: { grace: 2s }
    restart: ${restart}
    start_timeout: 10s
${extra}`;
}

export interface ServiceJson {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  ports: number[];
  adopted: boolean;
}
export interface StackJson {
  name: string;
  file: string;
  services: ServiceJson[];
}
