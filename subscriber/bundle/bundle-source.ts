// A bundle (or a run of consecutive bundles from one origin) as an entry source: the same
// reader, fetch and commit stages as the HTTP feed take its entries, and the resource fetcher
// serves its states from the file (ResourceFetcher.serveLocally). Its marker is keyed
// `bundle:<origin>` and counts positions in the origin's log, so an import killed half-way
// resumes after the last batch it committed, and a bundle imported twice finds nothing new.
import type { FeedEvent, ParsedEntry } from '../../shared/feed-types.ts';
import { restPath } from '../../shared/protocol.ts';
import type { EntrySource, SourcePage } from '../entry-source.ts';
import { FeedAddress } from '../feed-address.ts';
import type { Marker } from '../marker-store.ts';

/** Entries per page: a page is what the reader gathers into batches, nothing more. */
const PAGE_ENTRIES = 200;

export const BUNDLE_FEED_PREFIX = 'bundle:';
export const bundleFeedKey = (origin: string) => `${BUNDLE_FEED_PREFIX}${origin}`;

/** The address of a bundle source: never asked over the network; its key names the marker and the inbox rows. */
export function bundleAddress(origin: string): FeedAddress {
  return new FeedAddress('http://bundle.invalid/openmrs/ws/atomfeed/all/recent', { key: bundleFeedKey(origin) });
}

export function toEntry(e: FeedEvent): ParsedEntry {
  return {
    id: `tag:atomfeed.ict4h.org:${e.eventUuid}`,
    eventUuid: e.eventUuid,
    title: e.resource,
    updated: e.changedAt,
    published: e.publishedAt,
    categories: [e.resource, e.action],
    contentType: 'application/vnd.atomfeed+xml',
    contentPath: restPath(e.resource, e.uuid),
    resource: e.resource,
    action: e.action,
    seq: e.seq,
    position: e.seq,
    origin: e.origin,
  };
}

export class BundleSource implements EntrySource {
  readonly address: FeedAddress;
  readonly canWaitForNews = false;

  constructor(
    readonly origin: string,
    /** The events of the bundles being imported, in order of position. */
    private readonly events: FeedEvent[],
  ) {
    this.address = bundleAddress(origin);
  }

  get key(): string {
    return this.address.key;
  }

  async *pages(marker: Marker | null): AsyncGenerator<SourcePage> {
    const after = marker?.lastPosition ?? 0;
    const fresh = this.events.filter((e) => e.seq > after);
    for (let i = 0; i < fresh.length; i += PAGE_ENTRIES) {
      const chunk = fresh.slice(i, i + PAGE_ENTRIES);
      const last = i + PAGE_ENTRIES >= fresh.length;
      yield { url: `${this.key}#${chunk[0].seq}`, entries: chunk.map(toEntry), next: last ? null : `${this.key}#${fresh[i + PAGE_ENTRIES].seq}` };
    }
  }

  newestInHand(): ParsedEntry | null {
    return this.events.length ? toEntry(this.events[this.events.length - 1]) : null;
  }

  async check(): Promise<void> {
    // A file in hand always answers.
  }
}
