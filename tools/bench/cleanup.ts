// Clean-up steps for the benchmarks: run newest first, once, each given at most
// stepTimeoutMs, whether the run ends normally, on an error or on Ctrl-C.

export class Cleanup {
  private steps: Array<[string, () => Promise<unknown>]> = [];
  private ran: Promise<void> | null = null;

  constructor(
    private readonly say: (line: string) => void,
    private readonly stepTimeoutMs = 15_000,
  ) {}

  add(name: string, fn: () => Promise<unknown>): void {
    this.steps.push([name, fn]);
  }

  run(): Promise<void> {
    return (this.ran ??= (async () => {
      for (const [name, fn] of this.steps.reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${this.stepTimeoutMs / 1000} s`)), this.stepTimeoutMs);
        });
        await Promise.race([fn(), timeout])
          .catch((err) => this.say(`clean-up: ${name} failed: ${(err as Error).message}`))
          .finally(() => clearTimeout(timer));
      }
    })());
  }
}
