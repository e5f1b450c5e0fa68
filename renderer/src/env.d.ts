import type { CorralApi } from '../../shared/api.js';

declare global {
  interface Window {
    /** The API contract; provided by the Electron preload or by transport-http.ts. */
    corral: CorralApi;
  }
}
