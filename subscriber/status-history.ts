// The last hour of the status page, for its charts: one sample of each feed's lag and
// consumed count every 15 s, kept in memory in a ring per feed. Memory is bounded: a ring
// holds an hour's samples at most, and a feed that leaves the report leaves the history.
// Nothing is stored: after a restart the charts start again from nothing.
import type { Logger } from '../shared/logger.ts';
import type { FeedReport, StatusReport } from './status.ts';

export interface StatusHistoryOptions {
  /** Time between two samples, in ms. */
  sampleMs: number;
  /** How far back the history reaches, in ms. */
  windowMs: number;
}

export const STATUS_HISTORY_DEFAULTS: StatusHistoryOptions = { sampleMs: 15_000, windowMs: 3_600_000 };

/** One feed at one moment. */
export interface FeedSample {
  /** ms since the epoch */
  at: number;
  /** Entries behind; null while the feed has not been read since the start (the lag is not known). */
  lagEvents: number | null;
  /** Age of the oldest entry not consumed, in seconds; null as lagEvents. */
  lagSeconds: number | null;
  /** Entries consumed from this feed so far (its marker's count): its throughput is the slope. */
  consumed: number;
}

/** The whole subscriber at one moment. */
export interface NodeSample {
  at: number;
  /** Events applied since the process started. */
  applied: number;
}

/** The history as the page renders it, and as the status JSON carries it (`history`). */
export interface HistoryView {
  sampleMs: number;
  windowMs: number;
  node: NodeSample[];
  /** feed URL -> its samples, oldest first */
  feeds: Record<string, FeedSample[]>;
}

/** The status JSON: the report and its last hour. */
export type StatusJson = StatusReport & { history: HistoryView };

/** A fixed-size ring: pushing onto a full one drops the oldest. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`a ring holds at least one item (got ${capacity})`);
  }

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.items.length;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

/** What one feed's row of the report says for the charts, at `at`. */
export function feedSample(f: FeedReport, at: number): FeedSample {
  const known = f.readSinceStart;
  return { at, lagEvents: known ? f.lag.events : null, lagSeconds: known ? f.lag.seconds : null, consumed: f.marker?.eventsSeen ?? 0 };
}

export class StatusHistory {
  /** Samples per ring: the window's worth, and one more so the oldest sits at its left edge. */
  readonly capacity: number;
  private readonly feeds = new Map<string, Ring<FeedSample>>();
  private readonly node: Ring<NodeSample>;
  private lastAt = -Infinity;

  constructor(readonly o: StatusHistoryOptions = STATUS_HISTORY_DEFAULTS) {
    this.capacity = Math.ceil(o.windowMs / o.sampleMs) + 1;
    this.node = new Ring(this.capacity);
  }

  /** Adds the report as one sample, at its generatedAt. A report not newer than the last sample is ignored. */
  record(r: StatusReport): void {
    const at = Date.parse(r.generatedAt);
    if (!(at > this.lastAt)) return;
    this.lastAt = at;
    this.node.push({ at, applied: r.stats.applied });
    const present = new Set<string>();
    for (const f of r.feeds) {
      present.add(f.feed);
      let ring = this.feeds.get(f.feed);
      if (!ring) this.feeds.set(f.feed, (ring = new Ring(this.capacity)));
      ring.push(feedSample(f, at));
    }
    for (const feed of this.feeds.keys()) if (!present.has(feed)) this.feeds.delete(feed);
  }

  view(): HistoryView {
    return {
      sampleMs: this.o.sampleMs,
      windowMs: this.o.windowMs,
      node: this.node.toArray(),
      feeds: Object.fromEntries([...this.feeds].map(([feed, ring]) => [feed, ring.toArray()])),
    };
  }
}

/**
 * Takes a sample every sampleMs, from the same report the status page shows, until stop().
 * A sample still being taken when the next is due is not doubled; a failed one is skipped.
 */
export class StatusSampler {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly history: StatusHistory,
    private readonly status: () => Promise<StatusReport>,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.history.o.sampleMs);
    // The charts never keep the process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.history.record(await this.status());
    } catch (err) {
      this.log.warn('sampling the status for its charts failed; the next sample is in a moment', { error: (err as Error).message });
    } finally {
      this.busy = false;
    }
  }
}
