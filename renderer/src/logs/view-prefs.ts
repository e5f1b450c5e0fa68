// The log view's preferences (time column, only matching lines), kept in the
// page's localStorage so a view opened later shows them the same way. A
// storage that is missing or refuses (a private window, a full disk) only
// means the defaults.
export interface LogViewPrefs {
  timestamps: boolean;
  onlyMatches: boolean;
}

const KEY = 'corral.logs.view';
export const DEFAULT_LOG_PREFS: LogViewPrefs = { timestamps: false, onlyMatches: true };

export function loadLogPrefs(): LogViewPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof LogViewPrefs, unknown>>;
    return {
      timestamps: typeof raw.timestamps === 'boolean' ? raw.timestamps : DEFAULT_LOG_PREFS.timestamps,
      onlyMatches: typeof raw.onlyMatches === 'boolean' ? raw.onlyMatches : DEFAULT_LOG_PREFS.onlyMatches,
    };
  } catch {
    return { ...DEFAULT_LOG_PREFS };
  }
}

export function saveLogPrefs(p: LogViewPrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(p));
  } catch {}
}
