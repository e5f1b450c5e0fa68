// Entry point. In Electron the preload has already put `window.corral` in
// place; in a browser the HTTP transport installs it.
import { render } from 'preact';
import { installHttpTransport } from './transport-http.js';
import { App } from './app.js';

const api = installHttpTransport();
render(<App api={api} />, document.getElementById('app')!);
