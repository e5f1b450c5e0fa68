// What is running and what is wrong: one table per stack, one row per service
// (a card per service when the window is narrow), and a detail panel per
// service. Nothing moves when a state changes: every row keeps its shape
// (ServiceRow.tsx), the stack's summary has a line of its own, and changes are
// announced to screen readers politely, in the words of shared/explain.ts.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { ServiceSnapshot, Snapshot, StackSnapshot } from '../../../shared/state.js';
import { serviceLine, summarizeStack } from '../../../shared/explain.js';
import { NowContext, ServiceRow, sameShown } from './ServiceRow.js';
import { ServiceDetailPanel } from './ServiceDetailPanel.js';
import { pendingKey, type DetailApi, type StatusHandlers } from './handlers.js';
import { StackChangeBanner } from './StackChangeBanner.js';
import { portsText } from '../format.js';

export { pendingKey, type ServiceAction, type StatusHandlers } from './handlers.js';

interface Props {
  snapshot: Snapshot | null;
  now: number;
  handlers: StatusHandlers;
  api: DetailApi;
  /** false: the owner is not answering; the rows are its last known state, shown as such, and nothing can be clicked. */
  live?: boolean;
}

interface Open {
  stack: string;
  name: string;
  /** Where the focus goes back to when the panel closes. */
  from: HTMLElement | null;
}

export function StatusView({ snapshot, now, handlers, api, live = true }: Props) {
  const [open, setOpen] = useState<Open | null>(null);
  // While the modal panel is open the rest of the page is inert: its changes are announced from inside the panel.
  const panelOpen = useRef(false);
  panelOpen.current = open !== null;
  const announced = useAnnouncements(snapshot, live, panelOpen);
  // A stale row's uptime stops where the owner stopped answering.
  const lastLive = useRef(now);
  if (live) lastLive.current = now;
  const shownNow = live ? now : lastLive.current;
  const onDetails = useCallback((s: ServiceSnapshot, from: HTMLElement) => setOpen({ stack: s.stack, name: s.name, from }), []);

  if (!snapshot) return <p class="empty-state">Connecting to Corral…</p>;
  if (snapshot.stacks.length === 0) {
    return (
      <div class="empty-state">
        <p>No stacks yet.</p>
        <p>
          Run <code>corral up</code> in a folder with a <code>corral.yaml</code> to add one.
        </p>
      </div>
    );
  }
  const close = () => {
    const from = open?.from;
    setOpen(null);
    // The opener was re-rendered in place (rows are keyed), so it is usually still there; else its row's name.
    const target = from?.isConnected ? from : open ? document.querySelector<HTMLElement>(`[data-stack="${CSS.escape(open.stack)}"] [data-service="${CSS.escape(open.name)}"] .name-btn`) : null;
    target?.focus();
  };
  const openService = open ? (snapshot.stacks.find((st) => st.name === open.stack)?.services.find((x) => x.name === open.name) ?? null) : null;
  return (
    <NowContext.Provider value={shownNow}>
      {/* A disabled fieldset disables every button inside it: a stale row cannot be acted on. */}
      <fieldset class={`status${live ? '' : ' stale'}`} disabled={!live}>
        {snapshot.stacks.map((st) => (
          <StackSection key={st.name} stack={st} now={shownNow} h={handlers} live={live} onDetails={onDetails} />
        ))}
        {open && (
          <ServiceDetailPanel
            key={`${open.stack}/${open.name}`}
            stack={open.stack}
            name={open.name}
            s={openService}
            now={shownNow}
            live={live}
            h={handlers}
            api={api}
            announced={announced.inPanel ? announced.text : ''}
            onClose={close}
          />
        )}
      </fieldset>
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announced.inPanel ? '' : announced.text}
      </div>
    </NowContext.Provider>
  );
}

interface Announcement {
  text: string;
  /** Said while the detail panel was open: shown in the panel's live region. */
  inPanel: boolean;
}

/** A sentence for each service whose state changed since the last snapshot (none for the first one). */
function useAnnouncements(snapshot: Snapshot | null, live: boolean, panelOpen: { current: boolean }): Announcement {
  const prev = useRef<Map<string, string> | null>(null);
  const [said, setSaid] = useState<Announcement>({ text: '', inPanel: false });
  useEffect(() => {
    if (!snapshot || !live) return;
    const states = new Map(snapshot.stacks.flatMap((st) => st.services.map((s) => [`${s.stack}/${s.name}`, s.state] as const)));
    const before = prev.current;
    prev.current = states;
    if (!before) return;
    const changed: ServiceSnapshot[] = snapshot.stacks.flatMap((st) => st.services.filter((s) => before.get(`${s.stack}/${s.name}`) !== s.state));
    if (changed.length > 0) setSaid({ text: changed.map(serviceLine).join('. '), inPanel: panelOpen.current });
  }, [snapshot, live]);
  return said;
}

function StackSection({ stack, now, h, live, onDetails }: { stack: StackSnapshot; now: number; h: StatusHandlers; live: boolean; onDetails: (s: ServiceSnapshot, from: HTMLElement) => void }) {
  const summary = summarizeStack(stack.services);
  const allUp = stack.services.every((s) => s.state === 'running' || s.state === 'starting' || s.state === 'completed');
  const allDown = stack.services.every((s) => s.state === 'stopped');
  const busy = (call: string) => h.pending.has(pendingKey(call, stack.name));
  const table = useRef<HTMLDivElement>(null);
  useColumnWidths(table, stack.services);
  const rows = useRowsInSlices(stack.services);
  const headingId = `stack-${stack.name}`;
  const summaryText = live ? summary.text[0]!.toUpperCase() + summary.text.slice(1) : `Last known: ${summary.text} (not live)`;
  return (
    <section class="stack" aria-labelledby={headingId} data-stack={stack.name}>
      <header class="stack-head">
        <h2 id={headingId}>{stack.name}</h2>
        {stack.file && (
          <span class="file" title={stack.file}>
            {stack.file}
          </span>
        )}
        <div class="actions">
          <button type="button" aria-label={`Start all in ${stack.name}`} disabled={allUp || busy('start')} aria-busy={busy('start')} onClick={() => h.act('start', stack.name)}>
            Start all
          </button>
          <button type="button" aria-label={`Stop all in ${stack.name}`} disabled={allDown || busy('stop')} aria-busy={busy('stop')} onClick={() => h.act('stop', stack.name)}>
            Stop all
          </button>
          <button type="button" aria-label={`Restart all in ${stack.name}`} disabled={busy('restart')} aria-busy={busy('restart')} onClick={() => h.act('restart', stack.name)}>
            Restart all
          </button>
        </div>
        {/* Its own line: a longer phrase never moves the buttons. */}
        <p class={`badge summary ${live ? `agg-${summary.aggregate}` : 'stale'}`} title={summaryText}>
          <span class="dot" aria-hidden="true" />
          <span class="summary-text">{summaryText}</span>
        </p>
      </header>
      {/* The stack file changed on disk: what applying it would do, and Apply. */}
      <StackChangeBanner stack={stack} now={now} />
      <div role="table" class="services" aria-label={`Services of ${stack.name}`} ref={table}>
        <div role="rowgroup" class="svc-head">
          <div role="row" class="svc-row">
            <div role="columnheader" class="name">Service</div>
            <div role="columnheader" class="c-state">State</div>
            <div role="none" class="metrics">
              <div role="columnheader" class="m m-pid">PID</div>
              <div role="columnheader" class="m m-uptime">Uptime</div>
              <div role="columnheader" class="m m-restarts">Restarts</div>
              <div role="columnheader" class="m m-ports">Ports</div>
              <div role="columnheader" class="m m-res">CPU · Mem</div>
            </div>
            <div role="columnheader" class="note">
              <span class="sr-only">Explanation</span>
            </div>
            <div role="columnheader" class="actions">
              <span class="sr-only">Actions</span>
            </div>
          </div>
        </div>
        {/* Rows in runs of ROWS_PER_RUN: a run off screen is neither laid out nor painted (styles.css, content-visibility). */}
        {runsOf(rows).map((run, i) => (
          <div key={i} class="svc-run" style={{ '--rows': String(run.length) }}>
            {run.map((s) => (
              <ServiceRow key={s.name} s={s} now={now} h={h} live={live} onDetails={onDetails} />
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}

let measure: CanvasRenderingContext2D | null = null;

/**
 * Every row is its own grid (styles.css): the columns whose width depends on
 * the text are set for all rows at once, the name and ports columns to the
 * longest of the stack (measured on a canvas, not laid out), the actions to a
 * row's. Measured again only when the names or ports change.
 */
function useColumnWidths(table: RefObject<HTMLDivElement | null>, services: ServiceSnapshot[]): void {
  const names = services.map((s) => s.name);
  const ports = services.map((s) => portsText(s.ports));
  useLayoutEffect(() => {
    const el = table.current;
    const name = el?.querySelector('.svc .name-btn');
    const port = el?.querySelector('.svc .m-ports .v');
    const actions = el?.querySelector('.svc .actions');
    measure ??= document.createElement('canvas').getContext('2d');
    if (!el || !name || !port || !actions || !measure) return;
    const widest = (of: Element, texts: string[]) => {
      const cs = getComputedStyle(of);
      measure!.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      // A pixel or two over: a column a fraction too narrow would wrap the longest name.
      return `${Math.ceil(Math.max(0, ...texts.map((t) => measure!.measureText(t).width))) + 2}px`;
    };
    el.style.setProperty('--name-w', widest(name, names));
    el.style.setProperty('--ports-w', widest(port, ports));
    el.style.setProperty('--actions-w', `${Math.ceil(actions.getBoundingClientRect().width)}px`);
  }, [names.join('\n'), ports.join('\n')]);
}

/** How many changed rows one frame renders: a few ms of main thread on a 2-core machine (bench P9). */
const ROWS_PER_FRAME = 20;

/**
 * The services as the rows show them. When a snapshot changes many rows at
 * once (200 services starting), they are rendered ROWS_PER_FRAME a frame, in
 * order, so the window keeps its 60 frames a second: the table is the
 * snapshot's a few frames later (200 rows: 10 frames). A service added,
 * removed or moved is shown at once, as is every change to fewer rows.
 */
function useRowsInSlices(services: ServiceSnapshot[]): ServiceSnapshot[] {
  const shown = useRef(services);
  const [, nextFrame] = useState(0);
  const before = shown.current;
  let behind = false;
  if (before !== services) {
    if (before.length !== services.length || before.some((s, i) => s.name !== services[i]!.name)) {
      shown.current = services;
    } else {
      let budget = ROWS_PER_FRAME;
      const rows = services.map((s, i) => {
        const old = before[i]!;
        // An unchanged row takes the new object (its memo sees nothing to render).
        if (sameShown(old, s) || budget-- > 0) return s;
        behind = true;
        return old;
      });
      shown.current = behind ? rows : services;
    }
  }
  useLayoutEffect(() => {
    if (!behind) return;
    const frame = requestAnimationFrame(() => nextFrame((n) => n + 1));
    return () => cancelAnimationFrame(frame);
  });
  return shown.current;
}

/** Rows a run holds: a run is shown or skipped whole, so scrolling 200 rows tracks 10 boxes, not 200. */
const ROWS_PER_RUN = 5;

function runsOf(rows: ServiceSnapshot[]): ServiceSnapshot[][] {
  const out: ServiceSnapshot[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_RUN) out.push(rows.slice(i, i + ROWS_PER_RUN));
  return out;
}
