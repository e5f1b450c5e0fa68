// What quitting means. By default the app quits and the services keep running
// (they are detached and are adopted at the next launch); with the setting
// `stopServicesOnQuit` it stops them first, waiting at most a bound, so a
// service that will not stop cannot hold the app open forever.
import type { Settings } from '../../shared/api.js';

export type QuitReason = 'user' | 'os-shutdown' | 'handover';

export interface QuitPlan {
  stopServices: boolean;
  /** How long the owner may take to close (stopping services included). */
  timeoutMs: number;
  /** For the app log. */
  message: string;
}

export const QUIT_TIMEOUT_MS = 20_000;
// The OS kills what is left soon after it announces shutdown; finish before it does.
export const SHUTDOWN_TIMEOUT_MS = 5_000;
export const LEAVE_TIMEOUT_MS = 3_000;

export function quitPlan(settings: Pick<Settings, 'stopServicesOnQuit'>, reason: QuitReason): QuitPlan {
  if (reason === 'handover') {
    return { stopServices: false, timeoutMs: LEAVE_TIMEOUT_MS, message: 'Handing the stacks over to another owner; services keep running.' };
  }
  if (!settings.stopServicesOnQuit) {
    return { stopServices: false, timeoutMs: LEAVE_TIMEOUT_MS, message: 'Quitting; services keep running and are adopted at the next launch.' };
  }
  const timeoutMs = reason === 'os-shutdown' ? SHUTDOWN_TIMEOUT_MS : QUIT_TIMEOUT_MS;
  return { stopServices: true, timeoutMs, message: `Quitting; stopping services first (at most ${timeoutMs / 1000} s).` };
}

export type QuitDecision =
  /** First request: keep the app alive, close the owner, then quit again. */
  | 'prevent-and-close'
  /** A close is already under way: ignore the repeated request. */
  | 'prevent'
  /** The owner is closed: let Electron quit. */
  | 'allow';

/** The app's quit state machine; only moves forward. */
export class QuitController {
  #state: 'running' | 'closing' | 'closed' = 'running';

  get state(): 'running' | 'closing' | 'closed' {
    return this.#state;
  }

  get quitting(): boolean {
    return this.#state !== 'running';
  }

  /** Called from Electron's 'before-quit'. */
  beforeQuit(): QuitDecision {
    if (this.#state === 'closed') return 'allow';
    if (this.#state === 'closing') return 'prevent';
    this.#state = 'closing';
    return 'prevent-and-close';
  }

  /** The owner has closed (or its bound ran out). */
  closed(): void {
    this.#state = 'closed';
  }
}

/** Closing the window hides it (the app lives in the tray) unless the app is quitting. */
export function windowCloseAction(quitting: boolean): 'hide' | 'close' {
  return quitting ? 'close' : 'hide';
}

/** Resolves with `work`'s outcome or 'timeout' after `ms`, whichever comes first; never rejects. */
export async function withBound(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout' | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const, (error: unknown) => ({ error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
