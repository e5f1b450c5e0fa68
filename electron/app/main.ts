// The Electron main process: the owner of the stacks (see docs/architecture.md,
// "Ownership"), shown as a tray icon and a window. Glue only: every decision
// is made by the modules it wires together, which are tested without Electron.
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { app, dialog, ipcMain, Notification, powerMonitor, powerSaveBlocker, protocol, session, shell } from 'electron';
import type { Settings } from '../../shared/api.js';
import type { Snapshot } from '../../shared/state.js';
import type { Owner } from '../engine/owner.js';
import { startDaemon } from '../host/daemon.js';
import { loadStackFile } from '../engine/stack-file.js';
import { createTrayActions } from './actions.js';
import { APP_ORIGIN } from './app-url.js';
import { AppNapGuard } from './app-nap.js';
import { launchData, launchStacks, parseAppArgs } from './args.js';
import { createAutostart, launchAtLoginForViews } from './autostart.js';
import { CHANNEL } from './channels.js';
import { bindCalls, registerIpc } from './ipc.js';
import { appLog as log, appLogFile } from './log.js';
import { notifyFailure } from './notifications.js';
import { appPaths, findAppRoot } from './paths.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { QuitController, quitPlan, withBound, type QuitReason } from './quit-policy.js';
import { hardenApp, hardenSession } from './security.js';
import { createSettingsSync } from './settings-sync.js';
import { mergeShellEnv, readLoginShellEnv } from './shell-env.js';
import { ResourceWatches } from './resource-watch.js';
import { TrayController } from './tray.js';
import { MainWindow } from './window.js';

const ORIGINS = [APP_ORIGIN];
const platform = process.platform;
const paths = appPaths(findAppRoot(dirname(fileURLToPath(import.meta.url))), { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath });
const args = parseAppArgs(process.argv, process.cwd());
const quit = new QuitController();

// Chromium's profile would otherwise share ~/Library/Application Support/Corral with the owner's data directory.
if (platform === 'darwin') app.setPath('userData', join(app.getPath('appData'), 'Corral', 'Chromium'));
registerAppScheme(protocol);
hardenApp(app, ORIGINS, (m) => log.warn(m));

// A later launch: until start() is done its stacks wait here; then start() handles them.
let onLaunch: (stacks: string[]) => void = (stacks) => void pendingLaunches.push(stacks);
const pendingLaunches: string[][] = [];

// The launch data carries the stack files: Chromium reorders the argv the running instance gets.
if (!app.requestSingleInstanceLock(launchData(args))) {
  // The running instance gets 'second-instance' and shows its window.
  app.quit();
} else {
  // Registered before start(): a launch while starting is not lost.
  app.on('second-instance', (_event, argv, cwd, data) => onLaunch(launchStacks(data, argv, cwd)));
  // .catch, not .then's second argument: a failure *in* start() must reach fail().
  app.whenReady().then(start).catch(fail);
}

/** A failed start is shown and ends the process, releasing the single-instance lock (later launches would quit at once). */
function fail(err: unknown): void {
  log.error('Corral could not start', err);
  try {
    dialog.showErrorBox('Corral could not start', `${err instanceof Error ? err.message : String(err)}\n\nThe app log: ${appLogFile()}`);
  } finally {
    app.exit(1);
  }
}

/** Finder-launched apps lack the user's PATH; stack commands must be found as in a terminal. */
async function adoptLoginShellEnv(): Promise<void> {
  if (platform === 'win32') return;
  const r = await readLoginShellEnv();
  if (!r.ok) return log.warn(`Login shell environment not read: ${r.reason}`);
  const merged = mergeShellEnv(process.env, r.env);
  for (const [k, v] of Object.entries(merged)) process.env[k] = v;
  log.info(`PATH from ${r.shell}: ${process.env.PATH}`);
}

async function addStacks(owner: Owner, files: string[]): Promise<void> {
  for (const file of files) {
    try {
      await owner.addStack(await loadStackFile(file));
    } catch (err) {
      log.error(`Could not add stack ${file}`, err);
      dialog.showErrorBox(`Could not add ${file}`, err instanceof Error ? err.message : String(err));
    }
  }
}

async function start(): Promise<void> {
  app.dock?.hide(); // the packaged app has LSUIElement; this covers development runs
  hardenSession(session.defaultSession, ORIGINS, (m) => log.warn(m));
  serveRenderer(protocol, paths.renderer, (m) => log.warn(m));
  await adoptLoginShellEnv();

  // Resource figures are sampled while the window is visible or the tray asks (see resource-watch.ts).
  let watches: ResourceWatches | null = null;
  const mainWindow = new MainWindow({
    preload: paths.preload,
    platform,
    quitting: () => quit.quitting,
    onLoad: (id) => ipc.dropSender(id),
    log: (m) => log.warn(m),
    onVisible: (visible) => watches?.set('window', visible),
  });
  // The app is the owner, with the same control socket as the daemon so `corral` talks to it;
  // a running headless daemon is asked to hand over and its services are adopted.
  const daemon = await startDaemon({
    kind: 'app',
    takeOver: true,
    onLog: (line) => log.debug(line),
    openPath: async (path) => (await shell.openPath(path)) === '',
    openUrl: async (url) => {
      // Only a service's own web address, from the user's stack file (the schema accepts http and https only); never a renderer-supplied URL.
      if (!/^https?:\/\//.test(url)) return false;
      await shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK -- url is a service's `url` (or its http health check's origin) from the user's own stack file, http(s) only, checked above; the renderer only names a stack and service
      return true;
    },
  });
  const owner = daemon.owner;
  watches = new ResourceWatches(() => owner.watchResources());
  if (mainWindow.window?.isVisible()) watches.set('window', true);
  void daemon.done.then((end) => {
    // `corral daemon stop`, or a handover to another owner: the app has nothing left to show.
    if (end.reason !== 'stop') {
      log.info(`Ownership ended (${end.reason}); quitting`);
      app.quit();
    }
  });
  await addStacks(owner, args.stacks);
  let snapshot: Snapshot = owner.snapshot();
  let current: Settings | null = null;
  let tray: TrayController | null = null;
  const appNap = new AppNapGuard(powerSaveBlocker, platform);
  appNap.update(snapshot);
  owner.on('snapshot', (s: Snapshot) => {
    snapshot = s;
    appNap.update(s);
    if (current) tray?.update(s, current);
    mainWindow.send(CHANNEL.snapshot, s);
  });

  const autostart = createAutostart({ platform, isPackaged: app.isPackaged, execPath: process.execPath, env: process.env, home: homedir(), app });
  owner.setLaunchAtLogin(launchAtLoginForViews(autostart.availability));
  const settings = createSettingsSync({
    get: () => daemon.api.getSettings({}),
    set: (partial) => daemon.api.setSettings(partial),
    autostart,
    onChange: (s) => {
      current = s;
      tray?.update(snapshot, s);
    },
  });
  const actions = createTrayActions({
    api: daemon.api,
    snapshot: () => snapshot,
    settings: () => settings.current(),
    setSettings: settings.set,
    showWindow: (route) => mainWindow.show(route),
    openAppLog: () => void shell.openPath(appLogFile()),
    quit: () => app.quit(),
    report: (title, message) => {
      log.warn(`${title}: ${message}`);
      if (!Notification.isSupported()) return;
      const n = new Notification({ title, body: message });
      n.on('failed', (_e, error) => log.warn(`Notification not shown (${error}); opening the window`));
      n.on('failed', () => mainWindow.show());
      n.show();
    },
  });
  const ipc = registerIpc(ipcMain, { ...bindCalls(daemon.api), setSettings: settings.set }, daemon.api, {
    allowedOrigins: ORIGINS,
    onRejected: (m) => log.warn(`IPC refused: ${m}`),
    onError: (call, err) => log.error(`IPC ${call} failed`, err),
  });
  tray = new TrayController(
    paths.trayIcons,
    platform,
    { actions, launchAtLogin: autostart.availability },
    () => mainWindow.show(),
    (reason, on) => watches?.set(reason, on),
  );
  await settings.load();
  // Changes from the web UI (`corral ui`) while the app is the owner: the OS and the tray follow.
  owner.on('settings', (s: Settings) => void settings.changedElsewhere(s).catch((err: unknown) => log.error('Applying a settings change failed', err)));

  owner.on('service-failed', (s) => {
    if (!settings.current().notifyOnFailure) return;
    notifyFailure(Notification, s, platform, {
      restart: actions.restart,
      openLogs: actions.viewLogs,
      // Unsigned macOS builds cannot post notifications: the window on the service's logs says it instead.
      fallback: (stack, service, why) => {
        log.warn(`Notification for ${stack}/${service} not shown (${why}); opening its logs`);
        actions.viewLogs(stack, service);
      },
    });
  });
  powerMonitor.on('resume', () => void owner.recheckAll('resume').catch((err: unknown) => log.error('Re-check after wake failed', err)));

  let reason: QuitReason = 'user';
  // Electron passes an event (its docs say so; its typings omit it). preventDefault()
  // holds logind's delay lock (Linux) while "stop services on quit" runs.
  const onShutdown = (event?: { preventDefault(): void }) => {
    event?.preventDefault();
    reason = 'os-shutdown';
    app.quit();
  };
  powerMonitor.on('shutdown', onShutdown as () => void);
  app.on('before-quit', (event) => {
    const decision = quit.beforeQuit();
    if (decision === 'allow') return;
    event.preventDefault();
    if (decision === 'prevent') return;
    const plan = quitPlan(settings.current(), reason);
    log.info(plan.message);
    void withBound(daemon.stop({ stopServices: plan.stopServices, timeoutMs: plan.timeoutMs }), plan.timeoutMs + 2000).then((outcome) => {
      if (outcome !== 'done') log.warn('Owner did not close cleanly; its services are adopted at the next launch', outcome === 'timeout' ? 'timeout' : outcome.error);
      ipc.dispose();
      watches?.dispose();
      appNap.dispose();
      tray?.destroy();
      quit.closed();
      app.quit();
    });
  });
  // A tray app keeps running with no window.
  app.on('window-all-closed', () => {});
  app.on('activate', () => mainWindow.show());
  onLaunch = (stacks) => {
    void addStacks(owner, stacks);
    mainWindow.show();
  };
  for (const stacks of pendingLaunches.splice(0)) onLaunch(stacks);

  if (process.env.CORRAL_E2E === '1') {
    // Lets the Electron e2e tests read and click the tray menu, which no automation API reaches.
    Object.assign(globalThis, {
      __corralE2E: {
        trayModel: () => tray?.model(),
        clickTray: (id: string) => tray?.click(id),
        snapshot: () => snapshot,
        appNapHeld: () => appNap.holding,
        resourceWatches: () => watches?.reasons ?? [],
      },
    });
  }
  const openedAtLogin = platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
  if (!args.hidden && !openedAtLogin) mainWindow.show();
}
