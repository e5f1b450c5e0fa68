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
import { existsSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

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
  /** Something about the watch itself the user should know (a path gone or back, the directory bound). */
  onProblem(message: string): void;
  /** How a watched path reads in a message (default: as given). */
  show?(path: string): string;
}

/** A directory's identity: its inode number alone may be reused at once by the directory replacing it. */
function identity(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.birthtimeMs}`;
}

/** True when a changed path (relative to a watched root) is to be ignored. */
export function ignoredPath(rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  return parts.some((p) => IGNORED_DIRS.has(p)) || TEMP_FILE.test(parts.at(-1) ?? '');
}

interface Watched {
  w: FSWatcher;
  /** The directory's identity when watched (inode, birth time): a directory replaced under the same name is another one. */
  id: string;
  /** The watched path (a root as given) this directory serves. */
  root: string;
}

/**
 * Watches `paths` (directories recursively, files through their directory).
 * The watch follows the path, not the inode: a watched path that disappears
 * (deleted, renamed away, replaced by a branch switch or a build tool) is
 * waited for through its nearest existing parent, one watch that moves down
 * as the missing directories appear, and watched again when it is back; its
 * return counts as a change.
 */
export class TreeWatch {
  readonly paths: readonly string[];
  private readonly watchers = new Map<string, Watched>();
  /** A watched path that does not exist: the watch on its nearest existing parent. */
  private readonly waiting = new Map<string, FSWatcher>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** No more directories are added: the bound, or the system's watch limit, was reached (said once). */
  private full = false;

  constructor(
    paths: readonly string[],
    private readonly opts: TreeWatchOptions,
  ) {
    this.paths = [...new Set(paths)];
    for (const p of this.paths) void this.add(p, false);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const { w } of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const w of this.waiting.values()) w.close();
    this.waiting.clear();
  }

  private show(path: string): string {
    return this.opts.show?.(path) ?? path;
  }

  /** Watches a root; `back`: it has just reappeared (a change, and said). */
  private async add(root: string, back: boolean): Promise<void> {
    const st = await stat(root).catch(() => null);
    if (this.closed) return;
    if (!st) return this.gone(root, !back);
    if (back) {
      this.opts.onProblem(`${this.show(root)} is back; watched again`);
      this.note(root);
    }
    if (!st.isDirectory()) {
      // A file is watched through its directory: editors replace files by rename, which ends a watch on the file itself.
      const name = basename(root);
      await this.watchDir(dirname(root), root, (f) => f === name, false);
    } else if (NATIVE_RECURSIVE) await this.watchDir(root, root, ALL, true);
    else await this.walk(root, root);
  }

  /** A root does not exist: its nearest existing parent is watched for it (`say`: the first time, in the log). */
  private gone(root: string, say: boolean): void {
    if (this.closed || this.waiting.has(root)) return;
    if (say) this.opts.onProblem(`${this.show(root)} is gone; watching for it to come back`);
    let parent = dirname(root);
    let next = root;
    while (!existsSync(parent) && dirname(parent) !== parent) {
      next = parent;
      parent = dirname(parent);
    }
    const name = basename(next);
    let w: FSWatcher;
    const check = (): void => {
      if (this.closed || this.waiting.get(root) !== w) return;
      const there = existsSync(next);
      if (!there && existsSync(parent)) return;
      // The next missing directory appeared (the watch moves down to it, or the root is back), or the parent went too.
      w.close();
      this.waiting.delete(root);
      if (there && next === root) void this.add(root, true);
      else this.gone(root, false);
    };
    try {
      w = watch(parent, { persistent: false }, (_e, f) => {
        if (f === null || f === name || f === basename(parent)) check();
      });
    } catch (e) {
      // The parent went in between: look again from higher up; anything else is said.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return this.gone(root, false);
      return this.opts.onProblem(`cannot watch ${parent} for ${this.show(root)} to come back: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    w.on('error', check);
    this.waiting.set(root, w);
    // It may have appeared between the look and the watch.
    check();
  }

  /** Watches `dir` and every directory below it that is not ignored (Linux). */
  private async walk(dir: string, root: string): Promise<void> {
    if (this.closed || this.full) return;
    if (this.watchers.size >= MAX_WATCHED_DIRS && !this.watchers.has(dir)) return this.stopGrowing(`more than ${MAX_WATCHED_DIRS} directories to watch`);
    if (!(await this.watchDir(dir, root, ALL, false))) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && !IGNORED_DIRS.has(e.name)) await this.walk(join(dir, e.name), root);
  }

  /** False when `dir` was watched already (the same directory) or cannot be. */
  private async watchDir(dir: string, root: string, accept: (name: string) => boolean, recursive: boolean): Promise<boolean> {
    const st = await stat(dir).catch(() => null);
    if (this.closed || !st?.isDirectory()) return false;
    const had = this.watchers.get(dir);
    if (had && had.id === identity(st)) return false;
    // Replaced under the same name: the old watch follows a directory that is gone.
    if (had) this.unwatchTree(dir);
    let w: FSWatcher;
    try {
      // Not persistent: a watch never keeps the owner alive.
      w = watch(dir, { persistent: false, recursive }, (_event, name) => {
        if (name === null) return this.note(dir);
        // An event on the watched directory itself (deleted, renamed away) names it by its own name. A
        // deleted entry of the same name inside it reads the same: it is taken for the directory's own
        // (watched anew, a change either way).
        if (name === basename(dir) && (this.isGone(dir) || !existsSync(join(dir, name)))) return this.lost(dir);
        if (ignoredPath(name) || !accept(name)) return;
        const full = join(dir, name);
        this.note(full);
        // A new directory is watched too (Linux; the native recursive watch sees it already).
        if (!recursive && accept === ALL) void this.maybeDir(full, root);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // The user's inotify watches (fs.inotify.max_user_watches) or descriptors are used up.
      if (code === 'ENOSPC' || code === 'EMFILE') this.stopGrowing(`the system's limit on watches was reached (${code}) at ${dir}`);
      // Gone between the listing and the watch (ENOENT), or unreadable: its parent still sees it change.
      else if (code !== 'ENOENT') this.opts.onProblem(`cannot watch ${dir}: ${code ?? (e as Error).message}`);
      return false;
    }
    // The directory was removed (or became unreadable).
    w.on('error', () => this.lost(dir));
    this.watchers.set(dir, { w, id: identity(st), root });
    return true;
  }

  /** True when `dir` no longer is the directory watched under its name. */
  private isGone(dir: string): boolean {
    const had = this.watchers.get(dir);
    try {
      return !had || identity(statSync(dir)) !== had.id;
    } catch {
      return true;
    }
  }

  /** A watched directory is gone (or replaced): a change; a root's, or a watched file's, directory is waited for. */
  private lost(dir: string): void {
    const had = this.watchers.get(dir);
    if (this.closed || !had) return;
    this.unwatchTree(dir);
    this.note(dir === had.root || dirname(had.root) === dir ? had.root : dir);
    if (dir === had.root || dirname(had.root) === dir) void this.add(had.root, false);
    // Below a root: its parent's watch sees it come back; one replaced already is watched again now.
    else void this.walk(dir, had.root);
  }

  private stopGrowing(why: string): void {
    if (!this.full) this.opts.onProblem(`${why}; changes in directories not watched yet are not seen: watch narrower paths`);
    this.full = true;
  }

  private async maybeDir(path: string, root: string): Promise<void> {
    const st = await stat(path).catch(() => null);
    if (st?.isDirectory()) await this.walk(path, root);
    else if (!st) this.unwatchTree(path);
  }

  private unwatchTree(path: string): void {
    for (const [d, { w }] of this.watchers) {
      if (d === path || d.startsWith(path + sep)) {
        w.close();
        this.watchers.delete(d);
      }
    }
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
  if (rel === '') return '.';
  return rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel) ? file : rel;
}
