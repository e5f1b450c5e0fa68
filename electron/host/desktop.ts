// Showing something to the person at the machine (a folder, a URL), where a
// desktop exists. The owner runs on the user's own machine, so when the web UI
// asks to open the log folder, the owner can do it for the browser.
import { spawn } from 'node:child_process';

/** The system's "open this" command, where a desktop exists to show it. */
export function desktopOpener(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string | null {
  if (platform === 'darwin') return 'open';
  if (platform === 'linux' && (env.DISPLAY || env.WAYLAND_DISPLAY)) return 'xdg-open';
  return null;
}

/** Opens a path or URL with the desktop's default application; false where there is no desktop or the opener cannot run. */
export function openOnDesktop(target: string): Promise<boolean> {
  const opener = desktopOpener();
  if (!opener) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(opener, [target], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
