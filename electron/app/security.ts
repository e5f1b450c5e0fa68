// Applies the policy of window-options.ts to every session and every web
// contents the app creates, including ones nobody planned for: hardening is
// attached in 'web-contents-created', not per window.
import type { App, Session, WebContents } from 'electron';
import { navigationAllowed, permissionAllowed } from './window-options.js';

type Log = (message: string) => void;

export function hardenSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>, allowedOrigins: readonly string[], log: Log): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const url = details.requestingUrl || contents.getURL();
    const ok = permissionAllowed(permission, url, allowedOrigins);
    if (!ok) log(`Denied permission request "${permission}" from ${url}`);
    callback(ok);
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin, allowedOrigins));
  session.setDevicePermissionHandler(() => false);
}

export function hardenWebContents(contents: WebContents, allowedOrigins: readonly string[], log: Log): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`Denied window.open(${url})`);
    return { action: 'deny' };
  });
  const guard = (kind: string) => (event: { url: string; preventDefault(): void }) => {
    if (navigationAllowed(event.url, allowedOrigins)) return;
    event.preventDefault();
    log(`Denied ${kind} to ${event.url}`);
  };
  contents.on('will-navigate', guard('navigation'));
  contents.on('will-frame-navigate', guard('frame navigation'));
  contents.on('will-redirect', guard('redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('Denied a <webview>');
  });
}

/** Call before any window exists. */
export function hardenApp(app: Pick<App, 'on'>, allowedOrigins: readonly string[], log: Log): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, allowedOrigins, log));
}
