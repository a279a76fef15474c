// A pause between polls that stop() can cut short, for the long-running loops
// (the relay, the snapshot worker): stopping never waits out a poll interval.
export class Pause {
  private wake: (() => void) | null = null;

  /** Resolves after `ms`, or at once when interrupt() is called meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Ends the current sleep, if any. */
  interrupt(): void {
    this.wake?.();
  }
}
