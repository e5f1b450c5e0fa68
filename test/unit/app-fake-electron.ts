// A stand-in for the `electron` module, just large enough to run the shipped
// main bundle (dist-electron/main.js) in plain Node: app-main-smoke.test.ts
// resolves `electron` here with a loader hook. It records what the shell does
// so the test can look and poke, and it enforces the Electron 45 rules the
// shell must respect, which a lenient fake would hide:
// - before `ready` only: app.setPath, protocol.registerSchemesAsPrivileged;
//   after `ready` only: windows, trays, notifications, session, powerMonitor,
//   powerSaveBlocker, protocol.handle (each throws otherwise, as Electron does);
// - `second-instance` argv comes reordered as Chromium does (switches first,
//   with a switch of its own added), `additionalData` as given;
// - Notification.isSupported() can be false and a notification can emit `failed`
//   (unsigned macOS builds, Electron >= 42 with UNNotification);
// - powerMonitor `shutdown` carries an event with preventDefault();
// - getLoginItemSettings() returns a `status` (macOS 13+);
// - nativeImage.createFromPath of a missing file returns an empty image.
import { EventEmitter } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';

type Listener = (...args: never[]) => unknown;

class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  url = '';
  sent: unknown[][] = [];
  openHandler: ((d: { url: string }) => unknown) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => unknown) {
    this.openHandler = h;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push([channel, ...args]);
  }
  isDestroyed() {
    return false;
  }
  getURL() {
    return this.url;
  }
}

function afterReady(what: string): void {
  if (!app.ready) throw new Error(`${what} cannot be used before the app is ready`);
}
function beforeReady(what: string): void {
  if (app.ready) throw new Error(`${what} can only be called before the app is ready`);
}

/** Electron's preventable events. */
function preventable() {
  return { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
}

export class BrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    afterReady('BrowserWindow');
    state.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string) {
    this.webContents.url = url;
    this.webContents.emit('did-start-loading');
  }
  // As Electron: 'show' and 'hide' when the visibility changes.
  show() {
    if (this.visible) return;
    this.visible = true;
    this.emit('show');
  }
  hide() {
    if (!this.visible) return;
    this.visible = false;
    this.emit('hide');
  }
  isVisible() {
    return this.visible;
  }
  focus() {}
  isMinimized() {
    return false;
  }
  restore() {}
  close() {
    const event = preventable();
    this.emit('close', event);
    if (!event.defaultPrevented) this.emit('closed');
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  ready = false;
  quitRequests = 0;
  quitted = false;
  exitCode: number | null = null;
  singleInstanceData: unknown = undefined;
  /** What macOS answers after setLoginItemSettings({ openAtLogin: true }) (13+: may need the user's approval). */
  loginItemStatusWhenEnabled: 'enabled' | 'requires-approval' | 'not-found' = 'enabled';
  private loginItem = { openAtLogin: false, status: 'not-registered' as string };
  readonly dock = { hide() {} };
  private readyPromise: Promise<void> | null = null;
  setPath() {
    beforeReady('app.setPath');
  }
  getPath(name: string) {
    return `/tmp/fake-electron/${name}`;
  }
  isReady() {
    return this.ready;
  }
  requestSingleInstanceLock(additionalData?: unknown) {
    this.singleInstanceData = additionalData;
    return true;
  }
  whenReady() {
    this.readyPromise ??= new Promise<void>((r) =>
      setImmediate(() => {
        this.ready = true;
        this.emit('ready');
        r();
      }),
    );
    return this.readyPromise;
  }
  /** Another launch: Chromium puts switches first and adds its own before handing argv over. */
  launchAgain(argv: string[], cwd: string, additionalData?: unknown) {
    const [exe, ...rest] = argv;
    const switches = rest.filter((a) => a.startsWith('-'));
    const others = rest.filter((a) => !a.startsWith('-'));
    this.emit('second-instance', preventable(), [exe!, ...switches, '--original-process-start-time=13400000000000000', ...others], cwd, additionalData);
  }
  quit() {
    this.quitRequests++;
    const event = preventable();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.quitted = true;
  }
  exit(code = 0) {
    this.exitCode = code;
    this.emit('fake-exit', code);
  }
  getLoginItemSettings() {
    return { openAtLogin: this.loginItem.openAtLogin, wasOpenedAtLogin: false, status: this.loginItem.status };
  }
  // Never throws on macOS, whatever happened: the status tells.
  setLoginItemSettings(s: { openAtLogin?: boolean }) {
    const on = s.openAtLogin === true;
    this.loginItem = on
      ? { openAtLogin: this.loginItemStatusWhenEnabled === 'enabled', status: this.loginItemStatusWhenEnabled }
      : { openAtLogin: false, status: 'not-registered' };
  }
  focus() {}
}

export const app = new FakeApp();

export const state = {
  windows: [] as BrowserWindow[],
  trays: [] as Tray[],
  ipc: new Map<string, Listener>(),
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, (req: Request) => Promise<Response>>(),
  notifications: [] as Notification[],
  /** Notification.isSupported(), and whether shown notifications fail (an unsigned macOS build). */
  notificationsSupported: true,
  notificationsFail: false,
  blockers: new Map<number, string>(),
  blockersEverStarted: 0,
  errors: [] as string[],
  permissionHandlers: {} as Record<string, unknown>,
  exposed: {} as Record<string, unknown>,
};

export const ipcMain = {
  handle(channel: string, listener: Listener) {
    if (state.ipc.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    state.ipc.set(channel, listener);
  },
  removeHandler(channel: string) {
    state.ipc.delete(channel);
  },
};

export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]) {
    beforeReady('protocol.registerSchemesAsPrivileged');
    state.schemes.push(...schemes);
  },
  handle(scheme: string, handler: (req: Request) => Promise<Response>) {
    afterReady('protocol.handle');
    state.protocolHandlers.set(scheme, handler);
  },
};

const defaultSession = {
  setPermissionRequestHandler: (h: unknown) => (state.permissionHandlers.request = h),
  setPermissionCheckHandler: (h: unknown) => (state.permissionHandlers.check = h),
  setDevicePermissionHandler: (h: unknown) => (state.permissionHandlers.device = h),
};
export const session = {
  get defaultSession() {
    afterReady('session.defaultSession');
    return defaultSession;
  },
};

export const dialog = {
  showErrorBox(title: string, content: string) {
    state.errors.push(`${title}: ${content}`);
  },
};

export const shell = { openPath: async () => '' };

class FakePowerMonitor extends EventEmitter {
  override on(event: string, listener: Parameters<EventEmitter['on']>[1]) {
    afterReady('powerMonitor');
    return super.on(event, listener);
  }
  /** The OS shuts down: true when a handler held it (preventDefault). */
  shutdown(): boolean {
    const event = preventable();
    this.emit('shutdown', event);
    return event.defaultPrevented;
  }
}
export const powerMonitor = new FakePowerMonitor();

let nextBlocker = 1;
export const powerSaveBlocker = {
  start(type: 'prevent-app-suspension' | 'prevent-display-sleep') {
    afterReady('powerSaveBlocker');
    const id = nextBlocker++;
    state.blockers.set(id, type);
    state.blockersEverStarted++;
    return id;
  },
  stop(id: number) {
    return state.blockers.delete(id);
  },
  isStarted(id: number) {
    return state.blockers.has(id);
  },
};

export const nativeTheme = { shouldUseDarkColors: false };

export const nativeImage = {
  createFromPath: (path: string) => {
    const empty = !existsSync(path);
    return { path, template: false, isEmpty: () => empty, setTemplateImage(on: boolean) { this.template = on; } };
  },
};

export class Tray extends EventEmitter {
  images: unknown[] = [];
  tooltip = '';
  menus: FakeMenu[] = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    afterReady('Tray');
    this.images.push(image);
    state.trays.push(this);
  }
  setImage(image: unknown) {
    this.images.push(image);
  }
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu(menu: FakeMenu) {
    this.menus.push(menu);
  }
  destroy() {
    this.destroyed = true;
  }
}

// The renderer side, for the preload.
export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown) {
    state.exposed[key] = api;
  },
};
class FakeIpcRenderer extends EventEmitter {
  invoked: unknown[][] = [];
  responder: (channel: string, args: unknown[]) => unknown = () => ({ value: null });
  async invoke(channel: string, ...args: unknown[]) {
    this.invoked.push([channel, ...args]);
    return this.responder(channel, args);
  }
}
export const ipcRenderer = new FakeIpcRenderer();

/** A built menu: an EventEmitter, as Electron's Menu (`menu-will-show`, `menu-will-close`); `open()`/`close()` stand in for the user. */
class FakeMenu extends EventEmitter {
  constructor(readonly template: unknown[]) {
    super();
  }
  open() {
    this.emit('menu-will-show', preventable());
  }
  close() {
    this.emit('menu-will-close', preventable());
  }
}
export const Menu = { buildFromTemplate: (template: unknown[]) => new FakeMenu(template) };

export class Notification extends EventEmitter {
  static isSupported() {
    return state.notificationsSupported;
  }
  shown = false;
  constructor(readonly options: unknown) {
    super();
    afterReady('Notification');
    state.notifications.push(this);
  }
  show() {
    this.shown = true;
    // Unsigned macOS builds: UNUserNotificationCenter refuses, Electron emits `failed` (asynchronously).
    if (state.notificationsFail) setImmediate(() => this.emit('failed', { preventDefault() {} }, 'Notifications are not allowed for this application'));
  }
}

Object.assign(globalThis, { __fakeElectron: { app, state, powerMonitor, ipcRenderer } });

// Run as a process of its own (a launch that must fail visibly): app.exit() ends
// the process, after writing what happened to FAKE_ELECTRON_REPORT.
const report = process.env.FAKE_ELECTRON_REPORT;
if (report) {
  const rejections: string[] = [];
  process.on('unhandledRejection', (e) => void rejections.push(String(e)));
  app.on('fake-exit', (code: number) => {
    writeFileSync(report, JSON.stringify({ code, errors: state.errors, rejections }));
    process.exit(code);
  });
  process.on('beforeExit', () => writeFileSync(report, JSON.stringify({ code: null, errors: state.errors, rejections })));
}

export default { contextBridge, ipcRenderer, app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, powerMonitor, powerSaveBlocker, protocol, session, shell, Tray };
