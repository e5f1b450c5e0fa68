// Exposes `window.corral` (the API contract) to the sandboxed renderer. Runs in
// the sandbox, where `require` knows only a few modules: this file is bundled
// to CommonJS by scripts/build-electron.mjs and imports nothing at runtime but
// `electron` and ./channels.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { CallName, CorralApi, LogBatch, LogSubscription } from '../../shared/api.js';
import type { Snapshot } from '../../shared/state.js';
import { CHANNEL, unwrapReply } from './channels.js';

// Listing the calls here keeps zod out of the preload; `satisfies` fails the
// build when a call is added to the contract and not here (or the reverse).
const CALL_NAMES = {
  snapshot: true,
  start: true,
  stop: true,
  restart: true,
  forceStop: true,
  killPortHolder: true,
  readLogs: true,
  logLocation: true,
  openLogFolder: true,
  openService: true,
  applyStack: true,
  describeService: true,
  getSettings: true,
  setSettings: true,
} as const satisfies Record<CallName, true>;

async function invoke(call: CallName, req: unknown): Promise<unknown> {
  return unwrapReply(await ipcRenderer.invoke(CHANNEL.invoke, call, req ?? {}), call);
}

const logListeners = new Map<number, (batch: LogBatch) => void>();
let nextSubscription = 1;

// The main process sends the history batch during the subscribe call, so the listener is registered before it.
ipcRenderer.on(CHANNEL.logs, (_event: IpcRendererEvent, msg: { id: number; batch: LogBatch }) => {
  logListeners.get(msg.id)?.(msg.batch);
});

const calls = Object.fromEntries((Object.keys(CALL_NAMES) as CallName[]).map((name) => [name, (req: unknown) => invoke(name, req)]));

const api: CorralApi = {
  ...(calls as Pick<CorralApi, CallName>),
  onSnapshot(listener: (snapshot: Snapshot) => void) {
    const handler = (_event: IpcRendererEvent, snapshot: Snapshot) => listener(snapshot);
    ipcRenderer.on(CHANNEL.snapshot, handler);
    return () => {
      ipcRenderer.removeListener(CHANNEL.snapshot, handler);
    };
  },
  onLogs(sub: LogSubscription, listener: (batch: LogBatch) => void) {
    const id = nextSubscription++;
    logListeners.set(id, listener);
    ipcRenderer
      .invoke(CHANNEL.logsSubscribe, id, sub)
      .then((reply: unknown) => {
        unwrapReply(reply, 'onLogs');
      })
      .catch((err: unknown) => {
        logListeners.delete(id);
        console.error(`corral: could not follow logs of ${sub.stack}: ${err instanceof Error ? err.message : String(err)}`);
      });
    return () => {
      if (!logListeners.delete(id)) return;
      void ipcRenderer.invoke(CHANNEL.logsUnsubscribe, id).catch(() => {});
    };
  },
};

contextBridge.exposeInMainWorld('corral', api);
