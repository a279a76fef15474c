// Waits that last as long as something moves. The demo gives up on a process only
// after a stretch in which nothing it can see has changed (positions, counts,
// events fetched), never after a fixed time: on a busy machine a slow process is
// still a working one.

export class StallWatch {
  private last: string | undefined;
  private since: number;

  constructor(
    /** How long nothing may change before the wait is given up. */
    readonly patienceMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  /** Records what can be seen now (anything JSON can write); answers whether it changed since last time. */
  see(signature: unknown): boolean {
    const s = JSON.stringify(signature);
    if (s === this.last) return false;
    this.last = s;
    this.since = this.now();
    return true;
  }

  /** Milliseconds since anything changed. */
  get quietMs(): number {
    return this.now() - this.since;
  }

  get stalled(): boolean {
    return this.quietMs >= this.patienceMs;
  }
}
