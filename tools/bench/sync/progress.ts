// Progress output: on a terminal, one line redrawn in place; otherwise (CI, a
// pipe, a file) a plain line at most every `plainEveryMs`, so logs stay short.

export class Progress {
  private lastPlain = 0;
  private lastDrawn = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly plainEveryMs = 5000,
  ) {}

  get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** Shows the current state; `force` prints it even between plain intervals. */
  update(line: string, force = false): void {
    const now = Date.now();
    if (this.tty) {
      if (!force && now - this.lastDrawn < 100) return;
      this.lastDrawn = now;
      const width = Math.max(20, (this.out.columns || 120) - 1);
      this.out.write(`\r\x1b[2K${line.slice(0, width)}`);
      this.drawn = true;
      return;
    }
    if (!force && now - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = now;
    this.out.write(`  ${line}\n`);
  }

  /** A line that stays (ends the in-place line first). */
  note(line: string): void {
    this.end();
    this.out.write(`${line}\n`);
  }

  /** Leaves the in-place line as it is and moves below it. */
  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
