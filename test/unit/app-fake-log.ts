// Stands in for electron-log/main in app-main-smoke.test.ts (the real one requires Electron).
const lines: string[] = [];
const write = (level: string) => (...args: unknown[]) => void lines.push(`${level} ${args.map(String).join(' ')}`);
const scoped = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
const log = {
  lines,
  scope: () => scoped,
  transports: { file: { level: 'info', maxSize: 0, getFile: () => ({ path: '/tmp/fake-electron/logs/main.log' }) }, console: { level: 'warn' } },
};
Object.assign(globalThis, { __fakeLog: log });
export default log;
