// The Atom feed over HTTP as an entry source. A marker on what may still be the
// working page asks `recent` first, with the ETag of the last one read to its
// end: unchanged, there is nothing to read; the same page, it is read from
// there. Otherwise pages are read from the marker's page (or page 1) on
// through next-archive links, fetched ahead of the reader (PagesAhead).
import { FeedParseError, parseFeedPage } from './atom/parse.ts';
import type { ParseFeedOptions } from './atom/parse.ts';
import { ATOM_MEDIA_TYPE, MAX_FEED_BYTES, Rel } from '../shared/protocol.ts';
import type { ParsedPage } from '../shared/feed-types.ts';
import type { EntrySource, PagesOptions, SourcePage } from './entry-source.ts';
import { HttpStatusError } from './errors.ts';
import type { FeedAddress } from './feed-address.ts';
import type { HttpClient } from './http-client.ts';
import type { Marker } from './marker-store.ts';
import { PagesAhead, guessNextArchive } from './pages-ahead.ts';
import type { FetchedPage } from './pages-ahead.ts';

/** Widest entry id and page URL a marker (and an inbox row) can hold: atomsync_marker's column sizes. */
export const MAX_ENTRY_ID_CHARS = 255;
export const MAX_PAGE_URL_CHARS = 512;

export interface HttpFeedSourceOptions {
  /** Entries to fetch ahead of the page the reader takes (about two batches). */
  entriesAhead: number;
  /** Headers identifying this subscriber to the publisher. */
  headers?: Record<string, string>;
  /** Parses a feed document (the subscriber's runs on a worker thread); parseFeedPage on this thread by default. */
  parse?: (xml: string, opts: ParseFeedOptions) => Promise<ParsedPage>;
  /** Told of every page parsed, those fetched ahead included (the lag tracker). */
  seen?: (page: ParsedPage) => void;
  /** Aborts a request held by long polling (the subscriber stopping). */
  signal?: AbortSignal;
}

export class HttpFeedSource implements EntrySource {
  /** ETag of the last `recent` document read to its end. */
  private recentEtag: string | undefined;
  waitedForNews = false;

  constructor(
    readonly address: FeedAddress,
    private readonly http: HttpClient,
    private readonly o: HttpFeedSourceOptions,
  ) {}

  /** A long poll needs the ETag of the working page as last read to its end. */
  get canWaitForNews(): boolean {
    return this.recentEtag !== undefined;
  }

  get key(): string {
    return this.address.key;
  }

  async *pages(marker: Marker | null, o: PagesOptions = {}): AsyncGenerator<SourcePage> {
    this.waitedForNews = false;
    // Where the marker reads on from: the page after a full one, or the page of its last entry.
    const from = marker?.nextPageUrl ?? marker?.lastPageUrl;
    if (from) {
      // Is that page the working page, and did anything change? A marker at the end of a full
      // page polls the same way: by ETag, not by reading the next page again on every poll.
      const recent = await this.fetch(this.address.recentUrl, this.recentEtag, o.waitS);
      if (recent === 'not-modified') return;
      if (recent.links[Rel.via] && this.address.resolve(recent.links[Rel.via]) === from) {
        yield this.toSourcePage(recent, this.address.recentUrl);
        this.recentEtag = recent.etag; // asked on: the reader consumed it
        return;
      }
    }
    // Not the working page (any more): read it to its end, then follow next-archive.
    const ahead = new PagesAhead(from ?? this.address.firstPageUrl, (u) => this.fetchArchive(u), (link) => this.address.resolve(link), this.key, this.o.entriesAhead);
    try {
      for (;;) {
        const item = await ahead.take();
        yield this.toSourcePage(item.page, item.url);
        if (!item.next) return;
      }
    } finally {
      ahead.close(); // pages fetched ahead and not taken are read again next time
    }
  }

  async check(): Promise<void> {
    await this.request(this.address.recentUrl, this.recentEtag);
  }

  private toSourcePage(page: ParsedPage, url: string): SourcePage {
    const via = page.links[Rel.via];
    const next = page.links[Rel.nextArchive];
    return { url: via ? this.address.resolve(via) : url, entries: page.entries, next: next ? this.address.resolve(next) : null };
  }

  /**
   * Refuses, before anything on it is applied, a page whose ids or links the marker could
   * not hold (the write would fail after the entries were applied, every pass), or whose
   * links lead to another origin.
   */
  private checkStorable(page: ParsedPage, url: string): void {
    for (const rel of [Rel.via, Rel.nextArchive]) {
      const link = page.links[rel];
      if (link !== undefined && this.address.resolve(link).length > MAX_PAGE_URL_CHARS) {
        throw new FeedParseError(`the ${rel} link is longer than ${MAX_PAGE_URL_CHARS} characters`, { url });
      }
    }
    page.entries.forEach((e, i) => {
      if (e.id.length > MAX_ENTRY_ID_CHARS) {
        throw new FeedParseError(`entry ${i + 1} has an id longer than ${MAX_ENTRY_ID_CHARS} characters`, { url, entryIndex: i + 1 });
      }
    });
  }

  /**
   * An archive page downloaded, its parse under way (on the parsing thread), and a guess at its
   * next-archive link read from the raw text, so the next page can be asked for at once instead
   * of after the parse. PagesAhead checks every guess against the parsed page.
   */
  private async fetchArchive(url: string): Promise<FetchedPage> {
    const doc = await this.download(url, undefined);
    if (doc === 'not-modified') throw new HttpStatusError(`feed ${this.key}: ${url} answered 304 to a request without If-None-Match`, url, 304);
    const page = this.parsePage(doc.body, url);
    page.catch(() => undefined); // thrown by PagesAhead.take() for this page, or dropped after close()
    return { page, nextGuess: guessNextArchive(doc.body, (link) => this.address.resolve(link)) };
  }

  /** GET of a feed document of this feed (credentials, size cap, If-None-Match when an ETag is given). */
  private request(url: string, etag: string | undefined, waitS?: number) {
    return this.http.get(url, {
      authorization: this.address.authorization,
      accept: `${ATOM_MEDIA_TYPE}, application/xml;q=0.9`,
      etag,
      maxBytes: MAX_FEED_BYTES,
      headers: this.o.headers,
      ...(waitS ? { waitS, signal: this.o.signal } : {}),
    });
  }

  /** A feed document parsed; with an ETag and `waitS`, a long poll (the publisher may hold it until the feed changes). */
  private async fetch(url: string, etag: string | undefined, waitS?: number): Promise<(ParsedPage & { etag?: string }) | 'not-modified'> {
    const doc = await this.download(url, etag, waitS);
    if (doc === 'not-modified') return doc;
    return { ...(await this.parsePage(doc.body, url)), etag: doc.etag };
  }

  private async download(url: string, etag: string | undefined, waitS?: number): Promise<{ body: string; etag?: string } | 'not-modified'> {
    const res = await this.request(url, etag, waitS);
    if (waitS) this.waitedForNews = (res.heldS ?? 0) > 0;
    if (res.notModified) return 'not-modified';
    if (!/xml/i.test(res.contentType)) throw new Error(`feed ${this.key}: ${url} answered ${res.contentType || 'no content type'}, not Atom XML`);
    return { body: res.body, etag: res.etag };
  }

  private async parsePage(body: string, url: string): Promise<ParsedPage> {
    const page = this.o.parse ? await this.o.parse(body, { url }) : parseFeedPage(body, { url });
    this.checkStorable(page, url);
    this.o.seen?.(page);
    return page;
  }
}
