// A stand-in for the `electron` module, just large enough to run main.ts in
// plain Node (app-main-smoke.test.ts bundles main.ts with `electron` pointed
// here). It records what the shell does so the test can look and poke.
import { EventEmitter } from 'node:events';

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

export class BrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    state.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string) {
    this.webContents.url = url;
    this.webContents.emit('did-start-loading');
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  isMinimized() {
    return false;
  }
  restore() {}
  close() {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    this.emit('close', event);
    if (!event.defaultPrevented) this.emit('closed');
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  quitRequests = 0;
  quitted = false;
  exitCode: number | null = null;
  setPath() {}
  getPath(name: string) {
    return `/tmp/fake-electron/${name}`;
  }
  requestSingleInstanceLock() {
    return true;
  }
  whenReady() {
    return Promise.resolve();
  }
  quit() {
    this.quitRequests++;
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.quitted = true;
  }
  exit(code = 0) {
    this.exitCode = code;
  }
  getLoginItemSettings() {
    return { openAtLogin: false, wasOpenedAtLogin: false };
  }
  setLoginItemSettings() {}
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
    state.schemes.push(...schemes);
  },
  handle(scheme: string, handler: (req: Request) => Promise<Response>) {
    state.protocolHandlers.set(scheme, handler);
  },
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (h: unknown) => (state.permissionHandlers.request = h),
    setPermissionCheckHandler: (h: unknown) => (state.permissionHandlers.check = h),
    setDevicePermissionHandler: (h: unknown) => (state.permissionHandlers.device = h),
  },
};

export const dialog = {
  showErrorBox(title: string, content: string) {
    state.errors.push(`${title}: ${content}`);
  },
};

export const shell = { openPath: async () => '' };
export const powerMonitor = new EventEmitter();

export const nativeTheme = { shouldUseDarkColors: false };

export const nativeImage = {
  createFromPath: (path: string) => ({ path, template: false, setTemplateImage(on: boolean) { this.template = on; } }),
};

export class Tray extends EventEmitter {
  images: unknown[] = [];
  tooltip = '';
  menus: { template: unknown[] }[] = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.images.push(image);
    state.trays.push(this);
  }
  setImage(image: unknown) {
    this.images.push(image);
  }
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu(menu: { template: unknown[] }) {
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

export const Menu = { buildFromTemplate: (template: unknown[]) => ({ template }) };

export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }
  shown = false;
  constructor(readonly options: unknown) {
    super();
    state.notifications.push(this);
  }
  show() {
    this.shown = true;
  }
}

Object.assign(globalThis, { __fakeElectron: { app, state, powerMonitor, ipcRenderer } });

export default { contextBridge, ipcRenderer, app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, powerMonitor, protocol, session, shell, Tray };
