// What is running and what is wrong: one table per stack, one row per service.
// Rows keep their shape whatever the state (every button is always there,
// enabled or not; cells do not grow), so live updates never move the layout.
import type { ServiceSnapshot, Snapshot, StackSnapshot } from '../../../shared/state.js';
import { explainService, summarizeStack } from '../../../shared/explain.js';
import { exitText, healthText, portsText, STATE_LABEL, uptime } from '../format.js';
import { LineText } from '../logs/LineText.js';
import { StackChangeBanner } from './StackChangeBanner.js';

export type ServiceAction = 'start' | 'stop' | 'restart';

export interface StatusHandlers {
  /** Keys of calls in flight: `${call}:${stack}:${service ?? '*'}`. */
  pending: ReadonlySet<string>;
  act: (call: ServiceAction, stack: string, service?: string) => void;
  forceStop: (stack: string, service: string) => void;
  askKillHolder: (s: ServiceSnapshot) => void;
  openLogs: (stack: string, service: string) => void;
  openService: (stack: string, service: string) => void;
}

export const pendingKey = (call: string, stack: string, service?: string): string => `${call}:${stack}:${service ?? '*'}`;

/** `live` false: the owner is not answering; the rows are its last known state, shown as such, and nothing can be clicked. */
export function StatusView({ snapshot, now, handlers, live = true }: { snapshot: Snapshot | null; now: number; handlers: StatusHandlers; live?: boolean }) {
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
  return (
    // A disabled fieldset disables every button inside it: a stale row cannot be acted on.
    <fieldset class={`status${live ? '' : ' stale'}`} disabled={!live}>
      {snapshot.stacks.map((st) => (
        <StackSection key={st.name} stack={st} now={now} h={handlers} live={live} />
      ))}
    </fieldset>
  );
}

function StackSection({ stack, now, h, live }: { stack: StackSnapshot; now: number; h: StatusHandlers; live: boolean }) {
  const summary = summarizeStack(stack.services);
  const allUp = stack.services.every((s) => s.state === 'running' || s.state === 'starting' || s.state === 'completed');
  const allDown = stack.services.every((s) => s.state === 'stopped');
  const busy = (call: string) => h.pending.has(pendingKey(call, stack.name));
  const headingId = `stack-${stack.name}`;
  return (
    <section class="stack" aria-labelledby={headingId}>
      <header class="stack-head">
        <h2 id={headingId}>{stack.name}</h2>
        <span class={`badge ${live ? `agg-${summary.aggregate}` : 'stale'}`}>
          <span class="dot" aria-hidden="true" />
          {live ? summary.text[0]!.toUpperCase() + summary.text.slice(1) : `Last known: ${summary.text} (not live)`}
        </span>
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
      </header>
      <StackChangeBanner stack={stack} now={now} />
      <table class="services">
        <caption class="sr-only">Services of {stack.name}</caption>
        <colgroup>
          <col class="c-name" />
          <col class="c-state" />
          <col class="c-pid" />
          <col class="c-uptime" />
          <col class="c-restarts" />
          <col class="c-ports" />
          <col class="c-health" />
          <col class="c-exit" />
          <col class="c-actions" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">State</th>
            <th scope="col">PID</th>
            <th scope="col">Uptime</th>
            <th scope="col">Restarts</th>
            <th scope="col">Ports</th>
            <th scope="col">Health</th>
            <th scope="col">Last exit</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        {stack.services.map((s) => (
          <ServiceRows key={s.name} s={s} now={now} h={h} />
        ))}
      </table>
    </section>
  );
}

function Cell({ text, cls }: { text: string; cls?: string }) {
  return (
    <td class={cls} title={text.length > 14 ? text : undefined}>
      {text}
    </td>
  );
}

function ServiceRows({ s, now, h }: { s: ServiceSnapshot; now: number; h: StatusHandlers }) {
  const busy = (call: string) => h.pending.has(pendingKey(call, s.stack, s.name));
  const failed = s.state === 'failed';
  // The note is the one explanation every view shows (shared/explain.ts), else the last health result.
  const note = explainService(s) || healthText(s.health);
  const hasDetail = failed || s.survivors.length > 0 || s.portHolder !== null;
  return (
    // One tbody per service keeps its detail panel with it.
    <tbody class={`svc state-${s.state}`} data-service={s.name}>
      <tr>
        <th scope="row" class="name">
          {s.name}
          {s.adopted && (
            <span class="tag-adopted" title="Started before this owner, adopted at launch">
              adopted
            </span>
          )}
        </th>
        <td>
          <span class={`state s-${s.state}`}>
            <span class="dot" aria-hidden="true" />
            {STATE_LABEL[s.state]}
          </span>
        </td>
        <Cell text={s.pid === null ? '—' : String(s.pid)} cls="num" />
        <Cell text={uptime(s, now)} cls="num" />
        <Cell text={String(s.restarts)} cls="num" />
        <Cell text={portsText(s.ports)} cls="num" />
        <Cell text={note} cls={s.health && !s.health.ok ? 'warn' : undefined} />
        {/* A stop the user asked for says nothing about an instance that runs now. */}
        <Cell text={s.pid !== null && s.lastExit?.reason === 'stopped' ? '—' : exitText(s.lastExit, now)} />
        <td class="actions">
          <button type="button" aria-label={`Start ${s.name}`} disabled={s.state === 'running' || s.state === 'starting' || s.state === 'held' || busy('start')} aria-busy={busy('start')} onClick={() => h.act('start', s.stack, s.name)}>
            Start
          </button>
          <button type="button" aria-label={`Stop ${s.name}`} disabled={s.state === 'stopped' || s.state === 'completed' || busy('stop')} aria-busy={busy('stop')} onClick={() => h.act('stop', s.stack, s.name)}>
            Stop
          </button>
          <button
            type="button"
            class={failed ? 'primary' : undefined}
            aria-label={`Restart ${s.name}`}
            disabled={busy('restart')}
            aria-busy={busy('restart')}
            onClick={() => h.act('restart', s.stack, s.name)}
          >
            Restart
          </button>
          <button type="button" aria-label={`Logs of ${s.name}`} onClick={() => h.openLogs(s.stack, s.name)}>
            Logs
          </button>
          {/* Always there (the row keeps its shape); enabled where the service has an address. */}
          <button type="button" aria-label={`Open ${s.name} in the browser`} title={s.url ?? `${s.name} has no url`} disabled={!s.url || s.pid === null} onClick={() => h.openService(s.stack, s.name)}>
            Open
          </button>
        </td>
      </tr>
      {hasDetail && (
        <tr class="detail">
          <td colSpan={9}>
            {failed && !s.portHolder && <FailedPanel s={s} now={now} />}
            {s.portHolder && (
              <div class="panel warn" role="group" aria-label={`Port ${s.portHolder.port} of ${s.name} is taken`}>
                <p>
                  {failed ? `${s.name} cannot start: port ` : 'Port '}
                  <strong>{s.portHolder.port}</strong> is held by process <strong>{s.portHolder.pid}</strong> (<code>{s.portHolder.command}</code>
                  {s.portHolder.user ? `, user ${s.portHolder.user}` : ''}), which Corral did not start. Stop it here, or change the port in the stack file; then press{' '}
                  <em>Restart</em>.
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
          </td>
        </tr>
      )}
    </tbody>
  );
}

function FailedPanel({ s, now }: { s: ServiceSnapshot; now: number }) {
  return (
    <div class="panel error" role="group" aria-label={`${s.name} failed`}>
      <p>
        <strong>{s.name} failed:</strong> {s.reason ?? exitText(s.lastExit, now)}
      </p>
      <p>
        Corral will not restart it on its own. Fix the cause, then press <em>Restart</em>.
      </p>
      {s.lastLogLines.length > 0 && (
        <pre class="last-lines" role="group" tabIndex={0} aria-label={`Last log lines of ${s.name}`}>
          {s.lastLogLines.map((l) => (
            <div>
              <LineText text={l} highlight={null} />
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
