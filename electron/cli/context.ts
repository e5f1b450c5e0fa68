// What every verb gets: where it runs, its output, and a way to the owner.
import { defaultHome } from '../engine/state/paths.js';
import { connectOwner, type Connection } from './connect.js';
import type { Output } from './output.js';

export interface Ctx {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
  out: Output;
  /** Connects to the owner (starting a daemon unless `start: false`); closed by main when the verb ends. */
  connect(opts?: { start?: boolean; note?: (msg: string) => void }): Promise<Connection>;
  /** Registered by verbs that wait (up, logs -f): what Ctrl-C should do. */
  onInterrupt?: () => void;
}

export interface Verb {
  name: string;
  summary: string;
  help: string;
  run(ctx: Ctx, argv: string[]): Promise<number>;
}

export function makeContext(out: Output, env: NodeJS.ProcessEnv, cwd: string): Ctx & { dispose(): void } {
  const connections: Connection[] = [];
  const home = defaultHome(env);
  return {
    cwd,
    env,
    home,
    out,
    async connect(opts = {}) {
      const c = await connectOwner(home, { start: opts.start ?? true, env, note: opts.note ?? ((m) => out.note(out.paint('dim', m))) });
      connections.push(c);
      return c;
    },
    dispose() {
      for (const c of connections) c.client.close();
    },
  };
}
