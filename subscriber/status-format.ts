// How the status pages write numbers, durations and feed URLs, the same in every section.
import type { FeedReport } from './status.ts';

/** 48210 -> 48,210 (the same on every machine, whatever its locale). */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

export function duration(seconds: number): string {
  if (seconds < 1) return 'under 1 s';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** `http://127.0.0.1:8081/openmrs/ws/atomfeed/all/recent` -> `127.0.0.1:8081 · all`. */
export function shortFeed(url: string): string {
  try {
    const u = new URL(url);
    const category = u.pathname.split('/').slice(-2, -1)[0];
    return `${u.host} · ${category ?? u.pathname}`;
  } catch {
    return url;
  }
}

/** What the page says of a feed this process has not read yet: never, or not since it started. */
export function unreadLabel(f: Pick<FeedReport, 'lastSuccessAt'>): string {
  return f.lastSuccessAt ? 'not read since the start' : 'never read';
}

/** The lag in words: unknown before the feed is read, then how far behind, or caught up. */
export function lagText(f: Pick<FeedReport, 'lastSuccessAt' | 'readSinceStart' | 'lag'>): string {
  if (!f.readSinceStart) return unreadLabel(f);
  return f.lag.events > 0 ? `${duration(f.lag.seconds)} behind` : 'caught up';
}
