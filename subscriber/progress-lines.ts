// What `subscribe` and `erp` print while feeds catch up, from the first second:
// before any page has arrived, that the first pages are being fetched; then, per
// feed still behind, how far it has read of what it has seen, and how fast.
import type { FeedLag } from './feed-lag.ts';

export interface FeedProgress {
  feed: string;
  lag: FeedLag;
  caughtUp: boolean;
}

/** One feed's line; `before` is its marker position `seconds` ago (rate), absent on the first line. */
export function progressLine(f: FeedProgress, before?: { position: number; seconds: number }): string {
  const { markerPosition: at, newestPosition: newest } = f.lag;
  if (newest === 0) return `${f.feed}: fetching the first pages`;
  const pct = Math.floor((100 * at) / Math.max(1, newest));
  const rate = before && before.seconds > 0 ? `, ${Math.round((at - before.position) / before.seconds).toLocaleString('en-US')} events/s` : '';
  return `${f.feed}: at event ${at.toLocaleString('en-US')} of ${newest.toLocaleString('en-US')} seen so far (${pct}%)${rate}`;
}

/**
 * Prints a line per feed that is behind every `everyMs`, and once when every feed has caught
 * up. Returns a function that stops it.
 */
export function startProgressLines(progress: (now: number) => FeedProgress[], out: (line: string) => void, everyMs = 5_000): () => void {
  const feeds = progress(Date.now());
  // None yet when the feeds are shared with other processes: they come as their jobs are taken.
  out(feeds.length === 0 ? 'no feed taken yet: waiting for a share of the feeds' : `reading ${feeds.length} feed${feeds.length === 1 ? '' : 's'}: fetching the first pages`);
  const last = new Map<string, { position: number; at: number }>();
  let done = false;
  const timer = setInterval(() => {
    const now = Date.now();
    const all = progress(now);
    const behind = all.filter((f) => !f.caughtUp);
    for (const f of behind) {
      const prev = last.get(f.feed);
      out(progressLine(f, prev && { position: prev.position, seconds: (now - prev.at) / 1000 }));
      last.set(f.feed, { position: f.lag.markerPosition, at: now });
    }
    if (behind.length === 0 && all.length > 0 && !done) out(`every feed caught up (${all.reduce((n, f) => n + f.lag.markerPosition, 0).toLocaleString('en-US')} events read)`);
    done = behind.length === 0;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
