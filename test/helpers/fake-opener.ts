// A stand-in for xdg-open that writes down what it was asked to open (what
// `ps` would show), for tests of `corral ui`, `corral open` and the owner's
// opener. Its env puts it first on PATH and gives the test a "desktop".
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './env.js';

export interface FakeOpener {
  env: { DISPLAY: string; PATH: string };
  /** Waits for the next thing opened, returns its command line, and forgets it. */
  next(): Promise<string>;
}

export function fakeOpener(dir: string): FakeOpener {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const seen = join(dir, 'opener-argv');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$*" > '${seen}.tmp' && mv '${seen}.tmp' '${seen}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  return {
    env: { DISPLAY: ':99', PATH: `${bin}:${process.env.PATH}` },
    async next() {
      await waitFor(() => existsSync(seen), 10_000, 'the opener ran');
      const argv = readFileSync(seen, 'utf8');
      rmSync(seen);
      return argv;
    },
  };
}
