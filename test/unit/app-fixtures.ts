// Snapshots and Electron-shaped fakes for the app's unit tests.
import type { ServiceSnapshot, ServiceState, Snapshot } from '../../shared/state.js';
import type { Settings } from '../../shared/api.js';
import { DEFAULT_SETTINGS } from '../../shared/api.js';
import { fakeService } from '../helpers/fake-api.js';

/** A service of the `stigmer` stack in `state` (the other fields from fakeService's defaults). */
export function service(name: string, state: ServiceState, extra: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  const up = state !== 'stopped';
  return fakeService('stigmer', name, {
    state,
    desired: up ? 'up' : 'down',
    pid: state === 'running' || state === 'unhealthy' || state === 'starting' ? 4242 : null,
    startedAt: up ? 1_700_000_000_000 : null,
    logFile: `/tmp/corral/logs/stigmer/${name}.log`,
    ...extra,
  });
}

export function snapshot(stacks: Record<string, ServiceSnapshot[]>): Snapshot {
  return {
    seq: 1,
    owner: { pid: 100, kind: 'app', since: 1_700_000_000_000, home: '/tmp/corral' },
    stacks: Object.entries(stacks).map(([name, services]) => ({
      name,
      file: `/home/dev/${name}/corral.yaml`,
      services: services.map((s) => ({ ...s, stack: name })),
      pending: null,
    })),
    settings: { ...DEFAULT_SETTINGS },
  };
}

export const settings = (over: Partial<Settings> = {}): Settings => ({ ...DEFAULT_SETTINGS, ...over });

/** The Stigmer local backend, all running. */
export const stigmerRunning = () =>
  snapshot({
    stigmer: [
      service('temporal', 'running', { ports: [7233], pid: 1001 }),
      service('stigmer-server', 'running', { ports: [7234], pid: 1002, adopted: true }),
      service('workflow-runner', 'running', { pid: 1003 }),
      service('agent-runner', 'running', { pid: 1004 }),
    ],
  });

/** Records calls to any method, as `name(args)`. */
export function recorder<T extends object>(): { calls: string[]; impl: T } {
  const calls: string[] = [];
  const impl = new Proxy({} as T, {
    get: (_t, prop) => (...args: unknown[]) => {
      calls.push(`${String(prop)}(${args.map((a) => JSON.stringify(a)).join(', ')})`);
    },
  });
  return { calls, impl };
}
