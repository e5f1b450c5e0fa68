// Launch at login. macOS and Windows have an API (app.setLoginItemSettings);
// Linux desktops follow the XDG autostart spec: a .desktop file in
// $XDG_CONFIG_HOME/autostart. Only a packaged app is registered: an unpackaged
// one would register the Electron binary from node_modules, which then opens
// Electron's default app at every login.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { App } from 'electron';
import type { LaunchAtLoginAvailability } from './tray-menu.js';
import type { OwnerInfo } from '../../shared/state.js';

/** Passed to the app when the OS starts it at login: start in the tray, no window. */
export const HIDDEN_ARG = '--hidden';
export const DESKTOP_FILE_ID = 'dev.corral.app';

export function launchAtLoginAvailability(platform: NodeJS.Platform, isPackaged: boolean): LaunchAtLoginAvailability {
  if (!isPackaged) return { available: false, reason: 'packaged app only' };
  if (platform === 'darwin' || platform === 'win32' || platform === 'linux') return { available: true };
  return { available: false, reason: `not supported on ${platform}` };
}

/** The error a request to enable launch at login gets when it cannot be honoured. */
export function launchAtLoginRefusal(a: LaunchAtLoginAvailability): string | null {
  if (a.available) return null;
  if (a.reason === 'packaged app only') {
    return 'Launch at login is only available in the packaged app: this is a development build, which would register the Electron binary from node_modules. Build the app (npm run dist) and enable it there.';
  }
  return `Launch at login is ${a.reason}.`;
}

/** What the window and web UI are told (through the owner's snapshot): available, or the sentence that says why not. */
export function launchAtLoginForViews(a: LaunchAtLoginAvailability): NonNullable<OwnerInfo['launchAtLogin']> {
  const why = launchAtLoginRefusal(a);
  return why === null ? { available: true } : { available: false, reason: why };
}

const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument per the Desktop Entry spec: quoted when it holds a
 * reserved character (with " ` $ \ escaped inside), % doubled (field codes),
 * then backslashes escaped once more for the string-value level, which is
 * decoded first. A literal backslash therefore becomes four.
 */
export function quoteExecArg(arg: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(arg)) throw new Error(`Cannot write an autostart entry for an argument with a control character: ${JSON.stringify(arg)}`);
  let out = arg.replace(/%/g, '%%');
  if (out === '' || RESERVED.test(out)) out = `"${out.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
  return out.replace(/\\/g, '\\\\');
}

export interface DesktopEntryInput {
  name: string;
  comment: string;
  exec: readonly string[];
}

export function desktopEntry(input: DesktopEntryInput): string {
  const value = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${value(input.name)}`,
    `Comment=${value(input.comment)}`,
    `Exec=${input.exec.map(quoteExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether an existing entry still starts the app: desktops disable entries in place instead of deleting them. */
export function desktopEntryEnabled(contents: string): boolean {
  return !/^\s*Hidden\s*=\s*true\s*$/m.test(contents) && !/^\s*X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(contents);
}

/** $XDG_CONFIG_HOME/autostart/<id>.desktop; a relative XDG_CONFIG_HOME is invalid per the spec and ignored. */
export function autostartPath(env: NodeJS.ProcessEnv, home: string, id = DESKTOP_FILE_ID): string {
  const configHome = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart', `${id}.desktop`);
}

/**
 * What to run at login. In an AppImage, process.execPath points into a
 * temporary mount that changes at every run; $APPIMAGE is the file itself.
 */
export function launchCommand(execPath: string, env: NodeJS.ProcessEnv): string[] {
  return [env.APPIMAGE || execPath, HIDDEN_ARG];
}

export interface Autostart {
  availability: LaunchAtLoginAvailability;
  isEnabled(): boolean;
  /** Registers or unregisters; throws with the reason when unavailable. */
  setEnabled(enabled: boolean): void;
}

export interface AutostartDeps {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  execPath: string;
  env: NodeJS.ProcessEnv;
  home: string;
  app: Pick<App, 'setLoginItemSettings' | 'getLoginItemSettings'>;
}

export function createAutostart(deps: AutostartDeps): Autostart {
  const availability = launchAtLoginAvailability(deps.platform, deps.isPackaged);
  const refuse = () => {
    const why = launchAtLoginRefusal(availability);
    if (why) throw Object.assign(new Error(why), { code: 'conflict' });
  };

  if (deps.platform === 'linux') {
    const file = autostartPath(deps.env, deps.home);
    const read = () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return null;
      }
    };
    return {
      availability,
      isEnabled: () => {
        const contents = read();
        return contents !== null && desktopEntryEnabled(contents);
      },
      setEnabled(enabled) {
        if (!enabled) {
          rmSync(file, { force: true });
          return;
        }
        refuse();
        const contents = desktopEntry({ name: 'Corral', comment: 'Keeps your local development stack running', exec: launchCommand(deps.execPath, deps.env) });
        if (read() === contents) return;
        mkdirSync(dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, contents, { mode: 0o644 });
        renameSync(tmp, file);
      },
    };
  }

  // Windows compares the registered arguments too, so ask with the same ones.
  const loginArgs = { args: [HIDDEN_ARG] };
  // macOS 13+ reports a status; openAtLogin alone can say yes for an item that will not run.
  const isEnabled = () => {
    const s = deps.app.getLoginItemSettings(loginArgs) as { openAtLogin: boolean; status?: string };
    return s.status !== undefined && deps.platform === 'darwin' ? s.status === 'enabled' : s.openAtLogin;
  };
  return {
    availability,
    isEnabled: () => availability.available && isEnabled(),
    setEnabled(enabled) {
      if (enabled) refuse();
      else if (!availability.available) return;
      // setLoginItemSettings never throws on macOS: read back what the system did.
      deps.app.setLoginItemSettings({ openAtLogin: enabled, ...loginArgs });
      if (!enabled || isEnabled()) return;
      const { status } = deps.app.getLoginItemSettings(loginArgs) as { status?: string };
      throw Object.assign(new Error(loginItemRefusal(status)), { code: 'conflict' });
    },
  };
}

/** Why macOS did not enable the login item, and what to do. */
export function loginItemRefusal(status: string | undefined): string {
  if (status === 'requires-approval') {
    return 'macOS needs your approval to open Corral at login: allow it in System Settings › General › Login Items, then turn Launch at Login on again.';
  }
  if (status === 'not-found') return 'macOS could not find Corral to register it as a login item: move Corral.app to /Applications and try again.';
  return `The system did not register Corral as a login item${status ? ` (status: ${status})` : ''}.`;
}
