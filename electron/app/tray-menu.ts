// The tray menu as a pure function of the snapshot and the settings. The shell
// rebuilds it on every change (and re-sets it on Linux, where a menu does not
// update in place); `menuSignature` lets it skip rebuilds that change nothing,
// so an open menu is not closed under the user's pointer by a health tick.
import type { MenuItemConstructorOptions } from 'electron';
import type { Settings } from '../../shared/api.js';
import type { ServiceSnapshot, ServiceState, Snapshot, StackSnapshot } from '../../shared/state.js';
import { applyStackLabel, explainService, summarizeStack } from '../../shared/explain.js';

/** What menu clicks do. The shell implements these with owner calls; the menu only picks which. */
export interface TrayActions {
  start(stack: string, service?: string): void;
  stop(stack: string, service?: string): void;
  restart(stack: string, service?: string): void;
  viewLogs(stack: string, service?: string): void;
  /** Opens the service's address in the browser. */
  open(stack: string, service: string): void;
  startAll(): void;
  stopAll(): void;
  openWindow(): void;
  /** Applies the stack file as it is on disk now (what `pending` says). */
  applyStack(stack: string): void;
  setLaunchAtLogin(enabled: boolean): void;
  setStopServicesOnQuit(enabled: boolean): void;
  openAppLog(): void;
  quit(): void;
}

export type LaunchAtLoginAvailability = { available: true } | { available: false; reason: string };

export interface TrayMenuOptions {
  actions: TrayActions;
  launchAtLogin: LaunchAtLoginAvailability;
}

type Item = MenuItemConstructorOptions;

export const STATE_LABEL: Record<ServiceState, string> = {
  stopped: 'Stopped',
  held: 'Held',
  starting: 'Starting…',
  running: 'Running',
  unhealthy: 'Unhealthy',
  stopping: 'Stopping…',
  backoff: 'Waiting to restart',
  failed: 'Failed',
  completed: 'Completed',
};

// Menus have no colour on macOS: the mark and the word carry the state.
const STATE_MARK: Record<ServiceState, string> = {
  running: '●',
  starting: '◐',
  stopping: '◑',
  unhealthy: '▲',
  backoff: '↻',
  failed: '✕',
  stopped: '○',
  held: '◌',
  completed: '✓',
};

const canStart = (s: ServiceSnapshot) => s.state === 'stopped' || s.state === 'failed' || s.state === 'completed';
const canStop = (s: ServiceSnapshot) => s.state !== 'stopped' && s.state !== 'completed';
const canRestart = (s: ServiceSnapshot) => s.state !== 'stopped' && s.state !== 'stopping' && s.state !== 'held';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function serviceDetails(s: ServiceSnapshot): string[] {
  const head = [STATE_LABEL[s.state]];
  if (s.pid !== null) head.push(`pid ${s.pid}`);
  if (s.ports.length > 0) head.push(`${s.ports.length === 1 ? 'port' : 'ports'} ${s.ports.join(', ')}`);
  if (s.restarts > 0) head.push(plural(s.restarts, 'restart'));
  const lines = [head.join(' · ')];
  const why = explainService(s);
  if (why) lines.push(why);
  if (s.portHolder) lines.push(`Port ${s.portHolder.port} is held by ${s.portHolder.command} (pid ${s.portHolder.pid})`);
  return lines;
}

function serviceItem(stack: string, s: ServiceSnapshot, a: TrayActions): Item {
  const id = `${stack}/${s.name}`;
  return {
    id: `service:${id}`,
    label: `${STATE_MARK[s.state]} ${s.name} — ${STATE_LABEL[s.state]}`,
    submenu: [
      ...serviceDetails(s).map((label, i): Item => ({ id: `detail:${id}:${i}`, label, enabled: false })),
      { type: 'separator' },
      { id: `start:${id}`, label: 'Start', enabled: canStart(s), click: () => a.start(stack, s.name) },
      { id: `stop:${id}`, label: 'Stop', enabled: canStop(s), click: () => a.stop(stack, s.name) },
      { id: `restart:${id}`, label: 'Restart', enabled: canRestart(s), click: () => a.restart(stack, s.name) },
      { type: 'separator' },
      { id: `logs:${id}`, label: 'View Logs', click: () => a.viewLogs(stack, s.name) },
      ...(s.url ? [{ id: `open:${id}`, label: `Open ${s.url}`, enabled: s.pid !== null, click: () => a.open(stack, s.name) } satisfies Item] : []),
    ],
  };
}

function stackItems(stack: StackSnapshot, a: TrayActions): Item[] {
  const header: Item = {
    id: `stack:${stack.name}`,
    label: `${stack.name} — ${summarizeStack(stack.services).text}`,
    submenu: [
      { id: `stack-file:${stack.name}`, label: stack.file, enabled: false },
      { type: 'separator' },
      { id: `start-stack:${stack.name}`, label: `Start ${stack.name}`, enabled: stack.services.some(canStart), click: () => a.start(stack.name) },
      { id: `stop-stack:${stack.name}`, label: `Stop ${stack.name}`, enabled: stack.services.some(canStop), click: () => a.stop(stack.name) },
      { id: `restart-stack:${stack.name}`, label: `Restart ${stack.name}`, enabled: stack.services.some(canRestart), click: () => a.restart(stack.name) },
      { type: 'separator' },
      { id: `logs-stack:${stack.name}`, label: 'View Logs', click: () => a.viewLogs(stack.name) },
    ],
  };
  return [header, ...stack.services.map((s) => serviceItem(stack.name, s, a))];
}

/** One "Restart <name>" per failed service, first in the menu: the one click the user came for. */
function failedItems(snapshot: Snapshot, a: TrayActions): Item[] {
  const failed = snapshot.stacks.flatMap((st) => st.services.filter((s) => s.state === 'failed').map((s) => ({ stack: st.name, s })));
  const nameCount = new Map<string, number>();
  for (const st of snapshot.stacks) for (const s of st.services) nameCount.set(s.name, (nameCount.get(s.name) ?? 0) + 1);
  return failed.map(({ stack, s }) => ({
    id: `restart-failed:${stack}/${s.name}`,
    // The stack is named only when the service name alone is ambiguous.
    label: `Restart ${s.name}${(nameCount.get(s.name) ?? 0) > 1 ? ` (${stack})` : ''}`,
    toolTip: explainService(s) || undefined,
    click: () => a.restart(stack, s.name),
  }));
}

/**
 * One "Apply changes to <stack> (restarts api, worker)" per stack whose file
 * changed on disk, near the top: applying is always the user's click. A file
 * that cannot be applied says why, disabled.
 */
function pendingItems(snapshot: Snapshot, a: TrayActions): Item[] {
  // No "2 min ago" here: the menu is rebuilt on changes, not on a clock, and would go stale.
  return snapshot.stacks.flatMap((st): Item[] => {
    const change = st.pending;
    if (!change) return [];
    if (change.error !== null) return [{ id: `apply-stack:${st.name}`, label: `${st.name}: stack file changed, cannot be applied`, toolTip: change.error, enabled: false }];
    return [{ id: `apply-stack:${st.name}`, label: applyStackLabel(st.name, change), toolTip: st.file, click: () => a.applyStack(st.name) }];
  });
}

export function buildTrayMenu(snapshot: Snapshot, settings: Settings, opts: TrayMenuOptions): Item[] {
  const a = opts.actions;
  const all = snapshot.stacks.flatMap((st) => st.services);
  const items: Item[] = [];

  const failed = failedItems(snapshot, a);
  if (failed.length > 0) items.push(...failed, { type: 'separator' });
  const changed = pendingItems(snapshot, a);
  if (changed.length > 0) items.push(...changed, { type: 'separator' });

  if (snapshot.stacks.length === 0) {
    items.push({ id: 'no-stacks', label: 'No stacks yet: run `corral up` in a project', enabled: false });
  } else {
    snapshot.stacks.forEach((st, i) => {
      if (i > 0) items.push({ type: 'separator' });
      items.push(...stackItems(st, a));
    });
  }

  const login = opts.launchAtLogin;
  items.push(
    { type: 'separator' },
    { id: 'start-all', label: 'Start All', enabled: all.some(canStart), click: () => a.startAll() },
    { id: 'stop-all', label: 'Stop All', enabled: all.some(canStop), click: () => a.stopAll() },
    { type: 'separator' },
    { id: 'open-window', label: 'Open Corral…', click: () => a.openWindow() },
    { id: 'open-app-log', label: 'Open App Log', click: () => a.openAppLog() },
    {
      id: 'launch-at-login',
      type: 'checkbox',
      label: login.available ? 'Launch at Login' : `Launch at Login (${login.reason})`,
      enabled: login.available,
      checked: login.available && settings.launchAtLogin,
      click: () => a.setLaunchAtLogin(!settings.launchAtLogin),
    },
    {
      id: 'stop-on-quit',
      type: 'checkbox',
      label: 'Stop Services on Quit',
      checked: settings.stopServicesOnQuit,
      click: () => a.setStopServicesOnQuit(!settings.stopServicesOnQuit),
    },
    { type: 'separator' },
    {
      id: 'quit',
      // The label says what quitting does to the services, so nobody has to guess.
      label: settings.stopServicesOnQuit ? 'Quit Corral and Stop Services' : 'Quit Corral (Services Keep Running)',
      accelerator: 'CommandOrControl+Q',
      click: () => a.quit(),
    },
  );
  return items;
}

/** A stable string for a template without its handlers: equal signatures render the same menu. */
export function menuSignature(items: readonly Item[]): string {
  return JSON.stringify(items, (_key, value: unknown) => (typeof value === 'function' ? undefined : value));
}

/** Depth-first search by id: what tests and the e2e hook use to find an item. */
export function findItem(items: readonly Item[], id: string): Item | undefined {
  for (const item of items) {
    if (item.id === id) return item;
    if (Array.isArray(item.submenu)) {
      const found = findItem(item.submenu, id);
      if (found) return found;
    }
  }
  return undefined;
}
