// `node --import` this (or import it first) to run the shipped bundle
// dist-electron/main.js in plain Node: `electron` and `electron-log/main`
// resolve to the recording fakes next to this file.
import { register } from 'node:module';

const here = new URL('.', import.meta.url);
const fakes: Record<string, string> = {
  electron: new URL('app-fake-electron.js', here).href,
  'electron-log/main': new URL('app-fake-log.js', here).href,
};
const hooks = `const fakes = ${JSON.stringify(fakes)};
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(fakes, specifier)) return { url: fakes[specifier], shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
