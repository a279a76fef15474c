// The first stage's seam: a source of feed entries, page by page. The HTTP
// Atom feed is one (http-feed-source.ts); a file bundle for sites without a
// network is another to come. The reader (feed-reader.ts) takes pages from a
// source, the fetch stage turns their entries into resources, the commit stage
// writes them and moves the marker.
import type { ParsedEntry } from '../shared/feed-types.ts';
import type { FeedAddress } from './feed-address.ts';
import type { Marker } from './marker-store.ts';

/** A page of entries, and where a marker after its last entry stands. */
export interface SourcePage {
  /** Where the page can be read again (the marker's lastPageUrl). */
  url: string;
  entries: ParsedEntry[];
  /** The page after this one; null on the last (working) page. */
  next: string | null;
}

export interface PagesOptions {
  /**
   * When nothing changed since the last page was read to its end, the source may wait up to this
   * many seconds for something new before saying so (long polling; SPEC.md).
   */
  waitS?: number;
}

export interface EntrySource {
  /** The feed's name: its marker's key. */
  readonly key: string;
  /** The feed the entries' resources are fetched from (and their links checked against). */
  readonly address: FeedAddress;
  /**
   * Pages from where `marker` stands, its own page first, on to the last page. None when
   * nothing changed since the last page was read to its end. A reader that has consumed the
   * last page asks for one more, and so tells the source it was consumed; a reader that stops
   * early ends the iteration (`return()`), which drops what was fetched ahead.
   */
  pages(marker: Marker | null, o?: PagesOptions): AsyncIterable<SourcePage>;
  /** Whether the last look for something new waited for it (long polling): then its caller need not wait before looking again. */
  readonly waitedForNews?: boolean;
  /** Whether the next look for something new can wait for it (the source holds what a long poll needs). */
  readonly canWaitForNews?: boolean;
  /** The last entry a source holds in hand (a bundle), so that progress can say "of how many" from the start. */
  newestInHand?(): ParsedEntry | null;
  /** Throws when the source does not answer at all (asked before a batch whose fetch failed as a whole is tried again). */
  check(): Promise<void>;
}
