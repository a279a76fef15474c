// Progress lines for long work: redrawn in place on a terminal, printed as plain
// periodic lines otherwise (CI logs, pipes).

export interface FeedProgress {
  name: string;
  done: number;
  total: number;
  /** Events per second over the last interval. */
  rate: number;
  /** Seconds since the oldest event not yet applied was published (0 when caught up); null when not known. */
  lagSeconds: number | null;
  /** Events the subscriber has fetched the feed pages of (applied or not), when known. */
  seen?: number;
  caughtUpOnce: boolean;
  parked: number;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function progressLine(p: FeedProgress): string {
  const behind = Math.max(0, p.total - p.done);
  const parked = p.parked ? `, ${p.parked} parked` : '';
  if (!p.caughtUpOnce) {
    const eta = p.rate > 0 ? formatDuration(behind / p.rate) : '--';
    const pct = p.total ? Math.floor((100 * p.done) / p.total) : 100;
    return `${p.name.padEnd(14)} catch-up ${bar(p.total ? p.done / p.total : 1)} ${p.done}/${p.total} (${pct}%) ${Math.round(p.rate)} ev/s, ${eta} left${parked}${startup(p)}`;
  }
  const lag = p.lagSeconds === null ? '' : `, ${p.lagSeconds.toFixed(1)} s lag`;
  return `${p.name.padEnd(14)} live     ${behind} events behind${lag}, ${p.done} applied, ${Math.round(p.rate)} ev/s${parked}`;
}

/**
 * What a catch-up is doing while nothing is applied yet, or how far it has read ahead: a
 * subscriber fetches pages, then the resources of a whole batch, before its first write.
 */
function startup(p: FeedProgress): string {
  const seen = p.seen ?? 0;
  if (p.done > 0) return seen > p.done ? `; ${seen} events fetched` : '';
  if (seen === 0) return '; fetching the first pages';
  return `; ${seen} events fetched, fetching their resources for the first batch`;
}

export class ProgressDisplay {
  private drawn = 0;
  private lastPlain = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly plainEveryMs = 5_000,
  ) {}

  get isTty(): boolean {
    return Boolean(this.stream.isTTY);
  }

  show(lines: string[], force = false): void {
    if (this.isTty) {
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
      this.stream.write(up + lines.map((l) => `\x1b[2K${l}\n`).join(''));
      this.drawn = lines.length;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = now;
    for (const l of lines) this.stream.write(`${new Date().toISOString().slice(11, 19)} ${l}\n`);
  }

  /** Prints a message above the progress lines without breaking them. */
  note(line: string): void {
    if (this.isTty && this.drawn > 0) {
      this.stream.write(`\x1b[${this.drawn}A\x1b[J`);
      this.drawn = 0;
    }
    this.stream.write(line + '\n');
  }
}
