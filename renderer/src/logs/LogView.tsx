// The log viewer: one service or several merged, followed live, filtered,
// copied. Shows the newest lines first (the subscription's history), then loads the
// longer history behind them without blocking the page.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { CorralApi, LogCursor } from '../../../shared/api.js';
import type { Snapshot } from '../../../shared/state.js';
import { serviceColour } from '../format.js';
import { LogStore, plainText } from './log-store.js';
import { LogSearch, matcher } from './search.js';
import { VirtualList, type VirtualListHandle } from './VirtualList.js';
import { LineText } from './LineText.js';
import { copyText } from '../clipboard.js';
import { lineTime, lineTimeIso, lineTimeSource } from './line-time.js';
import { loadLogPrefs, saveLogPrefs, type LogViewPrefs } from './view-prefs.js';

export const ROW_HEIGHT = 18;
/** The first read: enough to fill any window, small enough to arrive at once. */
const TAIL_LINES = 1000;
/** Then the older history, up to what the contract allows. */
const HISTORY_LINES = 1_000_000 - TAIL_LINES;
const COPY_MAX = 100_000;
const FILTER_DEBOUNCE_MS = 120;

export interface LogSelection {
  stack: string;
  services: string[];
}

type Phase = { kind: 'loading' } | { kind: 'history' } | { kind: 'ready' } | { kind: 'error'; message: string };

interface Props {
  api: CorralApi;
  snapshot: Snapshot | null;
  selection: LogSelection | null;
  onSelect: (sel: LogSelection) => void;
  notify: (kind: 'info' | 'error', text: string) => void;
  /** Opened from a control elsewhere (a status row's Logs): the focus goes to the lines. */
  focusOnOpen?: boolean;
  onOpened?: () => void;
  /** Where the logs were opened from, to go back to (a button, and Escape). */
  back?: () => void;
  /** false: the owner is not answering; the lines shown are all there is until it does. */
  connected?: boolean;
}

function useFrameInvalidate(): [number, () => void] {
  const [tick, setTick] = useState(0);
  const frame = useRef(0);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  const invalidate = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setTick((t) => t + 1);
    });
  };
  return [tick, invalidate];
}

export function LogView({ api, snapshot, selection, onSelect, notify, focusOnOpen, onOpened, back, connected = true }: Props) {
  const stacks = snapshot?.stacks ?? [];
  const sel: LogSelection | null = selection ?? (stacks[0] ? { stack: stacks[0].name, services: stacks[0].services.map((s) => s.name) } : null);
  const selKey = sel ? `${sel.stack}\u0000${sel.services.join(',')}` : '';
  const stackSnap = stacks.find((s) => s.name === sel?.stack);
  const merged = (sel?.services.length ?? 0) > 1;

  const [tick, invalidate] = useFrameInvalidate();
  const [filter, setFilter] = useState('');
  const [prefs, setPrefs] = useState<LogViewPrefs>(loadLogPrefs);
  const setPref = (patch: Partial<LogViewPrefs>) =>
    setPrefs((p) => {
      const next = { ...p, ...patch };
      saveLogPrefs(next);
      return next;
    });
  const { onlyMatches, timestamps } = prefs;
  const [follow, setFollow] = useState(true);
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [current, setCurrent] = useState(-1);
  const [folder, setFolder] = useState<string | null>(null);
  const [pausedAt, setPausedAt] = useState(0);
  const list = useRef<VirtualListHandle | null>(null);
  const filterInput = useRef<HTMLInputElement>(null);

  /** Live lines received since the view opened. */
  const arrived = useRef(0);
  const followRef = useRef(follow);
  followRef.current = follow;

  const store = useMemo(() => new LogStore(merged), [selKey]);
  const search = useMemo(() => new LogSearch(store, invalidate), [store]);
  useEffect(() => () => search.dispose(), [search]);

  // Debounced filter → search.
  useEffect(() => {
    const t = setTimeout(() => {
      search.setQuery(filter);
      setCurrent(-1);
    }, filter === '' ? 0 : FILTER_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [filter, search]);

  // Subscribe with the newest lines as history: the owner hands them and then
  // every later line once, so the seam is exact. The older history is read
  // behind it, before each service's first position held: exact too.
  useEffect(() => {
    if (!sel) return;
    let cancelled = false;
    let loaded = false;
    setPhase({ kind: 'loading' });
    setFolder(null);
    const req = { stack: sel.stack, services: sel.services };
    const loadOlder = async (before: LogCursor) => {
      setPhase({ kind: 'history' });
      const older = await api.readLogs({ ...req, lines: HISTORY_LINES, before });
      if (cancelled) return;
      const held = store.lines.length;
      const anchor = list.current?.firstVisible() ?? 0;
      store.load(older.concat(store.lines));
      search.sync();
      invalidate();
      // Keep the line the user was reading in place (older lines came in above it).
      if (!followRef.current && !search.active) list.current?.scrollToRow(anchor + (store.lines.length - held));
      setPhase({ kind: 'ready' });
    };
    const unsubscribe = api.onLogs({ ...req, history: { lines: TAIL_LINES } }, (batch) => {
      if (cancelled) return;
      if (!loaded) {
        loaded = true;
        store.load(batch.lines);
        search.sync();
        invalidate();
        if (batch.lines.length < TAIL_LINES) return setPhase({ kind: 'ready' });
        // Per service: its first line held, or where its live lines start when the tail had none of it.
        const before: LogCursor = { ...batch.cursor };
        for (const l of batch.lines) if (!(l.service in before) || l.seq < before[l.service]!) before[l.service] = l.seq;
        loadOlder(before).catch((err: unknown) => {
          if (!cancelled) setPhase({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        });
        return;
      }
      arrived.current += batch.lines.length;
      store.append(batch.lines);
      search.sync();
      invalidate();
    });
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [selKey, api]);

  const filtered = search.active && onlyMatches;
  const count = filtered ? search.matches.length : store.lines.length;
  const lineIndex = (row: number) => (filtered ? search.matches[row]! : row);
  const highlight = useMemo(() => matcher(search.query, true), [search.query]);
  const currentLine = current >= 0 ? search.matches[current] : undefined;

  // New lines are counted in the whole log, whatever the filter shows (older history loaded meanwhile is not new).
  const setFollowing = (on: boolean) => {
    setFollow(on);
    if (!on) setPausedAt(arrived.current);
  };

  const goToMatch = (delta: 1 | -1) => {
    const n = search.matches.length;
    if (n === 0) return;
    let next: number;
    if (current < 0) {
      // From where the user is looking.
      const top = lineIndex(Math.min(list.current?.firstVisible() ?? 0, Math.max(0, count - 1)));
      next = delta > 0 ? search.matches.findIndex((m) => m >= top) : findLastIndex(search.matches, (m) => m < top);
      if (next < 0) next = delta > 0 ? 0 : n - 1;
    } else next = (current + delta + n) % n;
    setCurrent(next);
    setFollowing(false);
    list.current?.reveal(filtered ? next : search.matches[next]!);
  };

  const copy = async () => {
    const from = Math.max(0, count - COPY_MAX);
    const out: string[] = [];
    for (let r = from; r < count; r++) {
      const l = store.lines[lineIndex(r)]!;
      // What the view shows: the time column when it is on, the service when several are merged.
      out.push(`${timestamps ? `${lineTimeIso(l)} ` : ''}${merged ? `${l.service} | ` : ''}${plainText(l)}`);
    }
    try {
      await copyText(out.join('\n') + (out.length > 0 ? '\n' : ''));
      notify('info', `Copied ${out.length.toLocaleString()} line${out.length === 1 ? '' : 's'}${from > 0 ? ` (the newest ${COPY_MAX.toLocaleString()})` : ''}.`);
    } catch (err) {
      notify('error', `Could not copy: ${(err as Error).message}`);
    }
  };

  const showFolder = async () => {
    if (!sel) return;
    if (folder !== null) return setFolder(null);
    try {
      const one = sel.services.length === 1 ? sel.services[0] : undefined;
      // The owner opens it in the file manager where it can (the app, a desktop); the path is shown either way.
      const r = await api.openLogFolder({ stack: sel.stack, ...(one ? { service: one } : {}) });
      setFolder(r.path);
      if (r.opened) notify('info', `Opened ${r.path}`);
    } catch (err) {
      notify('error', (err as Error).message);
    }
  };

  // "/" focuses the filter, as in most log tools; Escape goes back where the logs were opened from.
  const backRef = useRef(back);
  backRef.current = back;
  // Escape first clears a filter (wherever the focus is), and only then goes back.
  const filterRef = useRef({ filter, clear: () => setFilter('') });
  filterRef.current = { filter, clear: () => setFilter('') };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !typing) {
        e.preventDefault();
        filterInput.current?.focus();
      } else if (e.key === 'Escape' && !e.defaultPrevented && filterRef.current.filter !== '' && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        filterRef.current.clear();
      } else if (e.key === 'Escape' && !e.defaultPrevented && backRef.current && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        backRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    if (!focusOnOpen || !sel) return;
    list.current?.focus();
    onOpened?.();
  }, [focusOnOpen, selKey]);

  if (!sel || !stackSnap) {
    return (
      <div class="logs empty-state">
        <p>{stacks.length === 0 ? 'No stacks yet. Add one with `corral up` in a folder with a corral.yaml.' : 'Pick a stack to see its logs.'}</p>
      </div>
    );
  }

  const toggleService = (name: string) => {
    const has = sel.services.includes(name);
    const next = has ? sel.services.filter((s) => s !== name) : stackSnap.services.map((s) => s.name).filter((s) => s === name || sel.services.includes(s));
    if (next.length === 0) return;
    onSelect({ stack: sel.stack, services: next });
  };

  const allServices = stackSnap.services.map((s) => s.name);
  const newLines = follow ? 0 : Math.max(0, arrived.current - pausedAt);
  const now = Date.now();
  const renderRow = (row: number) => {
    const idx = lineIndex(row);
    const l = store.lines[idx];
    const place = { role: 'listitem' as const, 'aria-posinset': row + 1, 'aria-setsize': count };
    if (!l) return <div class="row" {...place} />;
    return (
      <div class={idx === currentLine ? 'row current' : 'row'} {...place} aria-current={idx === currentLine ? 'true' : undefined}>
        {timestamps && (
          <span class={l.at === undefined ? 'time unknown' : 'time'} title={lineTimeSource(l)}>
            {lineTime(l, now)}
          </span>
        )}
        {merged && <span class={`tag c${serviceColour(l.service, allServices)}`}>{l.service}</span>}
        <span class="text">
          <LineText text={l.text} highlight={highlight} />
        </span>
      </div>
    );
  };

  const matchInfo = search.active
    ? `${search.matches.length.toLocaleString()} match${search.matches.length === 1 ? '' : 'es'}${search.done ? '' : ' so far, searching…'}`
    : '';

  return (
    <div class="logs">
      <div class="log-toolbar" aria-label="Log controls" role="group">
        {back && (
          <button type="button" class="back" onClick={back} title="Back to the status view (Escape)">
            <span aria-hidden="true">← </span>Back to status
          </button>
        )}
        {stacks.length > 1 && (
          <label class="field">
            <span class="sr-only">Stack</span>
            <select
              aria-label="Stack"
              value={sel.stack}
              onChange={(e) => {
                const name = (e.currentTarget as HTMLSelectElement).value;
                const st = stacks.find((s) => s.name === name);
                if (st) onSelect({ stack: name, services: st.services.map((s) => s.name) });
              }}
            >
              {stacks.map((s) => (
                <option value={s.name}>{s.name}</option>
              ))}
            </select>
          </label>
        )}
        <fieldset class="services-pick">
          <legend class="sr-only">Services shown</legend>
          {stackSnap.services.map((s) => (
            <label class={`pick c${serviceColour(s.name, allServices)}`}>
              <input type="checkbox" checked={sel.services.includes(s.name)} onChange={() => toggleService(s.name)} />
              <span>{s.name}</span>
            </label>
          ))}
          {stackSnap.services.length > 1 && (
            <button type="button" class="small" onClick={() => onSelect({ stack: sel.stack, services: stackSnap.services.map((s) => s.name) })}>
              All services
            </button>
          )}
        </fieldset>
        <div class="search">
          <input
            ref={filterInput}
            type="search"
            aria-label="Filter logs"
            placeholder="Filter (/)"
            value={filter}
            onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                search.setQuery(filter);
                goToMatch(e.shiftKey ? -1 : 1);
              } else if (e.key === 'Escape' && filter !== '') {
                e.preventDefault();
                setFilter('');
              }
            }}
          />
          <label class="check">
            <input type="checkbox" checked={onlyMatches} onChange={(e) => setPref({ onlyMatches: (e.currentTarget as HTMLInputElement).checked })} />
            Only matching lines
          </label>
          <button type="button" class="small" aria-label="Previous match" disabled={search.matches.length === 0} onClick={() => goToMatch(-1)}>
            ↑
          </button>
          <button type="button" class="small" aria-label="Next match" disabled={search.matches.length === 0} onClick={() => goToMatch(1)}>
            ↓
          </button>
        </div>
        <label class="check">
          <input type="checkbox" checked={timestamps} onChange={(e) => setPref({ timestamps: (e.currentTarget as HTMLInputElement).checked })} />
          Timestamps
        </label>
        <div class="log-actions">
          {/* One button, two states its label says: following the newest line, or paused (scrolled up) with what came since. */}
          <button
            type="button"
            class={follow ? 'follow following' : 'follow paused'}
            aria-pressed={follow}
            disabled={!connected}
            onClick={() => setFollowing(!follow)}
            title={follow ? 'Showing each new line as it arrives. Press to pause (or scroll up).' : 'Press (or End in the lines) to follow the newest lines again.'}
          >
            <span class="follow-icon" aria-hidden="true">
              {follow ? '▼' : '❚❚'}
            </span>
            {follow ? 'Following' : `Paused${newLines > 0 ? ` — ${newLines.toLocaleString()} new line${newLines === 1 ? '' : 's'}` : ''}, Jump to newest`}
          </button>
          <button type="button" onClick={() => void copy()} disabled={count === 0} title="Copy the lines shown (filter applied)">
            Copy
          </button>
          <button type="button" aria-expanded={folder !== null} disabled={!connected} onClick={() => void showFolder()}>
            Open log folder
          </button>
        </div>
      </div>
      {folder !== null && (
        <div class="folder" role="group" aria-label="Log folder">
          <span>
            Logs are in <code>{folder}</code>
          </span>
          <button type="button" class="small" onClick={() => void copyText(folder).then(() => notify('info', 'Path copied.'))}>
            Copy path
          </button>
        </div>
      )}
      <VirtualList
        class="log-lines"
        label={`Log lines of ${sel.services.join(', ')}`}
        count={count}
        rowHeight={ROW_HEIGHT}
        renderRow={renderRow}
        follow={follow}
        onFollowChange={setFollowing}
        handle={list}
        version={tick}
      />
      <div class="log-status">
        <span>{store.lines.length.toLocaleString()} lines</span>
        {/* The state, said once when it changes (never the count of lines, which changes with every line). */}
        <span class="sr-only follow-said" aria-live="polite">
          {phase.kind === 'ready' || phase.kind === 'history' ? (follow ? 'Following the newest lines.' : 'Paused: the view holds still while lines arrive. End or Jump to newest follows again.') : ''}
        </span>
        <span aria-live="polite" class="match-info">
          {matchInfo && (current >= 0 ? `${(current + 1).toLocaleString()} of ${matchInfo}` : matchInfo)}
        </span>
        <span>
          {!connected
            ? 'Not connected: no new lines until Corral answers'
            : phase.kind === 'loading'
            ? 'Loading…'
            : phase.kind === 'history'
              ? 'Loading older lines…'
              : phase.kind === 'error'
                ? store.lines.length > 0
                  ? `Could not load older lines: ${phase.message}`
                  : `Could not read the log: ${phase.message}`
                : follow
                  ? 'Following'
                  : 'Paused'}
        </span>
      </div>
    </div>
  );
}

function findLastIndex<T>(a: readonly T[], pred: (v: T) => boolean): number {
  for (let i = a.length - 1; i >= 0; i--) if (pred(a[i]!)) return i;
  return -1;
}
