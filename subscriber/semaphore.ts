// A counting semaphore: bounds how many of something (resource GETs) run at once.

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`concurrency must be a whole number of at least 1 (got ${max})`);
  }

  /**
   * Waits for a place (in the order callers came) and returns the function that gives it back,
   * for a hold that spans more than one call; giving it back twice gives it back once.
   */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /** Runs fn once fewer than `max` others run; callers beyond that wait in the order they came. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
