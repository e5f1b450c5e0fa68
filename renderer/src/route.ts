// Views live in the URL hash (`#/logs/<stack>/<service>[,<service>…]`), the
// same form the Electron shell opens (electron/app/app-url.ts), so the tray's
// "View logs" lands on the right service over IPC and over HTTP alike.
export type Route = { view: 'status' } | { view: 'settings' } | { view: 'logs'; stack?: string; services?: string[] };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'settings') return { view: 'settings' };
  if (parts[0] !== 'logs') return { view: 'status' };
  const [, stack, services] = parts;
  return {
    view: 'logs',
    ...(stack ? { stack } : {}),
    ...(services ? { services: services.split(',').filter(Boolean) } : {}),
  };
}

export function routeHash(r: Route): string {
  if (r.view === 'status') return '';
  if (r.view === 'settings') return '#/settings';
  const parts = ['#', 'logs'];
  if (r.stack) parts.push(encodeURIComponent(r.stack));
  if (r.stack && r.services && r.services.length > 0) parts.push(r.services.map(encodeURIComponent).join(','));
  return parts.join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
