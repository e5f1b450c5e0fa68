// Commands on one service run one at a time, in the order they were issued,
// so a start and a stop sent together cannot interleave (F16).
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const next = this.tail.then(task, task);
    this.tail = next.then(
      () => this.pending--,
      () => this.pending--,
    );
    return next;
  }

  /** Commands queued or running. */
  get size(): number {
    return this.pending;
  }
}
