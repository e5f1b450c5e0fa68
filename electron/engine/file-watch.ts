// Watches directories (recursively) and files for a service's `watch` paths,
// and reports a burst of changes once, `debounceMs` after its last event.
// `.git`, `node_modules` and editors' temporary files are never reported, and
// nothing under `.git` or `node_modules` is even watched.
//
// Why not `fs.watch(dir, { recursive: true })` everywhere: on Linux, Node 20
// implements it in JavaScript with one inotify watch per *file*, after a
// synchronous walk of the whole tree, node_modules included (50,000 files:
// seconds of a blocked owner and past the default inotify limit). Here Linux
// gets one watch per directory, skipping the ignored ones, added as
// directories appear; macOS and Windows have a native recursive watch (one
// FSEvents stream, one handle), whose events under ignored paths are dropped.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** Directories never watched, and whose changes never count. */
const IGNORED_DIRS = new Set(['.git', 'node_modules']);

/**
 * Files editors write beside the one being saved: vim's swap files and its
 * `4913` probe, `file~` backups, emacs's `.#file` locks and `#file#`
 * autosaves, JetBrains' `___jb_tmp___`, `.DS_Store`.
 */
const TEMP_FILE = /(^\.#)|(^#.*#$)|(~$)|(\.sw[a-px]x?$)|(^4913$)|(___jb_(tmp|old)___$)|(^\.DS_Store$)|(\.crswap$)/;

/** A bound on directories watched per service: a watch of `~` must not take every inotify watch of the user. */
export const MAX_WATCHED_DIRS = 10_000;

const ALL = (): boolean => true;

const NATIVE_RECURSIVE = process.platform === 'darwin' || process.platform === 'win32';

export interface TreeWatchOptions {
  /** Quiet time after the last change before `onChange` (default 500 ms). */
  debounceMs?: number;
  /** The files that changed in one burst (absolute paths, the last one last). */
  onChange(files: string[]): void;
  /** Something about the watch itself the user should know (a path gone, the directory bound). */
  onProblem(message: string): void;
}

/** True when a changed path (relative to a watched root) is to be ignored. */
export function ignoredPath(rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  return parts.some((p) => IGNORED_DIRS.has(p)) || TEMP_FILE.test(parts.at(-1) ?? '');
}

export class TreeWatch {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** No more directories are added: the bound, or the system's watch limit, was reached (said once). */
  private full = false;

  constructor(
    readonly paths: readonly string[],
    private readonly opts: TreeWatchOptions,
  ) {
    for (const p of paths) void this.add(p);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private async add(path: string): Promise<void> {
    const st = await stat(path).catch(() => null);
    if (this.closed) return;
    if (!st) return this.opts.onProblem(`watched path ${path} does not exist; its changes are not seen until it exists and the service is started again`);
    if (!st.isDirectory()) {
      // A file is watched through its directory: editors replace files by rename, which ends a watch on the file itself.
      const name = basename(path);
      this.watchDir(dirname(path), (f) => f === name, false);
    } else if (NATIVE_RECURSIVE) this.watchDir(path, ALL, true);
    else await this.walk(path);
  }

  /** Watches `dir` and every directory below it that is not ignored (Linux). */
  private async walk(dir: string): Promise<void> {
    if (this.closed || this.full || this.watchers.has(dir)) return;
    if (this.watchers.size >= MAX_WATCHED_DIRS) return this.stopGrowing(`more than ${MAX_WATCHED_DIRS} directories to watch`);
    this.watchDir(dir, ALL, false);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && !IGNORED_DIRS.has(e.name)) await this.walk(join(dir, e.name));
  }

  private watchDir(dir: string, accept: (name: string) => boolean, recursive: boolean): void {
    if (this.closed || this.watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      // Not persistent: a watch never keeps the owner alive.
      w = watch(dir, { persistent: false, recursive }, (_event, name) => {
        if (name === null) return this.note(dir);
        if (ignoredPath(name) || !accept(name)) return;
        const full = join(dir, name);
        this.note(full);
        // A new directory is watched too (Linux; the native recursive watch sees it already).
        if (!recursive && accept === ALL) void this.maybeDir(full);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The user's inotify watches (fs.inotify.max_user_watches) or descriptors are used up.
      if (code === 'ENOSPC' || code === 'EMFILE') return this.stopGrowing(`the system's limit on watches was reached (${code}) at ${dir}`);
      // Gone between the listing and the watch (ENOENT), or unreadable: its parent still sees it change.
      if (code !== 'ENOENT') this.opts.onProblem(`cannot watch ${dir}: ${code ?? (e as Error).message}`);
      return;
    }
    // The directory was removed (or became unreadable): forget it; its parent sees it come back.
    w.on('error', () => this.unwatch(dir));
    this.watchers.set(dir, w);
  }

  private stopGrowing(why: string): void {
    if (!this.full) this.opts.onProblem(`${why}; changes in directories not watched yet are not seen: watch narrower paths`);
    this.full = true;
  }

  private async maybeDir(path: string): Promise<void> {
    const st = await stat(path).catch(() => null);
    if (st?.isDirectory()) await this.walk(path);
    else if (!st) for (const d of [...this.watchers.keys()]) if (d === path || d.startsWith(path + sep)) this.unwatch(d);
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private note(path: string): void {
    if (this.closed) return;
    this.changed.delete(path);
    this.changed.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.opts.debounceMs ?? 500);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = null;
    if (this.closed || this.changed.size === 0) return;
    const files = [...this.changed];
    this.changed.clear();
    this.opts.onChange(files);
  }
}

/** How a changed file reads in a sentence: relative to `base` when it is below it. */
export function shownPath(file: string, base: string): string {
  const rel = relative(base, file);
  return rel && !rel.startsWith('..') ? rel : file;
}
