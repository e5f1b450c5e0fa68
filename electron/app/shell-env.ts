// Apps started from Finder (or a desktop launcher) get a minimal environment:
// PATH=/usr/bin:/bin:/usr/sbin:/sbin on macOS, without what the user's shell
// profile adds (Homebrew, ~/.local/bin, asdf, nvm…), so stack commands like
// `temporal` are not found. Once at startup, ask the user's login shell for its
// environment and merge it in.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';

/**
 * The command run with `$SHELL -ilc`. The marker is printed in two halves so
 * that a shell echoing its command line (set -v, verbose rc files) never prints
 * it whole. `env -0` separates variables with NUL, so values with newlines
 * parse exactly; shells whose `env` lacks -0 (older macOS) fall back to plain
 * `env`. The syntax is valid in sh, bash, zsh, fish and tcsh.
 */
export function shellCommand(marker: string): string {
  const half = Math.floor(marker.length / 2);
  const print = `printf '%s%s' '${marker.slice(0, half)}' '${marker.slice(half)}'`;
  return `${print}; env -0 || env; ${print}`;
}

export function newMarker(): string {
  return `__CORRAL_ENV_${randomBytes(8).toString('hex')}__`;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses what `shellCommand` printed: only the text between the first two
 * markers counts (rc files may print banners before and after). Returns null
 * when the markers are not both there.
 */
export function parseShellEnv(stdout: string, marker: string): Record<string, string> | null {
  const start = stdout.indexOf(marker);
  if (start === -1) return null;
  const end = stdout.indexOf(marker, start + marker.length);
  if (end === -1) return null;
  const body = stdout.slice(start + marker.length, end);
  const env: Record<string, string> = {};
  if (body.includes('\0')) {
    for (const entry of body.split('\0')) {
      const eq = entry.indexOf('=');
      if (eq <= 0) continue;
      const name = entry.slice(0, eq);
      // Exported shell functions (BASH_FUNC_x%%) and other odd names are not variables we want.
      if (NAME.test(name)) env[name] = entry.slice(eq + 1);
    }
    return env;
  }
  // Newline-separated fallback: a line that does not start a NAME= entry
  // continues the previous value (a value with a newline in it).
  let last: string | null = null;
  for (const line of body.split('\n')) {
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq) : '';
    if (NAME.test(name)) {
      env[name] = line.slice(eq + 1);
      last = name;
    } else if (last !== null && !line.startsWith('BASH_FUNC_')) {
      env[last] += `\n${line}`;
    } else {
      last = null;
    }
  }
  if (last !== null && body.endsWith('\n')) env[last] = env[last]!.replace(/\n$/, '');
  return env;
}

// Describe the shell session, not the user's setup; taking them would be wrong for the app.
const SESSION_VARS = new Set(['_', 'PWD', 'OLDPWD', 'SHLVL', 'PS1', 'PS2', 'PS4', 'PROMPT', 'RPROMPT', 'TERM', 'COLUMNS', 'LINES', 'TMUX', 'TMUX_PANE', 'ZSH_TMUX_AUTOSTARTED', 'DISABLE_AUTO_UPDATE', 'ZSH_TMUX_AUTOSTART']);

/**
 * The environment to run with: PATH from the login shell, followed by any
 * entries of the current PATH it lacks (the app's own may matter); every other
 * variable the login shell defines and the app does not. What the app was
 * started with wins, so an explicit `FOO=1 open Corral.app` still holds.
 */
export function mergeShellEnv(current: NodeJS.ProcessEnv, login: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(current)) if (v !== undefined) out[k] = v;
  for (const [k, v] of Object.entries(login)) {
    if (SESSION_VARS.has(k) || k.startsWith('ELECTRON_') || k in out) continue;
    out[k] = v;
  }
  if (login.PATH) {
    const seen = new Set<string>();
    const merged: string[] = [];
    for (const dir of [...login.PATH.split(':'), ...(current.PATH ?? '').split(':')]) {
      if (dir === '' || seen.has(dir)) continue;
      seen.add(dir);
      merged.push(dir);
    }
    out.PATH = merged.join(':');
  }
  return out;
}

/**
 * How to start `shell` as an interactive login shell running `command`. Most
 * take `-ilc`; tcsh and csh refuse -l with other flags ("-l: must be the only
 * flag") and are login shells when argv[0] starts with '-', as login(1) runs them.
 */
export function loginShellInvocation(shell: string, command: string): { file: string; args: string[]; argv0?: string } {
  const name = basename(shell);
  if (name === 'tcsh' || name === 'csh') return { file: shell, args: ['-i', '-c', command], argv0: `-${name}` };
  return { file: shell, args: ['-ilc', command] };
}

export interface ResolveOptions {
  shell?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export type ShellEnvResult = { ok: true; env: Record<string, string>; shell: string } | { ok: false; shell: string; reason: string };

/** Runs the login shell once, bounded; never throws. */
export function readLoginShellEnv(opts: ResolveOptions = {}): Promise<ShellEnvResult> {
  const env = opts.env ?? process.env;
  const shell = opts.shell || env.SHELL || '/bin/sh';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const marker = newMarker();
  if (/^(nu|elvish|xonsh)$/.test(basename(shell))) return Promise.resolve({ ok: false, shell, reason: `${basename(shell)} is not a POSIX-like shell; keeping the app's PATH` });
  return new Promise((resolvePromise) => {
    let stdout = '';
    let settled = false;
    const done = (r: ShellEnvResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise(r);
    };
    // stdin closed and detached: an interactive shell must not wait on a
    // terminal. The oh-my-zsh variables stop its update prompt and tmux autostart.
    const how = loginShellInvocation(shell, shellCommand(marker));
    const child = spawn(how.file, how.args, {
      ...(how.argv0 ? { argv0: how.argv0 } : {}),
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
      env: { ...env, DISABLE_AUTO_UPDATE: 'true', ZSH_TMUX_AUTOSTARTED: 'true', ZSH_TMUX_AUTOSTART: 'false' },
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
      done({ ok: false, shell, reason: `${shell} (login shell) did not finish within ${timeoutMs} ms (a slow or interactive shell profile?)` });
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > 4 * 1024 * 1024) child.kill('SIGKILL');
    });
    child.on('error', (err) => done({ ok: false, shell, reason: `could not run ${shell}: ${err.message}` }));
    child.on('close', (code) => {
      const parsed = parseShellEnv(stdout, marker);
      if (parsed) done({ ok: true, env: parsed, shell });
      else done({ ok: false, shell, reason: `${shell} (login shell) exited with ${code} without printing its environment` });
    });
  });
}
