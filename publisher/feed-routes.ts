// GET {FEED_PATH}/{category}/recent and /{category}/{n}: the Atom feed, or the same page
// as HTML for a browser.
// Which positions page n holds comes from the feed's layout (paging.ts: (n-1)*size+1 .. n*size
// for a feed never re-paged). The working page is the one the next event goes to; every page
// below it is complete and immutable.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { ALL_CATEGORY, ATOM_MEDIA_TYPE, FEED_PATH, RECENT, RECENT_CACHE_CONTROL, SUBSCRIBER_HEADER } from '../shared/protocol.ts';
import { renderFeedPage } from './atom/render.ts';
import { isResourceName } from '../shared/resources.ts';
import { renderFeedHtml } from './admin-pages.ts';
import { FeedLayouts } from './feed-layouts.ts';
import { archivePage, cacheKeyOf, feedHead, loadModel, setFeedHeaders, workingEtag } from './feed-pages.ts';
import type { FeedPageSource } from './feed-pages.ts';
import { badRequest, notFound } from './http-errors.ts';
import type { PublisherCounters } from './metrics.ts';
import { originOf } from './host-rule.ts';
import { wantsHtml } from '../shared/web/negotiate.ts';
import { addBrotli, addGzip, needsGzip, notModified, prefersGzip, sendArchivePage } from './archive-page.ts';
import type { ArchivePage } from './archive-page.ts';
import { holdWhileUnchanged } from './long-poll.ts';
import type { NewEvents } from './new-events.ts';
import { PageCache } from './page-cache.ts';
import { forbidden, mayReadFeed, rightsIn } from './rights.ts';
import { pageRange } from './paging.ts';
import { RenderAhead } from './render-ahead.ts';
import type { Logger } from '../shared/logger.ts';
import type { SubscriberPositions } from './subscriber-positions.ts';

export interface FeedRouteOptions extends FeedPageSource {
  /** Events a page when no `layouts` are given. */
  pageSize: number;
  /** Each feed's page layout, as recorded in the database; uniform pages of `pageSize` when absent. */
  layouts?: FeedLayouts;
  /** Absolute origin for links; derived from the request when absent. */
  publicUrl?: string;
  cache?: PageCache;
  /** Where long-polled `recent` requests wait for new events (long-poll.ts); without it none is held. */
  newEvents?: NewEvents;
  /** Where subscribers' positions are noted, when they name themselves. */
  positions?: SubscriberPositions;
  counters?: PublisherCounters;
  log?: Logger;
}

/** A page number in a feed's path. */
export const PAGE_PATTERN = /^[1-9][0-9]{0,14}$/;

/** The origin of links: --public-url, or the Host as the host rule admitted it (never an arbitrary one). */
export function baseUrlOf(req: Request, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return originOf(req);
}

/** What a cache hit needs to know of its request, whichever path it came by (archive-fast-path.ts). */
export interface ArchiveHit {
  user: string;
  category: string;
  page: number;
  baseUrl: string;
  asHtml: boolean;
}

export interface FeedRoutes {
  router: Router;
  /** Answers a complete page from the cache; false (nothing sent) when the cache does not hold it. */
  serveCached(req: IncomingMessage, res: ServerResponse, hit: ArchiveHit): boolean;
}

export function feedRoutes(o: FeedRouteOptions): FeedRoutes {
  const pages = new FeedPageServer(o);
  const router = Router();
  router.get(`${FEED_PATH}/:category/:page`, (req: Request, res: Response) => pages.serve(req, res));
  return { router, serveCached: (req, res, hit) => pages.serveCached(req, res, hit) };
}

/** One request for a feed page, as its path and headers ask for it. */
type PageRequest = Omit<ArchiveHit, 'page'> & {
  /** The page number asked for; absent for `recent`. */
  page?: number;
};

/** The feed page a request names, once it is known to exist and this reader may read it. */
function pageRequestOf(req: Request, res: Response, publicUrl?: string): PageRequest {
  const category = String(req.params.category);
  const pageParam = String(req.params.page);
  if (category !== ALL_CATEGORY && !isResourceName(category)) {
    throw notFound(`no feed named "${category.slice(0, 64)}"`);
  }
  if (!mayReadFeed(rightsIn(res), category)) throw forbidden(`user "${res.locals.user}" may not read the "${category}" feed`);
  const asRecent = pageParam === RECENT;
  if (!asRecent && !PAGE_PATTERN.test(pageParam)) {
    throw badRequest(`page must be "recent" or a number from 1 (got "${pageParam.slice(0, 32)}")`);
  }
  const user = res.locals.user as string;
  return { user, category, page: asRecent ? undefined : Number(pageParam), baseUrl: baseUrlOf(req, publicUrl), asHtml: wantsHtml(req, ATOM_MEDIA_TYPE) };
}

/** Serves feed pages: complete ones from the page cache (rendered when missing), the working page fresh. */
class FeedPageServer {
  private readonly cache: PageCache;
  private readonly layouts: FeedLayouts;
  private readonly ahead: RenderAhead;

  constructor(private readonly o: FeedRouteOptions) {
    this.cache = o.cache ?? new PageCache();
    this.layouts = o.layouts ?? FeedLayouts.fixed(o.pageSize);
    this.ahead = new RenderAhead({ ...o, cache: this.cache, layouts: this.layouts });
  }

  async serve(req: Request, res: Response): Promise<void> {
    const asked = pageRequestOf(req, res, this.o.publicUrl);
    const { user, category, baseUrl, asHtml } = asked;
    const asRecent = asked.page === undefined;
    if (!asRecent && this.serveCached(req, res, { user, category, page: asked.page!, baseUrl, asHtml })) return;
    setFeedHeaders(res, asHtml);
    if (asRecent && !asHtml && !(await this.longPoll(req, res, category, baseUrl))) return;
    const { head, layout, newestPage } = await feedHead(this.o.store, this.layouts, category);
    this.ahead.sawNewest(category, newestPage);
    const page = asked.page ?? newestPage;
    if (page > newestPage) throw notFound(`page ${page} of "${category}" does not exist yet; the newest is ${newestPage}`);
    const complete = page < newestPage;
    const range = pageRange(layout, page);
    this.served(req, { user, category, page, baseUrl, asHtml }, complete ? range.last : head.count, complete);

    if (complete) {
      const model = await loadModel(this.o, { category, page, range, newestPage, asRecent: false, baseUrl, updated: null });
      const gzip = prefersGzip(req.headers['accept-encoding']);
      const fresh = await archivePage(asHtml ? renderFeedHtml(model) : renderFeedPage(model), asHtml, gzip);
      const key = cacheKeyOf(baseUrl, category, page, range, asHtml);
      this.cache.set(key, fresh);
      if (!asHtml) this.o.counters?.archiveRendered('asked');
      if (!asHtml) this.ahead.after(page, category, baseUrl, newestPage, gzip);
      return this.sendCached(req, res, key, fresh);
    }
    // The working page depends only on how many events the feed has (the log is append-only) and on the
    // positions it stands for, so its ETag is known before anything is read or rendered: a quiet poll
    // costs one indexed lookup.
    const etag = workingEtag({ baseUrl, category, page, asRecent, range, count: head.count, asHtml });
    res.set('Cache-Control', RECENT_CACHE_CONTROL);
    res.set('ETag', etag);
    if (notModified(req, etag)) return void res.status(304).end();
    const model = await loadModel(this.o, { category, page, range, newestPage, asRecent, baseUrl, updated: head.newestPublishedAt });
    res.send(asHtml ? renderFeedHtml(model) : renderFeedPage(model));
  }

  // Only complete pages are cached and they never change: a hit needs no database at all.
  serveCached(req: IncomingMessage, res: ServerResponse, hit: ArchiveHit): boolean {
    const range = pageRange(this.layouts.layout(hit.category), hit.page);
    const key = cacheKeyOf(hit.baseUrl, hit.category, hit.page, range, hit.asHtml);
    const cached = this.cache.get(key);
    if (!cached) return false;
    setFeedHeaders(res, hit.asHtml);
    this.served(req, hit, range.last, true);
    if (!hit.asHtml) this.ahead.after(hit.page, hit.category, hit.baseUrl, undefined, prefersGzip(req.headers['accept-encoding']));
    void this.sendCached(req, res, key, cached);
    return true;
  }

  private served(req: IncomingMessage, hit: ArchiveHit, position: number, complete: boolean): void {
    // Recorded under the user that authenticated; the header only asks for it and labels the row.
    const asked = req.headers[SUBSCRIBER_HEADER];
    this.o.positions?.record(hit.user, typeof asked === 'string' ? asked : undefined, hit.category, hit.page, position);
    this.o.counters?.pageServed(hit.asHtml ? 'html' : complete ? 'archive' : 'recent');
  }

  /**
   * Sends a cached page. A client that takes gzip gets it made first if the page has none (it was
   * rendered for a loopback reader, which asks for identity); one that would rather have brotli
   * gets it made for the next time.
   */
  private async sendCached(req: IncomingMessage, res: ServerResponse, key: string, page: ArchivePage): Promise<void> {
    if (needsGzip(req, page)) {
      await addGzip(page, (added) => this.cache.grew(key, page, added)).catch((err: Error) => this.o.log?.warn('gzip failed', { error: err }));
    }
    sendArchivePage(req, res, page, () => {
      addBrotli(page, (added) => this.cache.grew(key, page, added)).catch((err: Error) => this.o.log?.warn('brotli failed', { error: err }));
    });
  }

  /** A long poll of the Atom `recent` waits here while the client's copy of the working page is still the current one. */
  private longPoll(req: Request, res: Response, category: string, baseUrl: string) {
    const unchanged = async () => {
      const { head, layout, newestPage } = await feedHead(this.o.store, this.layouts, category);
      const range = pageRange(layout, newestPage);
      return notModified(req, workingEtag({ baseUrl, category, page: newestPage, asRecent: true, range, count: head.count, asHtml: false }));
    };
    return holdWhileUnchanged(req, res, { newEvents: this.o.newEvents, feed: category, unchanged });
  }
}
