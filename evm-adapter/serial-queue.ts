/** Runs async jobs one after another, in the order they were queued. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Jobs queued or running. */
  get length(): number {
    return this.queued;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.queued++;
    const done = () => {
      this.queued--;
    };
    const result = this.tail.then(job, job).finally(done);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
