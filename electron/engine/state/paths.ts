// Where Corral keeps its files. One data directory = one owner. CORRAL_HOME
// overrides everything (every test sets it to isolate itself).
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, realpathSync } from 'node:fs';

/**
 * The environment variable that carries a one-time secret to a daemon the CLI starts: the `up`
 * call that carries it may hand over its parse of the stack file (host/control/protocol.ts).
 */
export const HANDOVER_VAR = 'CORRAL_HANDOVER';

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CORRAL_HOME) return env.CORRAL_HOME;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Corral');
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'corral');
}

export class DataDir {
  readonly home: string;
  /** Short stable id of this data directory: the first part of every service marker. */
  readonly id: string;

  constructor(home: string) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    this.home = realpathSync(home);
    this.id = createHash('sha256').update(this.home).digest('hex').slice(0, 12);
  }

  get lockFile(): string {
    return join(this.home, 'owner.lock');
  }
  get stacksFile(): string {
    return join(this.home, 'stacks.json');
  }
  get settingsFile(): string {
    return join(this.home, 'settings.json');
  }
  get ownerLog(): string {
    return join(this.home, 'owner.log');
  }
  stateDir(stack: string): string {
    return join(this.home, 'state', stack);
  }
  stateFile(stack: string, service: string): string {
    return join(this.home, 'state', stack, `${service}.json`);
  }
  logDir(stack: string): string {
    return join(this.home, 'logs', stack);
  }
  logFile(stack: string, service: string): string {
    return join(this.home, 'logs', stack, `${service}.log`);
  }
  /** Marker prefix of every process of a service (any instance), or of a whole stack. */
  markerPrefix(stack?: string, service?: string): string {
    if (!stack) return `${this.id}/`;
    if (!service) return `${this.id}/${stack}/`;
    return `${this.id}/${stack}/${service}/`;
  }
}
