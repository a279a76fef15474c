// One feed's reading loop: a pass over the feed, then the wait that pass asks for (the poll
// interval; none after a long poll the publisher held; a backoff after a failure), until the
// subscriber stops or, when feeds are shared, this process's hold on the feed ends. Its health
// (caught up, errors) is what the status page shows of the feed.
import type { Logger } from '../shared/logger.ts';
import { backoffMs } from './backoff.ts';
import type { Hold } from './feed-jobs.ts';
import { BATCH_FETCH_FAILURES_MAX } from './feed-reader.ts';
import type { FeedReader } from './feed-reader.ts';
import type { MarkerStore } from './marker-store.ts';
import type { FeedHealth } from './status.ts';
import { nextPassInMs } from './subscriber-options.ts';

export interface FeedLoopOptions {
  pollMs: number;
  /** Seconds a caught-up feed asks the publisher to hold its poll (0: plain polling). */
  longPollS: number;
  maxFeedBackoffMs: number;
}

/**
 * Passes a failing feed gets in `catchUp` before it is given up for this run: one more than the
 * failed batches after which the careful path takes a batch (so a resource the publisher cannot
 * serve is parked, not the feed given up).
 */
const CATCH_UP_ATTEMPTS = BATCH_FETCH_FAILURES_MAX + 1;

export class FeedLoop {
  readonly health: FeedHealth;

  constructor(
    readonly reader: FeedReader,
    private readonly o: FeedLoopOptions,
    private readonly markers: MarkerStore,
    private readonly naps: Naps,
    private readonly log: Logger,
  ) {
    this.health = { feed: reader.source.key, caughtUp: false, consecutiveErrors: 0, errorsTotal: 0, lastError: null };
  }

  /** Reads the feed until `stopped()` or the hold's signal; a failing pass backs off, never ends the loop. */
  async run(stopped: () => boolean, hold?: Hold): Promise<void> {
    const over = () => stopped() || hold?.signal.aborted === true;
    while (!over()) {
      let waitMs = this.o.pollMs;
      try {
        const r = await this.reader.pass(over, { waitS: this.o.longPollS });
        this.passed(r.caughtUp);
        waitMs = nextPassInMs(r, this.reader.source, this.o.pollMs, this.o.longPollS);
      } catch (err) {
        if (stopped()) break; // a held poll aborted by stop(): not a feed error
        await this.failed(err as Error);
        waitMs = this.o.pollMs + backoffMs(this.health.consecutiveErrors, this.o.pollMs, this.o.maxFeedBackoffMs);
        this.log.warn('reading the feed failed; backing off', { feed: this.health.feed, waitMs, error: this.health.lastError });
      }
      if (waitMs > 0) await this.naps.sleep(waitMs, hold?.signal);
    }
  }

  /**
   * Passes until the feed is caught up (`atomsync subscribe --once`). A feed that fails
   * CATCH_UP_ATTEMPTS times in a row is given up: returns why, which is also in its marker.
   */
  async catchUp(): Promise<string | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await this.reader.pass()).caughtUp) {
          this.passed(true);
          return null;
        }
      } catch (err) {
        if (attempt >= CATCH_UP_ATTEMPTS) {
          this.log.error('feed could not be read', { feed: this.health.feed, error: err as Error });
          await this.failed(err as Error);
          return `${this.health.feed}: ${(err as Error).message}`;
        }
        await new Promise((res) => setTimeout(res, 200 * attempt));
      }
    }
  }

  private passed(caughtUp: boolean): void {
    this.health.caughtUp = caughtUp;
    this.health.consecutiveErrors = 0;
    this.health.lastError = null;
  }

  /** Counts the failure and records it in the marker, so the status page and a later run show it. */
  private async failed(err: Error): Promise<void> {
    this.health.consecutiveErrors++;
    this.health.errorsTotal++;
    this.health.lastError = `${err.name}: ${err.message}`;
    await this.markers.recordPoll(this.health.feed, this.health.lastError).catch(() => undefined);
  }
}

/** Sleeps that `wakeAll` ends early (stop() wakes every loop at once). */
export class Naps {
  private readonly wakers = new Set<() => void>();

  /** Sleeps ms, or until wakeAll() or the signal. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.wakers.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.wakers.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  wakeAll(): void {
    for (const w of [...this.wakers]) w();
  }
}
