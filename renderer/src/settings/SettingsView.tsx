// The app's settings, the same three the tray menu has. The owner stores them
// and sends them with every snapshot, so a change made in the tray (or in
// another window) shows here at once. They are the app's settings: with the
// headless daemon as the owner they are kept for the app, and launch at login,
// which only the app can register with the OS, cannot be switched on; nor where
// the app says the OS will not let it (a development build), with its reason.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Settings } from '../../../shared/api.js';
import type { Snapshot } from '../../../shared/state.js';

type Key = keyof Settings;

interface Item {
  key: Key;
  label: string;
  /** What it does; with the daemon as owner, what it does not. */
  help: (ownerIsApp: boolean) => ComponentChildren;
  appOnly?: boolean;
}

const ITEMS: Item[] = [
  {
    key: 'notifyOnFailure',
    label: 'Notify when a service fails',
    help: (app) =>
      app
        ? 'A desktop notification when a service gives up restarting; clicking it restarts the service.'
        : 'Used by the Corral app (desktop notifications). The status view shows failures either way.',
  },
  {
    key: 'stopServicesOnQuit',
    label: 'Stop services when Corral quits',
    help: (app) =>
      app
        ? 'Off: services keep running when you quit, and the app takes them back at its next launch.'
        : (
            <>
              Used when you quit the Corral app. For the daemon: <code>corral daemon stop --stop-services</code>.
            </>
          ),
  },
  {
    key: 'launchAtLogin',
    label: 'Launch Corral at login',
    help: (app) => (app ? 'Starts the app (and with it your stacks) when you log in.' : 'Only the Corral app can be launched at login, and the owner now is not the app (see below).'),
    appOnly: true,
  },
];

export function SettingsView({ snapshot, onChange }: { snapshot: Snapshot | null; onChange: (patch: Partial<Settings>) => Promise<unknown> }) {
  // A change in flight shows its new value; when it fails the snapshot's value comes back.
  const [pending, setPending] = useState<Partial<Settings>>({});
  if (!snapshot) return <p class="empty-state">Connecting to Corral…</p>;
  const ownerIsApp = snapshot.owner.kind === 'app';
  const change = (key: Key, value: boolean) => {
    setPending((p) => ({ ...p, [key]: value }));
    void onChange({ [key]: value }).finally(() =>
      setPending((p) => {
        const { [key]: _done, ...rest } = p;
        return rest;
      }),
    );
  };
  return (
    <form class="settings" onSubmit={(e) => e.preventDefault()}>
      <h2>Settings</h2>
      {ITEMS.map((item) => {
        // The app tells the owner when the OS will not let it launch at login (and why).
        const refusal = item.key === 'launchAtLogin' && snapshot.owner.launchAtLogin?.available === false ? snapshot.owner.launchAtLogin.reason : null;
        const locked = (item.appOnly === true && !ownerIsApp) || refusal !== null;
        const value = pending[item.key] ?? snapshot.settings[item.key];
        const id = `setting-${item.key}`;
        return (
          <div class="setting" key={item.key}>
            <input
              type="checkbox"
              id={id}
              checked={locked ? false : value}
              disabled={locked || item.key in pending}
              aria-describedby={`${id}-help`}
              onChange={(e) => change(item.key, (e.currentTarget as HTMLInputElement).checked)}
            />
            <label for={id}>{item.label}</label>
            <p id={`${id}-help`} class="help">
              {refusal ?? item.help(ownerIsApp)}
            </p>
          </div>
        );
      })}
      <p class="help owner-note">
        Stored by the owner ({snapshot.owner.kind}, pid {snapshot.owner.pid}) in <code>{snapshot.owner.home}/settings.json</code>; the tray menu shows the same settings.
      </p>
    </form>
  );
}
