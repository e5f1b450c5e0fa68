// The window: a status tab and a logs tab over one live snapshot. Everything
// goes through `window.corral` (the contract in shared/api.ts); the app does
// not know whether that is IPC or HTTP.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ActionOutcome, ActionResult, CorralApi, Settings } from '../../shared/api.js';
import type { ServiceSnapshot, Snapshot } from '../../shared/state.js';
import { serviceLine, summarizeStack } from '../../shared/explain.js';
import { StatusView, pendingKey, type ServiceAction } from './status/StatusView.js';
import { ConfirmDialog } from './status/ConfirmDialog.js';
import { LogView, type LogSelection } from './logs/LogView.js';
import { SettingsView } from './settings/SettingsView.js';
import { CONNECTION_EVENT, type ConnectionDetail } from './transport-http.js';
import { parseRoute, routeHash, type Route } from './route.js';
import { keepFocusVisible, markFocus, restoreFocus, type FocusMark } from './focus.js';

interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
  /** `stack/service` an error is about: it goes away once that service runs. */
  about?: string;
}

const INFO_NOTICE_MS = 4000;
const MAX_ERRORS = 3;

export function App({ api }: { api: CorralApi }) {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  const [now, setNow] = useState(() => Date.now());
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [notices, setNotices] = useState<Notice[]>([]);
  const [confirmKill, setConfirmKill] = useState<ServiceSnapshot | null>(null);
  const [connection, setConnection] = useState<ConnectionDetail>({ connected: true });
  const nextNotice = useRef(1);
  // What a screen reader is told, politely, when a service changes state (never a log line).
  const [announcement, setAnnouncement] = useState('');
  // The logs were opened from a row's Logs button: Back (or Escape) returns there, with the focus.
  const [logsFrom, setLogsFrom] = useState<string | null>(null);
  const [focusLogs, setFocusLogs] = useState(false);
  const dialogOpener = useRef<FocusMark | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => (root.current ? keepFocusVisible(root.current) : undefined), []);

  // Errors stay until dismissed (a few at most); a success replaces the
  // previous one and fades: the table already shows the new state.
  const notify = useCallback((kind: Notice['kind'], text: string, about?: string) => {
    const id = nextNotice.current++;
    setNotices((ns) => [...ns.filter((n) => n.kind === 'error').slice(-(MAX_ERRORS - 1)), { id, kind, text, ...(about ? { about } : {}) }]);
    if (kind === 'info') setTimeout(() => setNotices((ns) => ns.filter((n) => n.id !== id)), INFO_NOTICE_MS);
  }, []);

  // Live snapshot: subscribe first, then read, so no change falls in between.
  const snapshotSince = useRef(0);
  useEffect(() => {
    let latest = -1;
    let states: Map<string, string> | null = null;
    const take = (s: Snapshot) => {
      if (s.seq < latest && s.owner.since === snapshotSince.current) return;
      latest = s.seq;
      snapshotSince.current = s.owner.since;
      setSnapshot(s);
      // Only changes of state are said, in the words every view uses (shared/explain.ts); not the first view of them.
      const services = s.stacks.flatMap((st) => st.services);
      const changed = states ? services.filter((x) => states!.get(`${x.stack}/${x.name}`) !== x.state) : [];
      states = new Map(services.map((x) => [`${x.stack}/${x.name}`, x.state]));
      if (changed.length > 0) {
        const text = changed.slice(0, 5).map(serviceLine).join('. ') + (changed.length > 5 ? `. ${changed.length - 5} more changed.` : '.');
        // The same words again (running, failed, running) are a new change: a trailing space makes the region say them.
        setAnnouncement((prev) => (prev.trimEnd() === text && !prev.endsWith('\u00a0') ? `${text}\u00a0` : text));
      }
      // An error about a service that runs now is stale.
      const running = new Set(s.stacks.flatMap((st) => st.services.filter((x) => x.state === 'running').map((x) => `${x.stack}/${x.name}`)));
      setNotices((ns) => (ns.some((n) => n.about && running.has(n.about)) ? ns.filter((n) => !(n.about && running.has(n.about))) : ns));
    };
    const off = api.onSnapshot(take);
    api.snapshot({}).then(take, (err: unknown) => notify('error', `Cannot read the state: ${(err as Error).message}`));
    return off;
  }, [api]);

  useEffect(() => {
    const onConn = (e: Event) => setConnection((e as CustomEvent<ConnectionDetail>).detail);
    window.addEventListener(CONNECTION_EVENT, onConn);
    return () => window.removeEventListener(CONNECTION_EVENT, onConn);
  }, []);

  // Uptimes tick once a second while the status is shown.
  useEffect(() => {
    if (route.view !== 'status') return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [route.view]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const go = (r: Route) => {
    setRoute(r);
    const hash = routeHash(r);
    if (window.location.hash !== hash) window.history.replaceState(null, '', hash || window.location.pathname + window.location.search);
  };

  const run = async (key: string, what: string, fn: () => Promise<ActionResult>) => {
    setPending((p) => new Set(p).add(key));
    try {
      const r = await fn();
      const failed = r.outcomes.filter((o) => !o.ok);
      // Owner messages often name the service already.
      const say = (o: ActionOutcome) => (o.message.startsWith(o.service) ? o.message : `${o.service}: ${o.message}`);
      for (const o of failed) notify('error', say(o), `${o.stack}/${o.service}`);
      if (failed.length === 0 && r.outcomes.length > 0) notify('info', r.outcomes.map(say).join('; '));
    } catch (err) {
      notify('error', `${what} failed: ${(err as Error).message}`);
    } finally {
      setPending((p) => {
        const n = new Set(p);
        n.delete(key);
        return n;
      });
    }
  };

  const calls = {
    act: (call: ServiceAction, stack: string, service?: string) =>
      void run(pendingKey(call, stack, service), `${call[0]!.toUpperCase()}${call.slice(1)} ${service ?? stack}`, () => api[call]({ stack, ...(service ? { services: [service] } : {}) })),
    forceStop: (stack: string, service: string) => void run(pendingKey('forceStop', stack, service), `Force stop ${service}`, () => api.forceStop({ stack, service })),
    askKillHolder: (s: ServiceSnapshot) => {
      dialogOpener.current = markFocus(document.activeElement);
      setConfirmKill(s);
    },
    openLogs: (stack: string, service: string) => {
      setLogsFrom(document.activeElement?.getAttribute('aria-label') ?? null);
      setFocusLogs(true);
      go({ view: 'logs', stack, services: [service] });
    },
    openService: (stack: string, service: string) =>
      void api.openService({ stack, service }).then(
        (r) => {
          if (r.opened) return notify('info', `Opened ${r.url}`);
          // The owner has no desktop to open it on (a headless daemon): this page is a browser, so a new tab of it.
          const tab = /^https?:\/\//.test(r.url) ? window.open(r.url, '_blank') : null;
          if (tab) tab.opener = null;
          notify('info', tab ? `Opened ${r.url} in a new tab` : `Open ${r.url} in your browser (no desktop opener where the owner runs)`);
        },
        (err: unknown) => notify('error', `Open ${service} failed: ${(err as Error).message}`),
      ),
  };
  // The same functions across renders (each calls this render's), so a row renders again only when what it shows changed.
  const latestCalls = useRef(calls);
  latestCalls.current = calls;
  const stableCalls = useMemo(
    () => ({
      act: (...a: Parameters<typeof calls.act>) => latestCalls.current.act(...a),
      forceStop: (...a: Parameters<typeof calls.forceStop>) => latestCalls.current.forceStop(...a),
      askKillHolder: (...a: Parameters<typeof calls.askKillHolder>) => latestCalls.current.askKillHolder(...a),
      openLogs: (...a: Parameters<typeof calls.openLogs>) => latestCalls.current.openLogs(...a),
      openService: (...a: Parameters<typeof calls.openService>) => latestCalls.current.openService(...a),
    }),
    [],
  );
  const handlers = useMemo(() => ({ pending, ...stableCalls }), [pending, stableCalls]);

  const all = snapshot?.stacks.flatMap((s) => s.services) ?? [];
  const summary = snapshot ? summarizeStack(all) : null;
  const routeServices = route.view === 'logs' && route.stack ? (route.services ?? servicesOf(snapshot, route.stack)) : [];
  const logSel: LogSelection | null = route.view === 'logs' && route.stack && routeServices.length > 0 ? { stack: route.stack, services: routeServices } : null;

  const tabs = [
    { id: 'status', label: 'Status' },
    { id: 'logs', label: 'Logs' },
    { id: 'settings', label: 'Settings' },
  ] as const;
  type TabId = (typeof tabs)[number]['id'];
  const routeOf = (id: TabId): Route => (id === 'logs' ? { view: 'logs', ...(logSel ? { stack: logSel.stack, services: logSel.services } : {}) } : { view: id });
  const onTabKey = (e: KeyboardEvent) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    e.preventDefault();
    // From the focused tab (the selected one, unless focus was put elsewhere).
    const focused = tabs.findIndex((t) => `tab-${t.id}` === (e.target as HTMLElement).id);
    const at = focused >= 0 ? focused : tabs.findIndex((t) => t.id === route.view);
    const next = tabs[(at + step + tabs.length) % tabs.length]!.id;
    setLogsFrom(null);
    go(routeOf(next));
    document.getElementById(`tab-${next}`)?.focus();
  };
  const closeDialog = () => {
    setConfirmKill(null);
    // Back to the button that opened it, or the nearest control to where it was (its panel may be gone).
    requestAnimationFrame(() => restoreFocus(dialogOpener.current));
  };
  const backToStatus = () => {
    const label = logsFrom;
    setLogsFrom(null);
    go({ view: 'status' });
    requestAnimationFrame(() => {
      const el = label ? [...document.querySelectorAll<HTMLElement>('[aria-label]')].find((e) => e.getAttribute('aria-label') === label) : null;
      (el ?? document.getElementById('tab-status'))?.focus();
    });
  };
  const changeSettings = async (patch: Partial<Settings>) => {
    try {
      await api.setSettings(patch);
    } catch (err) {
      notify('error', `Cannot change the setting: ${(err as Error).message}`);
    }
  };

  return (
    <div class="app" ref={root}>
      <header class="top">
        <h1>Corral</h1>
        {summary && connection.connected && (
          <span class={`badge agg-${summary.aggregate}`} title={summary.text}>
            <span class="dot" aria-hidden="true" />
            <span class="sr-only">Overall: </span>
            {summary.text}
          </span>
        )}
        {summary && !connection.connected && (
          <span class="badge stale">
            <span class="dot" aria-hidden="true" />
            <span class="sr-only">Overall: </span>
            not connected
          </span>
        )}
        <div role="tablist" aria-label="Views" class="tabs" onKeyDown={onTabKey}>
          {tabs.map((t) => (
            <button
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={route.view === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={route.view === t.id ? 0 : -1}
              onClick={() => {
                setLogsFrom(null);
                go(routeOf(t.id));
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        {snapshot && (
          <span class="owner" title={snapshot.owner.home}>
            owner {snapshot.owner.kind}, pid {snapshot.owner.pid}
            {!connection.connected && ' (not answering)'}
          </span>
        )}
      </header>
      {!connection.connected && (
        <div class="banner" role="alert">
          {connection.fatal
            ? 'This page\'s owner is gone for good (another owner took over, or it restarted): run `corral ui` for a new page. What is below is its last known state.'
            : 'Corral is not answering: its owner stopped, was killed, or is busy. What is below is the last known state, not live. This page reconnects by itself if this same owner answers again; an owner started anew (`corral daemon start`, `corral up`, the app) serves a new address: run `corral ui` to open it.'}
        </div>
      )}
      <main class={`panel-${route.view}`}>
        <div id={`panel-${route.view}`} role="tabpanel" aria-labelledby={`tab-${route.view}`} class="tabpanel">
        {route.view === 'status' ? (
          <StatusView snapshot={snapshot} now={now} handlers={handlers} api={api} live={connection.connected} />
        ) : route.view === 'settings' ? (
          <SettingsView snapshot={snapshot} onChange={changeSettings} />
        ) : (
          <LogView
            api={api}
            snapshot={snapshot}
            selection={logSel}
            onSelect={(sel) => go({ view: 'logs', stack: sel.stack, services: sel.services })}
            notify={notify}
            connected={connection.connected}
            focusOnOpen={focusLogs}
            onOpened={() => setFocusLogs(false)}
            {...(logsFrom !== null ? { back: backToStatus } : {})}
          />
        )}
        </div>
      </main>
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="state-announcer">
        {announcement}
      </div>
      <div class="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} class={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : undefined}>
            <span>{n.text}</span>
            <button type="button" class="small" aria-label="Dismiss" onClick={() => setNotices((ns) => ns.filter((x) => x.id !== n.id))}>
              ×
            </button>
          </div>
        ))}
      </div>
      {confirmKill?.portHolder && (
        <ConfirmDialog
          title={`Stop process ${confirmKill.portHolder.pid}?`}
          confirmLabel={`Yes, stop process ${confirmKill.portHolder.pid}`}
          onCancel={closeDialog}
          onConfirm={() => {
            const s = confirmKill;
            const holder = s.portHolder!;
            closeDialog();
            void run(pendingKey('killPortHolder', s.stack, s.name), `Stop process ${holder.pid}`, () =>
              api.killPortHolder({ stack: s.stack, service: s.name, pid: holder.pid, confirm: true }),
            );
          }}
        >
          <p>
            Process {confirmKill.portHolder.pid} (<code>{confirmKill.portHolder.command}</code>
            {confirmKill.portHolder.user ? `, user ${confirmKill.portHolder.user}` : ''}) holds port {confirmKill.portHolder.port}, which {confirmKill.name} needs.
          </p>
          <p>Corral did not start it. Stopping it sends SIGTERM (then SIGKILL); whatever it was doing is lost.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function servicesOf(snapshot: Snapshot | null, stack: string): string[] {
  return snapshot?.stacks.find((s) => s.name === stack)?.services.map((s) => s.name) ?? [];
}
