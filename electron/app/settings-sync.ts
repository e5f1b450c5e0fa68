// Settings live in the owner; some of them also live in the OS (launch at
// login). A change is applied to the OS first, so a refusal ("packaged app
// only") leaves the stored setting untouched, and rolled back if storing fails.
import type { Settings } from '../../shared/api.js';
import type { Autostart } from './autostart.js';

export interface SettingsSyncDeps {
  get(): Promise<Settings>;
  set(partial: Partial<Settings>): Promise<Settings>;
  autostart: Pick<Autostart, 'availability' | 'isEnabled' | 'setEnabled'>;
  onChange(settings: Settings): void;
}

export function createSettingsSync(deps: SettingsSyncDeps) {
  let current: Settings | null = null;

  async function set(partial: Partial<Settings>): Promise<Settings> {
    const login = partial.launchAtLogin;
    const before = deps.autostart.availability.available ? deps.autostart.isEnabled() : false;
    const changeOs = login !== undefined && login !== before;
    if (changeOs) deps.autostart.setEnabled(login);
    let next: Settings;
    try {
      next = await deps.set(partial);
    } catch (err) {
      if (changeOs) deps.autostart.setEnabled(before);
      throw err;
    }
    current = next;
    deps.onChange(next);
    return next;
  }

  /**
   * A change stored by someone else (the web UI, or this app's own `set`, whose
   * event arrives too): the OS follows it; where the OS refuses (an unpackaged
   * build), the stored value is put back to what the OS has, so every view
   * shows the truth.
   */
  async function changedElsewhere(next: Settings): Promise<void> {
    let settled = next;
    const a = deps.autostart;
    const actual = a.availability.available ? a.isEnabled() : false;
    if (next.launchAtLogin !== actual) {
      let applied = false;
      try {
        a.setEnabled(next.launchAtLogin);
        applied = true;
      } catch {}
      if (!applied) settled = await deps.set({ launchAtLogin: actual });
    }
    current = settled;
    deps.onChange(settled);
  }

  return {
    set,
    changedElsewhere,
    current(): Settings {
      if (!current) throw new Error('Settings read before load().');
      return current;
    },
    /**
     * Loads the stored settings. The OS is the truth for launch at login: the
     * user may have removed the login item in System Settings, and must not
     * find it back at the next launch.
     */
    async load(): Promise<Settings> {
      current = await deps.get();
      if (deps.autostart.availability.available) {
        const actual = deps.autostart.isEnabled();
        if (actual !== current.launchAtLogin) current = await deps.set({ launchAtLogin: actual });
        // Rewrites a stale entry (an AppImage that moved).
        else if (actual) deps.autostart.setEnabled(true);
      }
      deps.onChange(current);
      return current;
    },
  };
}
