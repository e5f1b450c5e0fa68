// What bin/corral.js runs before loading the CLI: see spawn-daemon.ts.
export { spawnEarly } from './spawn-daemon.js';
