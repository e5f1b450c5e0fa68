// The API contract (shared/api.ts) served by an owner: what each call does,
// in engine terms. Every face reaches it through dispatch.ts, which validates
// first and maps errors after; the engine's own refusals are the error
// classes of shared/errors.ts.
import { mkdirSync } from 'node:fs';
import type { Owner } from '../engine/owner.js';
import type { CorralApi, Unsubscribe } from '../../shared/api.js';
import { BadRequestError, NotFoundError } from '../../shared/errors.js';
import { applyStackFile } from './operations/stacks.js';
import { describeService } from './operations/describe-service.js';

/**
 * The contract as the host serves it (a log subscription carries its history and its start position: shared/api.ts),
 * and what only the host's own faces use: a page that shows the snapshot watches resources (samples are taken only
 * while some view does; the release ends its watch).
 */
export type HostApi = CorralApi & { watchResources?(): Unsubscribe };

/** Throws NotFoundError unless the stack, and each service named, exist. */
function checkTarget(owner: Owner, stack: string, services?: readonly string[]): void {
  if (!owner.stack(stack)) throw new NotFoundError(`No stack named \`${stack}\`. Known stacks: ${owner.stackNames().join(', ') || 'none'}.`);
  for (const s of services ?? []) owner.supervisor(stack, s);
}

export function createApi(owner: Owner): HostApi {
  return {
    snapshot: async (r) => (r.resources ? owner.snapshotWithResources() : owner.snapshot()),
    start: async (r) => owner.start(r.stack, r.services),
    stop: async (r) => owner.stop(r.stack, r.services),
    restart: async (r) => owner.restart(r.stack, r.services),
    forceStop: async (r) => owner.forceStop(r.stack, r.service),
    killPortHolder: async (r) => owner.killPortHolder(r.stack, r.service, r.pid),
    readLogs: async (r) => {
      checkTarget(owner, r.stack, r.services);
      return owner.logs.read(r.stack, r.services ?? owner.stack(r.stack)!.services.map((s) => s.name), {
        ...(r.lines !== undefined ? { lines: r.lines } : {}),
        ...(r.since !== undefined ? { since: r.since } : {}),
        ...(r.before ? { before: r.before } : {}),
      });
    },
    logLocation: async (r) => {
      checkTarget(owner, r.stack, r.service ? [r.service] : undefined);
      return { path: r.service ? owner.dir.logFile(r.stack, r.service) : owner.dir.logDir(r.stack) };
    },
    openLogFolder: async (r) => {
      checkTarget(owner, r.stack, r.service ? [r.service] : undefined);
      const path = owner.dir.logDir(r.stack);
      mkdirSync(path, { recursive: true, mode: 0o700 });
      return { path, opened: await owner.openPath(path) };
    },
    openService: async (r) => {
      const s = owner.service(r.stack, r.service);
      if (!s.url) throw new BadRequestError(`${r.service} has no address to open: add \`url: http://…\` to it in ${owner.stack(r.stack)?.file || 'its stack file'} (an http health check's address is used when there is one).`);
      return { url: s.url, opened: await owner.openUrl(s.url) };
    },
    applyStack: async (r) => applyStackFile(owner, r.stack),
    describeService: async (r) => describeService(owner, r.stack, r.service),
    getSettings: async () => owner.getSettings(),
    setSettings: async (r) => owner.setSettings(r),
    watchResources: () => owner.watchResources(),
    onSnapshot: (listener) => {
      owner.on('snapshot', listener);
      return () => owner.off('snapshot', listener);
    },
    // A subscription to a stack or service that does not exist is refused, on every face alike.
    onLogs: (sub, listener) => {
      checkTarget(owner, sub.stack, sub.services);
      return owner.followLogs(sub, listener);
    },
  };
}
