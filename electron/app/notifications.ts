// A service that enters `failed` (crash loop) is announced once; clicking the
// notification restarts it. Where notifications have no action buttons (all
// but macOS) the click also opens the window on the service's logs, so the
// user sees why it failed.
import type { Notification, NotificationConstructorOptions } from 'electron';
import type { ServiceSnapshot } from '../../shared/state.js';
import { explainService } from '../../shared/explain.js';

export type NotificationAction = 'restart' | 'open-logs';

export interface FailureNotice {
  options: NotificationConstructorOptions;
  onClick: NotificationAction[];
  /** By index of `options.actions`. */
  onAction: NotificationAction[];
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function failureNotice(s: ServiceSnapshot, platform: NodeJS.Platform): FailureNotice {
  const why = explainService(s);
  const lastLine = [...s.lastLogLines].reverse().find((l) => l.trim() !== '');
  const body = [clip(why, 160), ...(lastLine ? [clip(lastLine.trim(), 160)] : [])].join('\n');
  const title = `${s.name} failed (${s.stack})`;
  if (platform === 'darwin') {
    return {
      options: { title, body: `${body}\nClick to restart.`, actions: [{ type: 'button', text: 'View Logs' }] },
      onClick: ['restart'],
      onAction: ['open-logs'],
    };
  }
  return { options: { title, body: `${body}\nClick to restart and see the logs.` }, onClick: ['restart', 'open-logs'], onAction: [] };
}

export interface NotificationHandlers {
  restart(stack: string, service: string): void;
  openLogs(stack: string, service: string): void;
  /** The notification cannot be shown (unsupported, or the OS refused it): say it another way. */
  fallback?(stack: string, service: string, why: string): void;
}

type NotificationCtor = { new (options: NotificationConstructorOptions): Notification; isSupported(): boolean };

// Electron drops the click handlers of a Notification that has been garbage
// collected; keep each one until it is clicked, closed or has failed.
const live = new Set<Notification>();

/** How many notifications are held for their handlers (tests: failed ones must not pile up). */
export function liveNotifications(): number {
  return live.size;
}

export function notifyFailure(Ctor: NotificationCtor, s: ServiceSnapshot, platform: NodeJS.Platform, handlers: NotificationHandlers): boolean {
  if (!Ctor.isSupported()) {
    handlers.fallback?.(s.stack, s.name, 'notifications are not supported here');
    return false;
  }
  const notice = failureNotice(s, platform);
  const n = new Ctor(notice.options);
  const run = (actions: readonly NotificationAction[]) => {
    for (const a of actions) {
      if (a === 'restart') handlers.restart(s.stack, s.name);
      else handlers.openLogs(s.stack, s.name);
    }
  };
  n.on('click', () => {
    live.delete(n);
    run(notice.onClick);
  });
  n.on('action', (_event, index) => {
    live.delete(n);
    const action = notice.onAction[index];
    if (action) run([action]);
  });
  n.on('close', () => live.delete(n));
  // Electron >= 42 on macOS uses UNNotification, which an unsigned app may not post:
  // it emits `failed` and nothing is shown. Nothing will click it either: let it go.
  n.on('failed', (_event, error) => {
    live.delete(n);
    handlers.fallback?.(s.stack, s.name, String(error));
  });
  live.add(n);
  n.show();
  return true;
}
