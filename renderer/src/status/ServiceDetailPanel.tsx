// A service's detail panel: everything about it that does not fit a row, in
// a modal side panel. Live: the snapshot part follows every update, and the
// part only the owner knows (`describeService`: command as written, cwd,
// process tree, recent exits and health results) is read again whenever the
// service changes; the log tail follows the log. Escape closes it and gives
// the focus back to where it was.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ServiceDetail, LogLine } from '../../../shared/api.js';
import type { ServiceSnapshot } from '../../../shared/state.js';
import { ago, exitText, healthText, resourcesText, STATE_LABEL, uptime } from '../format.js';
import { LineText } from '../logs/LineText.js';
import { noteOf, Problems, ServiceActions } from './ServiceRow.js';
import type { DetailApi, StatusHandlers } from './handlers.js';

const LOG_TAIL = 12;
/** The process tree is read again at least this often while the panel is open (a child can appear without any state change). */
const REFRESH_MS = 5000;

interface Props {
  stack: string;
  name: string;
  /** The service as of the latest snapshot; null: it is no longer in the stack. */
  s: ServiceSnapshot | null;
  now: number;
  live: boolean;
  h: StatusHandlers;
  api: DetailApi;
  /** A state change said while the panel is open (the page behind it is inert). */
  announced: string;
  onClose: () => void;
}

export function ServiceDetailPanel({ stack, name, s, now, live, h, api, announced, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const [detail, setDetail] = useState<ServiceDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tail, setTail] = useState<LogLine[]>([]);

  useLayoutEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (!d.open) d.showModal();
    closeRef.current?.focus();
    return () => {
      if (d.open) d.close();
    };
  }, []);

  // Read again when anything the owner's part depends on changes, and now and then for the process tree.
  const version = s ? [s.state, s.pid, s.restarts, s.lastExit?.at, s.health?.at, s.resources?.processes].join('|') : 'gone';
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearInterval(t);
  }, [live]);
  useEffect(() => {
    if (!live || !s) return;
    let current = true;
    api.describeService({ stack, service: name }).then(
      (d) => {
        if (!current) return;
        setDetail(d);
        setError(null);
      },
      (err: unknown) => current && setError((err as Error).message),
    );
    return () => {
      current = false;
    };
  }, [stack, name, version, tick, live]);

  // The log tail, live.
  useEffect(() => {
    if (!s) return;
    let off: (() => void) | null = null;
    try {
      off = api.onLogs({ stack, services: [name], history: { lines: LOG_TAIL } }, (batch) => {
        if (batch.lines.length > 0) setTail((t) => [...t, ...batch.lines].slice(-LOG_TAIL));
      });
    } catch {
      off = null;
    }
    return () => off?.();
  }, [stack, name, s === null]);

  const titleId = `detail-title-${stack}-${name}`;
  const note = s ? noteOf(s) : '';
  const running = s !== null && s.pid !== null;
  return (
    <dialog
      ref={ref}
      class="detail-panel"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header class="detail-head">
        <h2 id={titleId}>{name}</h2>
        {s && (
          <span class={`state s-${live ? s.state : 'stale'}`}>
            <span class="dot" aria-hidden="true" />
            {STATE_LABEL[s.state]}
            {!live && ' (last known, not live)'}
          </span>
        )}
        <span class="detail-stack">in {stack}</span>
        <button type="button" ref={closeRef} class="close" aria-label="Close details" onClick={onClose}>
          Close
        </button>
      </header>
      {!s ? (
        <p class="detail-note">
          {name} is no longer in {stack}.
        </p>
      ) : (
        <div class="detail-body">
          {note && (
            <p class="detail-note" aria-label="Explanation">
              {note}
            </p>
          )}
          <div class="detail-actions" role="group" aria-label={`Actions for ${name}`}>
            <ServiceActions s={s} h={h} />
          </div>
          {(s.state === 'failed' || s.survivors.length > 0 || s.portHolder) && <Problems s={s} now={now} h={h} />}
          {error && live && (
            <p class="panel warn" role="alert">
              Cannot read the details of {name}: {error}
            </p>
          )}
          <dl class="facts">
            {detail && (
              <Fact label="Command">
                <code class="wrap">{detail.command}</code>
              </Fact>
            )}
            {detail && (
              <Fact label="Working directory">
                <code class="wrap">{detail.cwd}</code>
              </Fact>
            )}
            {s.ports.length > 0 && (
              <Fact label={s.ports.length === 1 ? 'Port' : 'Ports'}>
                <span class="ports">
                  {s.ports.join(', ')}
                  {s.url && running && (
                    <button type="button" class="small" aria-label={`Open ${s.url} in the browser`} onClick={() => h.openService(s.stack, s.name)}>
                      Open {s.url}
                    </button>
                  )}
                </span>
              </Fact>
            )}
            {s.url && !running && s.ports.length === 0 && <Fact label="Address">{s.url}</Fact>}
            {s.pid !== null && (
              <Fact label="PID">
                {s.pid}
                {s.adopted ? ' (adopted from an earlier owner)' : ''}
                {s.daemonized ? ' (forked into the background)' : ''}
              </Fact>
            )}
            {s.startedAt !== null && s.pid !== null && (
              <Fact label="Uptime">
                {uptime(s, now)} (since {new Date(s.startedAt).toLocaleTimeString()})
              </Fact>
            )}
            {s.resources && live && <Fact label="Resources">{resourcesText(s.resources)}</Fact>}
            {detail && detail.processes.length > 0 && (
              <Fact label={`Processes (${detail.processes.length})`}>
                <ul class="tree" aria-label={`Processes of ${name}`}>
                  {detail.processes.map((p) => (
                    <li key={p.pid} style={{ paddingLeft: `${Math.min(p.depth, 6) * 14}px` }}>
                      <strong>{p.pid}</strong> <code class="wrap">{p.command}</code>
                      {p.role !== 'leader' && p.role !== 'group' && <span class="role"> ({p.role === 'escaped' ? 'left its group' : p.role === 'orphan' ? 'left by an earlier instance' : 'child'})</span>}
                    </li>
                  ))}
                </ul>
              </Fact>
            )}
            {(s.restarts > 0 || (detail && detail.exits.length > 0)) && (
              <Fact label="Restarts">
                {s.restarts}
                {detail && detail.exits.length > 0 ? (
                  <ul class="plain" aria-label={`Recent exits of ${name}`}>
                    {detail.exits.map((e) => (
                      <li key={`${e.at}-${e.pid ?? ''}`}>
                        {exitText(e, now)}
                        {e.pid !== undefined ? ` (pid ${e.pid})` : ''}
                      </li>
                    ))}
                  </ul>
                ) : (
                  ' (no exit recorded by this owner)'
                )}
              </Fact>
            )}
            {detail?.healthCheck && <Fact label="Health check">{detail.healthCheck}</Fact>}
            {detail && detail.healthResults.length > 0 && (
              <Fact label="Recent health results">
                <ul class="plain" aria-label={`Recent health results of ${name}`}>
                  {detail.healthResults.map((r, i) => (
                    <li key={`${r.at}-${i}`} class={r.ok ? undefined : 'warn'}>
                      {healthText(r)}, {ago(r.at, now)}
                    </li>
                  ))}
                </ul>
              </Fact>
            )}
            {Object.keys(s.dependsOn).length > 0 && (
              <Fact label="Depends on">
                {Object.entries(s.dependsOn)
                  .map(([d, c]) => `${d} (${c})`)
                  .join(', ')}
              </Fact>
            )}
            <Fact label="Log file">
              <code class="wrap">{s.logFile}</code>
            </Fact>
          </dl>
          {tail.length > 0 && (
            <section class="tail" aria-label={`Last log lines of ${name}`}>
              <h3>Log</h3>
              <pre class="last-lines" tabIndex={0}>
                {tail.map((l) => (
                  <div key={l.seq}>
                    <LineText text={l.text} highlight={null} />
                  </div>
                ))}
              </pre>
            </section>
          )}
        </div>
      )}
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announced}
      </div>
    </dialog>
  );
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
