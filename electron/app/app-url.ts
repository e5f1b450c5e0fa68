// Where the renderer lives inside the app: a custom scheme, never file://, so
// the window has a real origin, CSP applies, and file access stays closed.

export const APP_SCHEME = 'corral-app';
export const APP_HOST = 'app';
/** `new URL(...).origin` is "null" for custom schemes in Node, so origins are compared as `protocol//host`. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export type Route = { view: 'status' } | { view: 'logs'; stack: string; service?: string };

/**
 * The URL of a view. Routes live in the hash so the same renderer works over
 * the custom scheme and the web UI without server-side routing.
 */
export function rendererUrl(route: Route = { view: 'status' }): string {
  const base = `${APP_ORIGIN}/index.html`;
  if (route.view === 'status') return base;
  const parts = [route.stack, ...(route.service ? [route.service] : [])].map(encodeURIComponent);
  return `${base}#/logs/${parts.join('/')}`;
}

/** `protocol//host` of a URL, or null when it is not a URL. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export function isAppUrl(url: string, allowedOrigins: readonly string[] = [APP_ORIGIN]): boolean {
  const origin = originOf(url);
  return origin !== null && allowedOrigins.includes(origin);
}
