// The window's options and the web security policy, as data: a unit test
// asserts every flag, so a refactor cannot quietly turn one off.
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { APP_ORIGIN, isAppUrl, originOf } from './app-url.js';

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
  // Middle-click would otherwise open links through a path window.open's handler does not see first.
  disableBlinkFeatures: 'Auxclick',
} as const satisfies WebPreferences;

export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (CommonJS: sandboxed preloads cannot be ES modules). */
  preload: string;
  platform: NodeJS.Platform;
  /** Paints the background before the page does, so a dark system does not flash white. */
  dark: boolean;
}

export function mainWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    title: 'Corral',
    width: 1040,
    height: 700,
    minWidth: 640,
    minHeight: 420,
    // Shown on 'ready-to-show' (or from the tray): a tray app starts without a window.
    show: false,
    backgroundColor: input.dark ? '#1e1e1e' : '#ffffff',
    // No application menu on Linux/Windows; the menu bar would only offer Electron's defaults.
    autoHideMenuBar: input.platform !== 'darwin',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: input.preload },
  };
}

/** In-app navigations only (the renderer's own pages); everything else is denied. */
export function navigationAllowed(url: string, allowedOrigins: readonly string[] = [APP_ORIGIN]): boolean {
  return isAppUrl(url, allowedOrigins);
}

/**
 * Web permissions: none, except writing to the clipboard from our own page
 * (the log viewer's Copy uses navigator.clipboard.writeText, which Chromium
 * gates behind `clipboard-sanitized-write`).
 */
export function permissionAllowed(permission: string, requestingUrl: string, allowedOrigins: readonly string[] = [APP_ORIGIN]): boolean {
  if (permission !== 'clipboard-sanitized-write') return false;
  const origin = originOf(requestingUrl);
  return origin !== null && allowedOrigins.includes(origin);
}
