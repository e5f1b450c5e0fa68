// How the result of up / down / restart is shown: one line per service, and
// for a failure the reason and the last lines of its log.
import type { ActionOutcome } from '../../../shared/api.js';
import type { ServiceSnapshot, Snapshot } from '../../../shared/state.js';
import { explainService } from '../../../shared/explain.js';
import type { ControlClient } from '../../host/control/client.js';
import type { Output } from '../output.js';
import { CliError, EXIT } from '../exit-codes.js';
import { ControlError } from '../../host/control/client.js';

export async function printOutcomes(out: Output, client: ControlClient, stack: string, outcomes: ActionOutcome[], withLogs: boolean): Promise<void> {
  const w = Math.max(0, ...outcomes.map((o) => o.service.length));
  for (const o of outcomes) {
    const mark = o.ok ? out.paint('green', '✓') : out.paint('red', '✗');
    // Held for a dependency that did not come up: not started at all, so no log to show.
    const held = !o.ok && o.state === 'held';
    out.line(`${mark} ${o.service.padEnd(w)}  ${o.ok ? o.message : out.paint('red', held ? `not started: ${o.message}` : o.message)}`);
    // Refused before spawning: the log only holds an earlier run's lines, which would mislead.
    if (held || o.notStarted) continue;
    if (!o.ok && o.survivors && o.survivors.length > 0) {
      for (const s of o.survivors) out.line(`    still running: pid ${s.pid} ${s.command}`);
      out.line(`    end them with: corral down --force ${o.service}`);
    }
    if (!o.ok && withLogs) {
      let lines: string[] = [];
      try {
        lines = (await client.call('readLogs', { stack, services: [o.service], lines: 12 })).map((l) => l.text);
      } catch {}
      if (lines.length > 0) {
        out.line(out.paint('dim', `    last lines of its log:`));
        for (const l of lines) out.line(`    ${out.paint('dim', '|')} ${out.text(l)}`);
      } else out.line(out.paint('dim', '    (its log is empty)'));
    }
  }
}

/** Why a stack is not up, in one sentence: what failed (Corral gave up), what is held, what is still being retried. */
export function notUpSummary(stack: string, outcomes: ActionOutcome[]): string {
  const bad = outcomes.filter((o) => !o.ok);
  const held = bad.filter((o) => o.state === 'held').length;
  const failed = bad.filter((o) => o.state === 'failed' || o.state === 'stopped').length;
  const retrying = bad.length - held - failed;
  const parts: string[] = [];
  if (failed > 0) parts.push(`${failed} failed (Corral does not retry ${failed === 1 ? 'it' : 'them'} on its own: fix the cause, then \`corral up\` again)`);
  if (held > 0) parts.push(`${held} held until what ${held === 1 ? 'it depends' : 'they depend'} on is up`);
  if (retrying > 0) parts.push(`${retrying} not up yet (Corral keeps supervising ${retrying === 1 ? 'it' : 'them'} per the restart policy)`);
  return `Stack ${stack} is not up: ${parts.join('; ')}. \`corral logs\` shows more, \`corral down\` stops it.`;
}

/** Progress while waiting: a line whenever a service of the stack changes state (to stderr). */
export class Progress {
  private readonly last = new Map<string, string>();
  private first = true;

  constructor(
    private readonly out: Output,
    private readonly stack: string,
    /** The services of the file being applied, when known: another one is stopped because it left the file, not by the user. */
    private readonly inFile?: ReadonlySet<string>,
  ) {}

  update(s: Snapshot): void {
    const st = s.stacks.find((x) => x.name === this.stack);
    if (!st) return;
    const w = Math.max(...st.services.map((x) => x.name.length));
    for (const svc of st.services) {
      const removed = this.inFile !== undefined && !this.inFile.has(svc.name);
      const detail = removed ? `no longer in the stack file: ${svc.state === 'stopped' ? 'stopped' : 'stopping'}` : progressDetail(svc);
      // A new line when what it waits on changes, not at every failed try of the same check.
      const key = `${svc.state}|${svc.state === 'running' ? svc.pid : detail.replace(/, \d+ tr(?:y|ies)$/, '')}`;
      const prev = this.last.get(svc.name);
      this.last.set(svc.name, key);
      if (this.first || prev === key) continue;
      this.out.note(`  ${svc.name.padEnd(w)}  ${this.out.paint(this.out.stateColor(svc.state), svc.state.padEnd(9))} ${this.out.paint('dim', detail)}`);
    }
    this.first = false;
  }
}

/** A progress line's detail: the shared explanation; for a running service its pid and last check. */
function progressDetail(s: ServiceSnapshot): string {
  if (s.state !== 'running') return explainService(s);
  return [`pid ${s.pid}`, ...(s.adopted ? ['adopted'] : []), ...(s.health ? [s.health.detail] : [])].join(', ');
}

/** What to say when the owner went away (or stopped answering) during a call; null for any other error. */
export function ownerGone(e: ControlError): string | null {
  if (e.code !== 'closed' && e.code !== 'unreachable' && e.code !== 'timeout') return null;
  const what = e.code === 'timeout' ? 'did not answer in time' : 'went away before answering (it ended or crashed)';
  return `${e.message} The owner ${what}; running services keep running. Run the command again: it starts a new owner if none runs, which adopts them.`;
}

/** Owner errors as CLI errors: a stack file problem exits 3, others 1 (or 4 when the owner went away). */
export function ownerError(e: unknown): never {
  if (e instanceof ControlError) {
    const gone = ownerGone(e);
    if (gone) throw new CliError(EXIT.owner, gone);
    if (e.code === 'bad-request' && /:\d+:\d+: /.test(e.message)) throw new CliError(EXIT.stackFile, e.message);
    if (e.code === 'not-found' || e.code === 'bad-request') throw new CliError(EXIT.usage, e.message);
    throw new CliError(EXIT.failed, e.message);
  }
  throw e;
}
