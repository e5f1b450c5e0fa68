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

  return {
    set,
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
