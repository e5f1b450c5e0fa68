// The app's own log (not the services' logs, which the owner writes): one
// rotated file in the platform's log directory, opened from the tray menu.
import log from 'electron-log/main';

log.transports.file.level = 'info';
log.transports.file.maxSize = 5 * 1024 * 1024;
log.transports.console.level = process.env.CORRAL_DEBUG ? 'debug' : 'warn';

export const appLog = log.scope('app');

/** ~/Library/Logs/Corral/main.log on macOS, ~/.config/Corral/logs/main.log on Linux. */
export function appLogFile(): string {
  return log.transports.file.getFile().path;
}
