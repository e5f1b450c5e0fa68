// Stacks built in code for lifecycle tests, with short timers (never longer sleeps).
import type { ServiceSpec, StackSpec, HealthCheck } from '../../shared/stack.js';
import { fixture, REPO_ROOT } from './env.js';

export function svc(name: string, args: string[], over: Partial<ServiceSpec> & { healthCheck?: HealthCheck } = {}): ServiceSpec {
  const { healthCheck, ...rest } = over;
  return {
    name,
    command: [process.execPath, fixture('svc.mjs'), ...args],
    cwd: REPO_ROOT,
    env: {},
    ports: [],
    health: healthCheck ? { check: healthCheck, intervalMs: 200, timeoutMs: 300, failureThreshold: 2 } : null,
    dependsOn: {},
    restart: { policy: 'on-failure', backoffMs: 50, maxBackoffMs: 400, resetAfterMs: 5000, crashLoopCount: 5, crashLoopWindowMs: 10_000 },
    stop: { signal: 'SIGTERM', graceMs: 1500 },
    startTimeoutMs: 8000,
    readyAfterMs: 0,
    oneshot: false,
    foregroundOnly: false,
    url: null,
    ...rest,
  };
}

export function tcpService(name: string, port: number, args: string[] = [], over: Partial<ServiceSpec> = {}): ServiceSpec {
  return svc(name, ['--port', String(port), ...args], { ports: [port], healthCheck: { kind: 'tcp', host: '127.0.0.1', port }, ...over });
}

export function stack(name: string, services: ServiceSpec[]): StackSpec {
  return { version: 1, name, file: '', services };
}
