// Turns menu and notification clicks into owner calls. A click has no caller
// to return an error to, so every failure is reported (notification + app log)
// instead of becoming an unhandled rejection.
import type { ActionResult, Settings } from '../../shared/api.js';
import type { Snapshot } from '../../shared/state.js';
import type { Route } from './app-url.js';
import type { ApiHandlers } from './ipc.js';
import type { TrayActions } from './tray-menu.js';

export interface ActionDeps {
  api: Pick<ApiHandlers, 'start' | 'stop' | 'restart' | 'openService' | 'applyStack'>;
  snapshot(): Snapshot;
  settings(): Settings;
  setSettings(partial: Partial<Settings>): Promise<Settings>;
  showWindow(route?: Route): void;
  openAppLog(): void;
  quit(): void;
  /** Something the user asked for did not happen: say what and why. */
  report(title: string, message: string): void;
}

type Verb = 'start' | 'stop' | 'restart';
const VERB_TEXT: Record<Verb, string> = { start: 'start', stop: 'stop', restart: 'restart' };

export function createTrayActions(deps: ActionDeps): TrayActions & { pending(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const act = (verb: Verb, stack: string, service?: string) => {
    const what = service ?? stack;
    track(
      (async () => {
        let result: ActionResult;
        try {
          result = await deps.api[verb]({ stack, ...(service ? { services: [service] } : {}) });
        } catch (err) {
          deps.report(`Could not ${VERB_TEXT[verb]} ${what}`, err instanceof Error ? err.message : String(err));
          return;
        }
        const failed = result.outcomes.filter((o) => !o.ok);
        if (failed.length > 0) deps.report(`Could not ${VERB_TEXT[verb]} ${failed.map((o) => o.service).join(', ')}`, failed.map((o) => o.message).join('\n'));
      })(),
    );
  };

  return {
    start: (stack, service) => act('start', stack, service),
    stop: (stack, service) => act('stop', stack, service),
    restart: (stack, service) => act('restart', stack, service),
    viewLogs: (stack, service) => deps.showWindow({ view: 'logs', stack, ...(service ? { service } : {}) }),
    open: (stack, service) =>
      track(
        deps.api.openService({ stack, service }).then(
          (r) => {
            if (!r.opened) deps.report(`Could not open ${service}`, `Open ${r.url} in your browser.`);
          },
          (err: unknown) => deps.report(`Could not open ${service}`, err instanceof Error ? err.message : String(err)),
        ),
      ),
    startAll: () => {
      for (const st of deps.snapshot().stacks) act('start', st.name);
    },
    stopAll: () => {
      for (const st of deps.snapshot().stacks) act('stop', st.name);
    },
    applyStack: (stack) =>
      track(
        deps.api.applyStack({ stack }).then(
          (r) => {
            const failed = r.outcomes.filter((o) => !o.ok);
            if (failed.length > 0) deps.report(`Applied ${stack}, but ${failed.map((o) => o.service).join(', ')} did not start`, failed.map((o) => o.message).join('\n'));
          },
          (err: unknown) => deps.report(`Could not apply the changes to ${stack}`, err instanceof Error ? err.message : String(err)),
        ),
      ),
    openWindow: () => deps.showWindow(),
    openAppLog: () => deps.openAppLog(),
    setLaunchAtLogin: (enabled) =>
      track(
        deps.setSettings({ launchAtLogin: enabled }).then(
          () => undefined,
          (err: unknown) => deps.report('Could not change launch at login', err instanceof Error ? err.message : String(err)),
        ),
      ),
    setStopServicesOnQuit: (enabled) =>
      track(
        deps.setSettings({ stopServicesOnQuit: enabled }).then(
          () => undefined,
          (err: unknown) => deps.report('Could not change the quit setting', err instanceof Error ? err.message : String(err)),
        ),
      ),
    quit: () => deps.quit(),
    /** Resolves when every action started so far has finished (tests, quit). */
    pending: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
