// The one window: created on first use, hidden (not closed) when the user
// closes it, since the app lives in the tray.
import { app, BrowserWindow, nativeTheme } from 'electron';
import { rendererUrl, type Route } from './app-url.js';
import { windowCloseAction } from './quit-policy.js';
import { mainWindowOptions } from './window-options.js';

export interface WindowDeps {
  preload: string;
  platform: NodeJS.Platform;
  quitting(): boolean;
  /** The page is (re)loading: drop what its previous document subscribed to. */
  onLoad(webContentsId: number): void;
  log(message: string): void;
  /** The window became visible (shown, restored) or not (hidden, minimized, closed): it shows resource figures only while visible. */
  onVisible?(visible: boolean): void;
}

export class MainWindow {
  #win: BrowserWindow | null = null;

  constructor(private readonly deps: WindowDeps) {}

  get window(): BrowserWindow | null {
    return this.#win;
  }

  show(route?: Route): void {
    const win = this.#win ?? this.#create();
    const url = rendererUrl(route);
    const current = win.webContents.getURL();
    // A route change within the page is a hash change, not a reload.
    if ((route || current === '') && current !== url) win.loadURL(url).catch((err: unknown) => this.deps.log(`Could not load ${url}: ${String(err)}`));
    if (win.isMinimized()) win.restore();
    win.show();
    // An LSUIElement app is never the active app by itself: without this the
    // window opens behind the one the user is in. The user asked for it (tray click).
    if (this.deps.platform === 'darwin') app.focus({ steal: true });
    win.focus();
  }

  send(channel: string, payload: unknown): void {
    const wc = this.#win?.webContents;
    if (wc && !wc.isDestroyed()) wc.send(channel, payload);
  }

  #create(): BrowserWindow {
    const options = mainWindowOptions({ preload: this.deps.preload, platform: this.deps.platform, dark: nativeTheme.shouldUseDarkColors });
    const win = new BrowserWindow(options); // eng-disable CONTEXT_ISOLATION_JS_CHECK SANDBOX_JS_CHECK AUXCLICK_JS_CHECK -- the options come from mainWindowOptions() in window-options.ts (isolation, sandbox, Auxclick off), every flag asserted by test/unit/app-window-options.test.ts
    const id = win.webContents.id;
    win.webContents.on('did-start-loading', () => this.deps.onLoad(id));
    win.on('close', (event) => {
      if (windowCloseAction(this.deps.quitting()) === 'close') return;
      event.preventDefault();
      win.hide();
    });
    const visible = (v: boolean) => () => this.deps.onVisible?.(v);
    win.on('show', visible(true));
    win.on('restore', visible(true));
    win.on('hide', visible(false));
    win.on('minimize', visible(false));
    win.on('closed', () => {
      this.#win = null;
      this.deps.onVisible?.(false);
    });
    this.#win = win;
    return win;
  }
}
