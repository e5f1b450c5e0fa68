// One service: a row of the stack's table when the window is wide, a card
// when it is narrow (the same elements; styles.css switches on the width of
// the status view). The row keeps its shape whatever the state: every button
// is always there, enabled or not, the explanation has one line (a card's,
// two), and the full story is one Enter away in the detail panel.
//
// A row renders again only when what it shows changed (a snapshot comes
// whole, 25 times a second at most): with 200 services, one changing
// re-renders one row. The clock's tick re-renders the uptimes alone.
import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import type { ServiceSnapshot } from '../../../shared/state.js';
import { explainService } from '../../../shared/explain.js';
import { exitText, healthText, portsText, resourcesShort, STATE_LABEL, uptime } from '../format.js';
import { LineText } from '../logs/LineText.js';
import { memo } from '../memo.js';
import { pendingKey, type StatusHandlers } from './handlers.js';

/** The time the uptimes are counted to (StatusView provides it; it ticks every second). */
export const NowContext = createContext(0);

/** The sentence under a service's name: the one every view shows (shared/explain.ts), else its last health result. */
export function noteOf(s: ServiceSnapshot): string {
  return explainService(s) || (s.health ? `health ${healthText(s.health)}` : '');
}

interface RowProps {
  s: ServiceSnapshot;
  now: number;
  h: StatusHandlers;
  live: boolean;
  onDetails: (s: ServiceSnapshot, from: HTMLElement) => void;
}

const hasProblem = (s: ServiceSnapshot): boolean => s.state === 'failed' || s.survivors.length > 0 || s.portHolder !== null;

export const ServiceRow = memo(Row, (a, b) => {
  if (a.live !== b.live || a.h !== b.h || a.onDetails !== b.onDetails || !sameShown(a.s, b.s)) return false;
  // The clock, for the problem panel's "ago" (the uptime follows NowContext by itself).
  return a.now === b.now || !hasProblem(b.s);
});

/** The same row on screen: every field equal, the resource sample's time aside (its figures are what is shown). */
export function sameShown(a: ServiceSnapshot, b: ServiceSnapshot): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as (keyof ServiceSnapshot)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (k === 'resources') {
      if (resourcesShort(a.resources) !== resourcesShort(b.resources) || a.resources?.processes !== b.resources?.processes) return false;
    } else if (!sameValue(a[k], b[k])) return false;
  }
  return true;
}

/** Deep equality of JSON values. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a);
  if (Array.isArray(b) || ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function Row({ s, now, h, live, onDetails }: RowProps) {
  const note = noteOf(s);
  const nameId = `svc-${s.stack}-${s.name}`;
  return (
    <div role="rowgroup" class={`svc state-${s.state}`} data-service={s.name}>
      <div role="row" class="svc-row">
        <div role="rowheader" class="name" id={nameId}>
          <button type="button" class="name-btn" aria-haspopup="dialog" aria-label={`Details of ${s.name}`} onClick={(e) => onDetails(s, e.currentTarget)}>
            {s.name}
          </button>
        </div>
        <div role="cell" class="c-state">
          <span class={`state s-${live ? s.state : 'stale'}`}>
            <span class="dot" aria-hidden="true" />
            {STATE_LABEL[s.state]}
            {!live && <span class="sr-only"> (last known, not live)</span>}
          </span>
        </div>
        <div role="none" class="metrics">
          <Metric cls="m-pid" label="PID" value={s.pid === null ? '—' : String(s.pid)} />
          <Metric cls="m-uptime" label="Uptime" value={<Uptime s={s} />} />
          <Metric cls="m-restarts" label="Restarts" value={String(s.restarts)} />
          <Metric cls="m-ports" label="Ports" value={portsText(s.ports)} />
          <Metric cls="m-res" label="CPU · Mem" value={live ? resourcesShort(s.resources) : '—'} title={s.resources && live ? `${s.resources.processes} ${s.resources.processes === 1 ? 'process' : 'processes'}` : undefined} />
        </div>
        {/* No text node for no note: Preact writes an empty one again on every render. */}
        <div role="cell" class={`note${s.health && !s.health.ok ? ' warn' : ''}`} title={note || undefined}>
          {note || null}
        </div>
        <div role="cell" class="actions">
          <ServiceActions s={s} h={h} />
        </div>
      </div>
      {hasProblem(s) && (
        <div role="row" class="svc-problem">
          <div role="cell">
            <Problems s={s} now={now} h={h} />
          </div>
        </div>
      )}
    </div>
  );
}

function Uptime({ s }: { s: ServiceSnapshot }) {
  return <>{uptime(s, useContext(NowContext))}</>;
}

function Metric({ cls, label, value, title }: { cls: string; label: string; value: ComponentChildren; title?: string | undefined }) {
  return (
    <div role="cell" class={`m ${cls}`} title={title}>
      <span class="k" aria-hidden="true">
        {label}{' '}
      </span>
      <span class="v">{value}</span>
    </div>
  );
}

/** Start, Stop, Restart, Logs, Open: always all five, in the same places (the row and the detail panel). */
export function ServiceActions({ s, h }: { s: ServiceSnapshot; h: StatusHandlers }) {
  const busy = (call: string) => h.pending.has(pendingKey(call, s.stack, s.name));
  return (
    <>
      <button type="button" aria-label={`Start ${s.name}`} disabled={s.state === 'running' || s.state === 'starting' || s.state === 'held' || busy('start')} aria-busy={busy('start')} onClick={() => h.act('start', s.stack, s.name)}>
        Start
      </button>
      <button type="button" aria-label={`Stop ${s.name}`} disabled={s.state === 'stopped' || s.state === 'completed' || busy('stop')} aria-busy={busy('stop')} onClick={() => h.act('stop', s.stack, s.name)}>
        Stop
      </button>
      <button type="button" class={s.state === 'failed' ? 'primary' : undefined} aria-label={`Restart ${s.name}`} disabled={busy('restart')} aria-busy={busy('restart')} onClick={() => h.act('restart', s.stack, s.name)}>
        Restart
      </button>
      <button type="button" aria-label={`Logs of ${s.name}`} onClick={() => h.openLogs(s.stack, s.name)}>
        Logs
      </button>
      {/* Enabled where the service has an address and runs. */}
      <button type="button" aria-label={`Open ${s.name} in the browser`} title={s.url ?? `${s.name} has no url`} disabled={!s.url || s.pid === null} onClick={() => h.openService(s.stack, s.name)}>
        Open
      </button>
    </>
  );
}

/** What needs the user's hand: why it failed, a foreign process on its port, processes a stop left behind. */
export function Problems({ s, now, h }: { s: ServiceSnapshot; now: number; h: StatusHandlers }) {
  const busy = (call: string) => h.pending.has(pendingKey(call, s.stack, s.name));
  const failed = s.state === 'failed';
  return (
    <>
      {failed && !s.portHolder && (
        <div class="panel error" role="group" aria-label={`${s.name} failed`}>
          <p>
            <strong>{s.name} failed:</strong> {s.reason ?? exitText(s.lastExit, now)}
          </p>
          <p>
            Corral will not restart it on its own. Fix the cause, then press <em>Restart</em>.
          </p>
          {s.lastLogLines.length > 0 && (
            <pre class="last-lines" role="group" aria-label={`Last log lines of ${s.name}`} tabIndex={0}>
              {s.lastLogLines.map((l, i) => (
                <div key={i}>
                  <LineText text={l} highlight={null} />
                </div>
              ))}
            </pre>
          )}
        </div>
      )}
      {s.portHolder && (
        <div class="panel warn" role="group" aria-label={`Port ${s.portHolder.port} of ${s.name} is taken`}>
          <p>
            {failed ? `${s.name} cannot start: port ` : 'Port '}
            <strong>{s.portHolder.port}</strong> is held by process <strong>{s.portHolder.pid}</strong> (<code>{s.portHolder.command}</code>
            {s.portHolder.user ? `, user ${s.portHolder.user}` : ''}), which Corral did not start. Stop it here, or change the port in the stack file; then press <em>Restart</em>.
          </p>
          <button type="button" class="danger" onClick={() => h.askKillHolder(s)}>
            Stop process {s.portHolder.pid}
          </button>
        </div>
      )}
      {s.survivors.length > 0 && (
        <div class="panel error" role="group" aria-label={`Processes of ${s.name} still running`}>
          <p>
            Stopping {s.name} left {s.survivors.length === 1 ? 'a process' : `${s.survivors.length} processes`} running:
          </p>
          <ul class="procs">
            {s.survivors.map((p) => (
              <li key={p.pid}>
                <strong>{p.pid}</strong> <code>{p.command}</code>
                {p.user ? ` (${p.user})` : ''}
              </li>
            ))}
          </ul>
          <button type="button" class="danger" disabled={busy('forceStop')} aria-busy={busy('forceStop')} onClick={() => h.forceStop(s.stack, s.name)}>
            Force stop {s.name}
          </button>
        </div>
      )}
    </>
  );
}
