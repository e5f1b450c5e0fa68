// Why the app wants CPU and memory figures: its window is visible, its tray
// menu is open, or the pointer rests on the tray icon (macOS, where the
// tooltip shows). Each reason holds at most one watch on the owner; the owner
// samples only while some view holds one (engine/resources.ts).
export type WatchReason = 'window' | 'tray-menu' | 'tray-hover';

export class ResourceWatches {
  readonly #held = new Map<WatchReason, () => void>();

  constructor(private readonly watch: () => () => void) {}

  set(reason: WatchReason, on: boolean): void {
    const release = this.#held.get(reason);
    if (on && !release) this.#held.set(reason, this.watch());
    else if (!on && release) {
      this.#held.delete(reason);
      release();
    }
  }

  get reasons(): WatchReason[] {
    return [...this.#held.keys()];
  }

  dispose(): void {
    for (const release of this.#held.values()) release();
    this.#held.clear();
  }
}
