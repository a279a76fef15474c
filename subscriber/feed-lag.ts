// How far behind a feed its reader is, as far as the pages fetched tell: the
// source notes every page it parses (those fetched ahead included), the reader
// notes where its marker moved.
import type { ParsedEntry } from '../shared/feed-types.ts';

export interface FeedLag {
  /** Position of the last entry consumed (the marker's). */
  markerPosition: number;
  /** Newest position seen on the feed: the last entry of the last page fetched. */
  newestPosition: number;
  /** When that newest entry changed at its node (ISO 8601), or null before any page. */
  newestAt: string | null;
  /** Entries seen but not yet consumed: newestPosition - markerPosition. */
  events: number;
  /** Age of the oldest entry seen but not consumed; 0 when caught up. */
  seconds: number;
}

export class LagTracker {
  private markerPosition = 0;
  private newest: { position: number; at: string | null } = { position: 0, at: null };
  /** position -> updated of entries fetched but not consumed yet (a few pages at most). */
  private unconsumed = new Map<number, string>();

  /** Notes the entries of a fetched page: the feed's newest position, and what waits to be consumed. */
  observe(entries: ParsedEntry[]): void {
    for (const e of entries) {
      if (e.position === undefined) continue;
      if (e.position > this.markerPosition) this.unconsumed.set(e.position, e.updated);
      if (e.position >= this.newest.position) this.newest = { position: e.position, at: e.updated };
    }
  }

  consumedUpTo(position: number): void {
    this.markerPosition = position;
    for (const p of this.unconsumed.keys()) if (p <= position) this.unconsumed.delete(p);
  }

  /**
   * Lag at `now` (ms since the epoch). Positions only: a feed without sync:position shows
   * no lag, and during a first catch-up the newest position is that of the furthest page
   * fetched so far, so the figure grows as the reader learns how long the feed is.
   */
  lag(now: number): FeedLag {
    const events = Math.max(0, this.newest.position - this.markerPosition);
    let oldest: string | undefined;
    for (const [position, updated] of this.unconsumed) {
      if (position > this.markerPosition && (oldest === undefined || updated < oldest)) oldest = updated;
    }
    const oldestMs = oldest ? Date.parse(oldest) : NaN;
    const seconds = events > 0 && Number.isFinite(oldestMs) ? Math.max(0, (now - oldestMs) / 1000) : 0;
    return { markerPosition: this.markerPosition, newestPosition: this.newest.position, newestAt: this.newest.at, events, seconds };
  }
}
