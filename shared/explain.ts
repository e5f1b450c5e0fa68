// What a service's state means, in the sentence a user needs: why it is red,
// what it waits for, why it restarted, its last exit, who holds its port. Every
// view (CLI status and up/down, the window, the tray, notifications) takes its
// words from here, so no two of them can disagree. Pure: the snapshot in, text out.
import { aggregateState, describeExit, type Aggregate, type ServiceSnapshot, type StackChange, type WatchRestart } from './state.js';
import { formatDuration } from './duration.js';

type Explained = Pick<
  ServiceSnapshot,
  'name' | 'state' | 'desired' | 'pid' | 'adopted' | 'restarts' | 'lastExit' | 'health' | 'reason' | 'held' | 'nextRestartAt' | 'survivors' | 'portHolder' | 'oneshot' | 'logMissing' | 'daemonized'
> &
  Partial<Pick<ServiceSnapshot, 'watchRestart'>>;

/** How a dependency condition reads after "waiting for db to be …". */
const CONDITION_WORD = { started: 'started', healthy: 'healthy', completed: 'completed' } as const;

/**
 * The one-line explanation of a service, or '' when its state says it all
 * (running as started, stopped by the user with nothing left behind).
 */
export function explainService(s: Explained): string {
  const why = explainState(s);
  if (!s.logMissing || s.pid === null) return why;
  const lost = `its log file was deleted: its output is lost until it restarts (restart ${s.name})`;
  return why ? `${why}; ${lost}` : lost;
}

function explainState(s: Explained): string {
  switch (s.state) {
    case 'held': {
      if (!s.held) return 'waiting for a dependency';
      const { dependency, condition, state } = s.held;
      if (state === null) return `waiting for ${dependency}, which is not in this stack`;
      return `waiting for ${dependency} to be ${CONDITION_WORD[condition]} (${dependency} is ${state})`;
    }
    case 'starting': {
      if (s.pid === null) return '';
      const tries = s.health?.tries ? `, ${s.health.tries} ${s.health.tries === 1 ? 'try' : 'tries'}` : '';
      const check = s.health && !s.health.ok ? `; last check: ${s.health.detail}${tries}` : '';
      return `${s.adopted ? 'adopted' : 'started'} as pid ${s.pid}, waiting until ready${check}`;
    }
    case 'running': {
      if (s.oneshot) return s.adopted ? 'one-shot task, running (adopted from an earlier owner)' : 'one-shot task, running';
      const parts: string[] = [];
      if (s.watchRestart) parts.push(`restarted: ${changedFiles(s.watchRestart)}`);
      if (s.adopted) parts.push('adopted from an earlier owner');
      if (s.daemonized) parts.push(`it forked into the background; Corral follows pid ${s.pid}`);
      if (s.restarts > 0 && s.lastExit && s.lastExit.reason !== 'stopped') parts.push(`restarted ${times(s.restarts)}; last exit: ${describeExit(s.lastExit)}`);
      return parts.join('; ');
    }
    case 'unhealthy': {
      const detail = s.reason ?? (s.health && !s.health.ok ? `health checks failing: ${s.health.detail}` : 'health checks failing');
      return s.adopted ? `${detail}; adopted from an earlier owner` : detail;
    }
    case 'backoff': {
      const exit = s.lastExit ? describeExit(s.lastExit) : 'ended';
      const delay = s.nextRestartAt !== null && s.lastExit ? Math.max(0, s.nextRestartAt - s.lastExit.at) : null;
      return delay === null ? `${exit}; restarting` : `${exit}; restarting after ${formatDuration(delay)}`;
    }
    case 'stopping':
      return '';
    case 'failed': {
      const why = s.reason ?? (s.lastExit ? describeExit(s.lastExit) : '');
      return s.survivors.length > 0 && !s.reason ? `${why ? `${why}; ` : ''}still running: ${s.survivors.map((p) => `${p.pid} (${p.command})`).join(', ')}` : why;
    }
    case 'completed':
      return s.lastExit ? `completed: ${describeExit(s.lastExit)}` : 'completed';
    case 'stopped': {
      if (s.desired === 'down') {
        const base = s.lastExit?.reason === 'stopped' ? 'stopped by you' : '';
        return [base, s.reason].filter(Boolean).join('; ');
      }
      if (s.reason) return s.reason;
      if (s.lastExit) return describeExit(s.lastExit);
      return s.oneshot ? 'not run since the owner started: `corral up` runs it' : 'not started yet';
    }
  }
}

const times = (n: number) => (n === 1 ? 'once' : `${n} times`);

export interface StackSummary {
  aggregate: Aggregate;
  /** "all 5 running", "4 of 5 running; api stopped", "stopped". */
  text: string;
}

/** The stack in one phrase: how many of its services are up, and what the others (and its tasks) are doing. */
export function summarizeStack(services: readonly Explained[]): StackSummary {
  const aggregate = aggregateState(services);
  if (services.length === 0) return { aggregate, text: 'no services' };
  const long = services.filter((s) => !s.oneshot);
  const running = long.filter((s) => s.state === 'running');
  // What needs a word: services not running, tasks running or failed or held; a completed or idle task does not.
  const others = services.filter((s) => (s.oneshot ? s.state !== 'completed' && s.state !== 'stopped' : s.state !== 'running'));
  const completed = services.filter((s) => s.oneshot && s.state === 'completed').map((s) => s.name);
  const tasks = completed.length === 0 ? '' : completed.length <= 2 ? `; ${completed.join(', ')} completed` : `; ${completed.length} tasks completed`;
  if (others.length === 0) {
    if (long.length === 0) return { aggregate, text: completed.length > 0 ? `${completed.join(', ')} completed` : 'stopped' };
    return { aggregate, text: `${long.length === 1 ? 'running' : `all ${long.length} running`}${tasks}` };
  }
  if (running.length === 0 && others.every((s) => s.state === 'stopped')) return { aggregate, text: 'stopped' };
  const listed = others.slice(0, 3).map((s) => `${s.name} ${s.state}`);
  const more = others.length > 3 ? `, ${others.length - 3} more` : '';
  return { aggregate, text: `${running.length} of ${long.length} running; ${listed.join(', ')}${more}${tasks}` };
}

/** The service's name, its state and its explanation, as one line (the tray tooltip, a notification's body). */
export function serviceLine(s: Explained): string {
  const why = explainService(s);
  return why ? `${s.name}: ${s.state} (${why})` : `${s.name}: ${s.state}`;
}

/** "src/server.js changed", "src/a.js and 2 other files changed". */
function changedFiles(w: WatchRestart): string {
  return `${w.file}${w.others > 0 ? ` and ${w.others} other file${w.others > 1 ? 's' : ''}` : ''} changed`;
}

/** "just now", "40 s ago", "2 min ago", "3 h ago", "2 days ago". */
function agoText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} days ago`;
}

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1) || 'the stack file';

/** A validator's message is one line per problem: the first, and how many more. */
function firstProblem(error: string): string {
  const lines = error.split('\n').filter((l) => l.trim() !== '');
  const more = lines.length - 1;
  return more > 0 ? `${lines[0]} (and ${more} more problem${more > 1 ? 's' : ''})` : (lines[0] ?? error);
}

/** What applying a changed stack file does, as a list: "restart api, worker; add cache; stop old-worker"; '' when it only records the file. */
export function stackChangeEffects(change: Pick<StackChange, 'restart' | 'add' | 'remove'>): string {
  const parts: string[] = [];
  if (change.restart.length > 0) parts.push(`restart ${change.restart.join(', ')}`);
  if (change.add.length > 0) parts.push(`add ${change.add.join(', ')}`);
  if (change.remove.length > 0) parts.push(`stop ${change.remove.join(', ')}`);
  return parts.join('; ');
}

/**
 * The stack file changed on disk (`StackSnapshot.pending`), in one sentence:
 * "corral.yaml changed 2 min ago: `corral up` would restart api, worker; add
 * cache; stop old-worker", or why it cannot be applied. `now`: epoch ms.
 */
export function explainStackChange(file: string, change: StackChange, now: number): string {
  const when = `${fileName(file)} changed ${agoText(now - change.at)}`;
  if (change.error !== null) return `${when} and cannot be applied: ${firstProblem(change.error)}`;
  const effects = stackChangeEffects(change);
  return effects ? `${when}: \`corral up\` would ${effects}` : `${when}: nothing running needs a restart; \`corral up\` or Apply records the new definitions`;
}

/** The one action that applies it (the tray's item, the window's button title): "Apply changes to demo (restarts api, worker)". */
export function applyStackLabel(stack: string, change: Pick<StackChange, 'restart' | 'add' | 'remove'>): string {
  const parts: string[] = [];
  if (change.restart.length > 0) parts.push(`restarts ${change.restart.join(', ')}`);
  if (change.add.length > 0) parts.push(`adds ${change.add.join(', ')}`);
  if (change.remove.length > 0) parts.push(`stops ${change.remove.join(', ')}`);
  return `Apply changes to ${stack}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}
