// A typed event, after VS Code's Emitter<T>: listeners get a payload the
// compiler checks, and subscribing returns the function that unsubscribes.
export class Emitter<T> {
  private readonly listeners = new Set<(e: T) => void>();

  /** Subscribes; returns the unsubscribe function. */
  on(listener: (e: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
