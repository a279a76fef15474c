// Reads one feed: from the marker (or page 1 on a first run) forward through
// next-archive links to the working page, then polls `recent` with
// If-None-Match. Entries of a page are processed concurrently; the marker moves
// once per page, after every entry on it is applied or recorded.
import { FeedParseError, parseFeedPage } from '../shared/atom/parse.ts';
import type { ParseFeedOptions } from '../shared/atom/parse.ts';
import { ATOM_MEDIA_TYPE, MAX_FEED_BYTES, Rel } from '../shared/constants.ts';
import type { ParsedEntry, ParsedPage } from '../shared/feed-types.ts';
import type { Logger } from '../shared/logger.ts';
import { BatchApplier } from './batch-applier.ts';
import { HttpStatusError } from './errors.ts';
import type { EventProcessor, PreparedPage } from './event-processor.ts';
import type { FeedSource } from './feed-source.ts';
import type { HttpClient } from './http-client.ts';
import type { Marker, MarkerAdvance, MarkerPoint, MarkerStore } from './marker-store.ts';

export interface FeedReaderOptions {
  /** Entries applied together as one batch (a page larger than this is sliced). */
  entryBatch: number;
  /** Pages read in one pass before yielding (keeps one busy feed from starving shutdown). */
  maxPagesPerPass?: number;
  /** Header identifying this subscriber to the publisher. */
  headers?: Record<string, string>;
  /** Parses a feed document (the subscriber's runs on a worker thread); parseFeedPage on this thread by default. */
  parse?: (xml: string, opts: ParseFeedOptions) => Promise<ParsedPage>;
}

/** Widest entry id and page URL a marker (and an inbox row) can hold: atomsync_marker's column sizes. */
export const MAX_ENTRY_ID_CHARS = 255;
export const MAX_PAGE_URL_CHARS = 512;

/** A next-archive link leads back to a page already read in this pass. */
export class FeedLoopError extends Error {
  override name = 'FeedLoopError';
  constructor(
    readonly feed: string,
    /** The page the link leads back to. */
    readonly url: string,
  ) {
    super(`feed ${feed}: next-archive leads back to ${url}`);
  }
}

export interface PassResult {
  /** Reached the working page and consumed all of it. */
  caughtUp: boolean;
  entries: number;
  pages: number;
}

/** How far behind the feed this reader is, as far as the pages it has fetched tell. */
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

export class FeedReader {
  /** ETag of the last `recent` document fully consumed. */
  private recentEtag: string | undefined;
  private markerPosition = 0;
  private newest: { position: number; at: string | null } = { position: 0, at: null };
  /** position -> updated of entries fetched but not consumed yet (a few pages at most). */
  private unconsumed = new Map<number, string>();
  /** The marker as this reader last read or wrote it: the only place it may move it from. */
  private stored: MarkerPoint | null = null;
  /** Set when another process moved the marker under this pass: the pass stops and the next starts from there. */
  private markerTaken = false;
  private warnedTaken = false;

  constructor(
    readonly source: FeedSource,
    private readonly http: HttpClient,
    private readonly markers: MarkerStore,
    private readonly processor: EventProcessor,
    private readonly log: Logger,
    private readonly o: FeedReaderOptions,
  ) {}

  /** One pass: read everything new. Throws on feed-level trouble (the caller backs off). */
  async pass(shouldStop: () => boolean = () => false): Promise<PassResult> {
    const result: PassResult = { caughtUp: false, entries: 0, pages: 0 };
    const marker = await this.markers.get(this.source.key);
    this.stored = marker ? { lastEntryId: marker.lastEntryId, lastPosition: marker.lastPosition } : null;
    this.markerTaken = false;
    this.consumedUpTo(marker?.lastPosition ?? 0);
    let url: string;
    // Where the marker reads on from: the page after a full one, or the page of its last entry.
    const from = marker?.nextPageUrl ?? marker?.lastPageUrl;
    if (from) {
      // Ask `recent` (with the ETag of the last one read to its end) whether that page is the working
      // page and whether anything changed, before reading further. A marker at the end of a full page
      // (a feed whose events fill their last page exactly) polls the same way: by ETag, not by
      // reading the next page again on every poll.
      const recent = await this.fetch(this.source.recentUrl, this.recentEtag);
      if (recent === 'not-modified') {
        await this.markers.recordPoll(this.source.key, null);
        return { ...result, caughtUp: true };
      }
      if (recent.links[Rel.via] && this.source.resolve(recent.links[Rel.via]) === from) {
        result.pages++;
        result.entries += await this.consume([{ page: recent, url: this.source.recentUrl }], marker);
        if (this.markerTaken) return result;
        this.recentEtag = recent.etag;
        return { ...result, caughtUp: true };
      }
      url = from; // not the working page (any more): read it to its end, then follow next-archive
    } else url = this.source.firstPageUrl;

    // Archive pages are gathered until there are entryBatch entries to apply together. Three
    // stages overlap: pages are fetched ahead (following next-archive, about two batches' worth),
    // the next batch's resources are fetched, and the current batch is written. Writes and
    // marker moves stay strictly in order, one batch at a time.
    const pages = new PagesAhead(url, (u) => this.fetchArchive(u), (link) => this.source.resolve(link), this.source.key, 2 * this.o.entryBatch);
    let committing: Promise<void> = Promise.resolve();
    let pending: ReadonlySet<string> = new Set();
    let cursor = marker;
    try {
      for (;;) {
        const group: Array<{ page: ParsedPage; url: string }> = [];
        let gathered = 0;
        let next: string | undefined;
        const t0 = performance.now();
        for (;;) {
          const item = await pages.take();
          group.push(item);
          gathered += item.page.entries.length;
          next = item.next;
          if (!next || gathered >= this.o.entryBatch || shouldStop()) break;
        }
        result.pages += group.length;
        const plan = this.plan(group, cursor);
        cursor = plan.after;
        result.entries += plan.fresh.length;
        const t1 = performance.now();
        const prepared = await this.prepare(plan.fresh, pending);
        const t2 = performance.now();
        await committing;
        const t3 = performance.now();
        if (this.markerTaken) return result; // what was just prepared is read again from the marker as it now stands
        pending = BatchApplier.writes(prepared.batch);
        committing = (async () => {
          // The marker moves in the batch's own transaction when the whole batch is applied
          // there (no crash can leave it behind what it covers); otherwise after the batch.
          const move = this.markerMove(plan);
          let moved: boolean | undefined;
          await this.processor.commitPage(prepared, move ? async (conn) => void (moved = await this.markers.advance(this.source.key, move, this.stored, conn)) : undefined);
          if (prepared.batch.finishedAlongside && moved !== undefined) this.afterMove(plan, moved);
          else await this.advance(plan);
          this.log.debug('batch stages', {
            feed: this.source.key, entries: plan.fresh.length, pagesMs: Math.round(t1 - t0), prepareMs: Math.round(t2 - t1),
            waitMs: Math.round(t3 - t2), commitMs: Math.round(performance.now() - t3),
          });
        })();
        committing.catch(() => undefined); // awaited below, or on the next round
        if (!next) {
          await committing;
          return { ...result, caughtUp: !this.markerTaken };
        }
        if (shouldStop() || (this.o.maxPagesPerPass && result.pages >= this.o.maxPagesPerPass)) {
          await committing;
          return result;
        }
      }
    } catch (err) {
      await committing.catch(() => undefined); // nothing of this pass may still be running when it returns
      throw err;
    } finally {
      pages.close(); // pages fetched ahead and not taken are read again by the next pass
    }
  }

  /** Which entries of these pages are new, and where the marker will stand after them. */
  private plan(group: Array<{ page: ParsedPage; url: string }>, marker: Marker | null) {
    const fresh: ParsedEntry[] = [];
    let lastPageUrl = '';
    let lastEntry: ParsedEntry | undefined;
    let next: string | null = null;
    for (const { page, url } of group) {
      lastPageUrl = page.links[Rel.via] ? this.source.resolve(page.links[Rel.via]) : url;
      fresh.push(...this.entriesAfter(page, marker, lastPageUrl));
      lastEntry = page.entries[page.entries.length - 1] ?? lastEntry;
      next = page.links[Rel.nextArchive] ? this.source.resolve(page.links[Rel.nextArchive]) : null;
    }
    const after: Marker | null = lastEntry
      ? {
          feedUrl: this.source.key,
          lastEntryId: lastEntry.id,
          lastPageUrl,
          lastPosition: lastEntry.position ?? marker?.lastPosition ?? 0,
          lastSeq: lastEntry.seq ?? null,
          nextPageUrl: next,
          eventsSeen: (marker?.eventsSeen ?? 0) + fresh.length,
        }
      : marker;
    return { fresh, lastEntry, lastPageUrl, next, after, marker };
  }

  private async process(fresh: ParsedEntry[]): Promise<void> {
    for (let i = 0; i < fresh.length; i += this.o.entryBatch) {
      await this.processor.commitPage(await this.prepare(fresh.slice(i, i + this.o.entryBatch)));
    }
  }

  /**
   * Prepares a batch (fetches its resources). When that failed as a whole, checks first that
   * the publisher answers at all. Found by test/faults-http.test.ts:
   * - if it went away mid-batch, every event of the batch would go down the one-by-one path,
   *   each waiting out its own timeouts and quick retries in turn (200 events x 3 tries x
   *   --timeout-ms: some 20 minutes at 2 s, two hours at the default 15 s), with no error on
   *   the marker or the status page all that time, and all end up parked. Thrown instead: the
   *   marker stays, the feed backs off and records why, and the page is read again later;
   * - if it answers again (the failure was a passing one), the batch is prepared once more
   *   rather than applied one by one, which took 20 s for 100 events after 5 s of 429s.
   * Preparing twice is harmless: all it writes are inbox upserts (joins, invalid entries), the same again.
   */
  private async prepare(entries: ParsedEntry[], pending?: ReadonlySet<string>): Promise<PreparedPage> {
    const prepared = await this.processor.preparePage(entries, this.source, pending);
    if (!prepared.batch.failed) return prepared;
    await this.request(this.source.recentUrl, this.recentEtag); // throws when the publisher does not answer
    return this.processor.preparePage(entries, this.source, pending);
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

  /** Notes the entries of a fetched page: the feed's newest position, and what waits to be consumed. */
  private observe(page: ParsedPage): void {
    for (const e of page.entries) {
      if (e.position === undefined) continue;
      if (e.position > this.markerPosition) this.unconsumed.set(e.position, e.updated);
      if (e.position >= this.newest.position) this.newest = { position: e.position, at: e.updated };
    }
  }

  private consumedUpTo(position: number): void {
    this.markerPosition = position;
    for (const p of this.unconsumed.keys()) if (p <= position) this.unconsumed.delete(p);
  }

  /** Where the marker goes after a plan's entries, or null when it stays (nothing new, same pages). */
  private markerMove(plan: ReturnType<FeedReader['plan']>): MarkerAdvance | null {
    const { lastEntry, lastPageUrl, next, marker, fresh } = plan;
    if (!lastEntry || (fresh.length === 0 && next === marker?.nextPageUrl && lastPageUrl === marker?.lastPageUrl)) return null;
    return {
      lastEntryId: lastEntry.id,
      lastPageUrl,
      lastPosition: lastEntry.position ?? null,
      lastSeq: lastEntry.seq ?? null,
      nextPageUrl: next,
      consumed: fresh.length,
      newestChangedAt: lastEntry.updated ?? null,
    };
  }

  /** Moves the marker past a plan's entries on its own (when the batch did not move it in its transaction). */
  private async advance(plan: ReturnType<FeedReader['plan']>): Promise<void> {
    const move = this.markerMove(plan);
    if (move) this.afterMove(plan, await this.markers.advance(this.source.key, move, this.stored));
    else {
      await this.markers.recordPoll(this.source.key, null);
      if (plan.after) this.consumedUpTo(plan.after.lastPosition);
    }
  }

  /** Takes note of a marker move: done (`moved`), or refused because another process moved it first. */
  private afterMove(plan: ReturnType<FeedReader['plan']>, moved: boolean): void {
    if (!moved) {
      // Another process moved the marker since this pass read it: writing ours would move it back
      // over that progress. What this batch applied is kept (applies are idempotent); the next
      // pass starts from the marker as it stands.
      this.markerTaken = true;
      this.log[this.warnedTaken ? 'debug' : 'warn']('the marker was moved by another process (a second subscriber on this database?); reading on from it', {
        feed: this.source.key,
      });
      this.warnedTaken = true;
      return;
    }
    const last = plan.lastEntry!;
    this.stored = { lastEntryId: last.id, lastPosition: last.position ?? 0 };
    if (plan.after) this.consumedUpTo(plan.after.lastPosition);
  }

  /** Applies the entries after the marker on consecutive pages, then moves the marker past them. */
  private async consume(group: Array<{ page: ParsedPage; url: string }>, marker: Marker | null): Promise<number> {
    const plan = this.plan(group, marker);
    await this.process(plan.fresh);
    await this.advance(plan);
    return plan.fresh.length;
  }

  /** Entries after the marker's. If the marker's entry is gone from its page, position decides. */
  private entriesAfter(page: ParsedPage, marker: Marker | null, pageUrl: string): ParsedEntry[] {
    if (!marker?.lastEntryId) return page.entries;
    const i = page.entries.findIndex((e) => e.id === marker.lastEntryId);
    if (i >= 0) return page.entries.slice(i + 1);
    const positioned = page.entries.every((e) => e.position !== undefined);
    if (pageUrl === marker.lastPageUrl) {
      this.log.warn('the marker entry is gone from its page; resuming by position', {
        feed: this.source.key, entry: marker.lastEntryId, position: marker.lastPosition, page: pageUrl,
      });
    }
    if (positioned && marker.lastPosition > 0) return page.entries.filter((e) => (e.position ?? 0) > marker.lastPosition);
    return page.entries; // a feed without positions: re-reading is safe, applies are idempotent
  }

  /**
   * Refuses, before anything on it is applied, a page whose ids or links the marker could
   * not hold (the write would fail after the entries were applied, every pass), or whose
   * links lead to another origin.
   */
  private checkStorable(page: ParsedPage, url: string): void {
    for (const rel of [Rel.via, Rel.nextArchive]) {
      const link = page.links[rel];
      if (link !== undefined && this.source.resolve(link).length > MAX_PAGE_URL_CHARS) {
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
    if (doc === 'not-modified') throw new HttpStatusError(`feed ${this.source.key}: ${url} answered 304 to a request without If-None-Match`, url, 304);
    const page = this.parsePage(doc.body, url);
    page.catch(() => undefined); // thrown by PagesAhead.take() for this page, or dropped after close()
    return { page, nextGuess: guessNextArchive(doc.body, (link) => this.source.resolve(link)) };
  }

  /** GET of a feed document of this feed (credentials, size cap, If-None-Match when an ETag is given). */
  private request(url: string, etag: string | undefined) {
    return this.http.get(url, {
      authorization: this.source.authorization,
      accept: `${ATOM_MEDIA_TYPE}, application/xml;q=0.9`,
      etag,
      maxBytes: MAX_FEED_BYTES,
      headers: this.o.headers,
    });
  }

  private async fetch(url: string, etag: string | undefined): Promise<(ParsedPage & { etag?: string }) | 'not-modified'> {
    const doc = await this.download(url, etag);
    if (doc === 'not-modified') return doc;
    return { ...(await this.parsePage(doc.body, url)), etag: doc.etag };
  }

  private async download(url: string, etag: string | undefined): Promise<{ body: string; etag?: string } | 'not-modified'> {
    const res = await this.request(url, etag);
    if (res.notModified) return 'not-modified';
    if (!/xml/i.test(res.contentType)) {
      throw new Error(`feed ${this.source.key}: ${url} answered ${res.contentType || 'no content type'}, not Atom XML`);
    }
    return { body: res.body, etag: res.etag };
  }

  private async parsePage(body: string, url: string): Promise<ParsedPage> {
    const page = this.o.parse ? await this.o.parse(body, { url }) : parseFeedPage(body, { url });
    this.checkStorable(page, url);
    this.observe(page);
    return page;
  }
}

/** A feed document downloaded: its parse (a promise), and its next-archive link as guessed from the text. */
export interface FetchedPage {
  page: Promise<ParsedPage>;
  nextGuess: string | undefined;
}

const LINK_TAG = /<(?:[A-Za-z_][\w.-]*:)?link\b[^>]*>/g;
const ATTR = (name: string) => new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
const REL_ATTR = ATTR('rel');
const HREF_ATTR = ATTR('href');

/**
 * The next-archive link of a feed document, read from its text without parsing it, or undefined
 * when there is not exactly one that reads plainly. Only a guess, to start the next download
 * early: the parsed page decides (PagesAhead), and a wrong guess costs one wasted request.
 */
export function guessNextArchive(xml: string, resolve: (link: string) => string): string | undefined {
  // Atom puts links before the entries: the feed's own are in its head, before the first <entry.
  const firstEntry = xml.search(/<(?:[A-Za-z_][\w.-]*:)?entry\b/);
  const head = firstEntry > 0 ? xml.slice(0, firstEntry) : xml;
  let found: string | undefined;
  for (const tag of head.match(LINK_TAG) ?? []) {
    const rel = REL_ATTR.exec(tag);
    if ((rel?.[1] ?? rel?.[2]) !== Rel.nextArchive) continue;
    const href = HREF_ATTR.exec(tag);
    const raw = href?.[1] ?? href?.[2];
    if (raw === undefined || found !== undefined || /&(?!amp;)/.test(raw)) return undefined;
    try {
      found = resolve(raw.replaceAll('&amp;', '&'));
    } catch {
      return undefined;
    }
  }
  return found;
}

interface AheadItem {
  page: ParsedPage;
  url: string;
  /** The next-archive link, resolved; undefined on the last page. */
  next: string | undefined;
}

interface Downloaded extends FetchedPage {
  url: string;
}

/**
 * Pages of a feed fetched in order ahead of the reader, following next-archive links, enough
 * to hold about `entriesAhead` entries beyond the page taken. Each page is asked for as soon as
 * the one before it has arrived, with the next-archive link guessed from its text; the parse
 * then confirms the guess (a wrong one drops what was fetched on it and goes on from the parsed
 * link). A failure, or a link that leads back to a page already read (FeedLoopError), is thrown
 * by take() for that page, after every page before it.
 */
export class PagesAhead {
  private queue: Array<Promise<Downloaded | null>> = [];
  private last: Promise<Downloaded | null> | null = null;
  private visited = new Set<string>();
  private readonly taken = new Set<string>();
  private closed = false;
  /** Entries on the last page taken: how many pages `entriesAhead` is. */
  private perPage = 0;

  constructor(
    private readonly first: string,
    private readonly fetchPage: (url: string) => Promise<FetchedPage>,
    private readonly resolve: (link: string) => string,
    private readonly feed: string,
    private readonly entriesAhead: number,
  ) {}

  /** The next page. Call only while the page before had a next-archive link. */
  async take(): Promise<AheadItem> {
    const want = 1 + Math.min(16, Math.max(1, Math.ceil(this.entriesAhead / Math.max(1, this.perPage))));
    while (this.queue.length < want) this.scheduleOne();
    const doc = await this.queue.shift()!;
    if (!doc) throw new Error(`feed ${this.feed}: no page after the last one`);
    const page = await doc.page;
    this.taken.add(doc.url);
    const link = page.links[Rel.nextArchive];
    const next = link ? this.resolve(link) : undefined;
    if (next !== doc.nextGuess) {
      // The guess was wrong: what was asked for on it is not this page's next. Start again from the parsed link.
      this.queue = [];
      this.visited = new Set(this.taken);
      const from: Downloaded = { url: doc.url, page: Promise.resolve(page), nextGuess: next };
      this.last = Promise.resolve(from);
    }
    this.perPage = page.entries.length;
    return { page, url: doc.url, next };
  }

  /** Fetches nothing more; fetches under way finish and are dropped. */
  close(): void {
    this.closed = true;
  }

  private scheduleOne(): void {
    const url = this.last ? this.last.then((prev) => prev?.nextGuess) : Promise.resolve(this.first);
    const p = url.then(async (u): Promise<Downloaded | null> => {
      if (u === undefined || this.closed) return null;
      if (this.visited.has(u)) throw new FeedLoopError(this.feed, u);
      this.visited.add(u);
      return { url: u, ...(await this.fetchPage(u)) };
    });
    p.catch(() => undefined); // thrown by take() for this page, or dropped after close()
    this.last = p;
    this.queue.push(p);
  }
}
