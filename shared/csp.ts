// One Content-Security-Policy for the renderer, wherever it is served (the app's
// corral-app:// scheme and the web UI): scripts, styles, fonts and images from
// the page's own origin only; no inline script, no eval, no frames, no plugins.
// The renderer reaches the owner over IPC or same-origin fetch, nothing else.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
