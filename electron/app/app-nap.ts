// macOS puts a background app without windows (LSUIElement) in App Nap: its
// main-process timers are coalesced, so 1 s crash polls and health probes run
// every ~8 s. While any service runs, hold a 'prevent-app-suspension' power
// assertion, which takes the app out of App Nap. Its cost: the Mac does not
// idle-sleep while services run (the display still may). Off macOS there is no
// App Nap, and on Linux the same blocker would inhibit suspend: not used.
import type { PowerSaveBlocker } from 'electron';
import type { Snapshot } from '../../shared/state.js';

export function servicesRunning(s: Snapshot): boolean {
  return s.stacks.some((st) => st.services.some((sv) => sv.pid !== null));
}

export class AppNapGuard {
  private id: number | null = null;

  constructor(
    private readonly blocker: Pick<PowerSaveBlocker, 'start' | 'stop'>,
    private readonly platform: NodeJS.Platform,
  ) {}

  /** Holds the assertion exactly while some service has a process. */
  update(s: Snapshot): void {
    const want = this.platform === 'darwin' && servicesRunning(s);
    if (want && this.id === null) this.id = this.blocker.start('prevent-app-suspension');
    else if (!want) this.dispose();
  }

  get holding(): boolean {
    return this.id !== null;
  }

  dispose(): void {
    if (this.id !== null) this.blocker.stop(this.id);
    this.id = null;
  }
}
