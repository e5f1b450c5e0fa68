// Where the app's files are, the same way whether main runs from the esbuild
// bundle (dist-electron/), from tsc output (dist/electron/app/) or from an asar.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest directory above `start` holding package.json: the app root. */
export function findAppRoot(start: string, exists: (p: string) => boolean = existsSync): string {
  let dir = start;
  for (;;) {
    if (exists(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`No package.json above ${start}: cannot locate the app's files.`);
    dir = up;
  }
}

export interface AppPaths {
  root: string;
  /** Bundled by scripts/build-electron.mjs (CommonJS, for the sandbox). */
  preload: string;
  /** The renderer build (vite). */
  renderer: string;
  /** Tray PNGs: build/tray in development, copied to resources/tray when packaged. */
  trayIcons: string;
}

export function appPaths(root: string, packaged: { isPackaged: boolean; resourcesPath: string }): AppPaths {
  return {
    root,
    preload: join(root, 'dist-electron', 'preload.cjs'),
    renderer: join(root, 'renderer', 'dist'),
    trayIcons: packaged.isPackaged ? join(packaged.resourcesPath, 'tray') : join(root, 'build', 'tray'),
  };
}
