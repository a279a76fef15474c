// GET {FEED_PATH}/{category}/recent and /{category}/{n}: the Atom feed, or the same page
// as HTML for a browser.
// Which positions page n holds comes from the feed's layout (paging.ts: (n-1)*size+1 .. n*size
// for a feed never re-paged). The working page is the one the next event goes to; every page
// below it is complete and immutable.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { Request, Response } from 'express';
import {
  ALL_CATEGORY,
  ATOM_MEDIA_TYPE,
  FEED_PATH,
  RECENT,
  RECENT_CACHE_CONTROL,
  SUBSCRIBER_HEADER,
} from '../shared/constants.ts';
import { renderFeedPage } from '../shared/atom/render.ts';
import type { FeedPageModel } from '../shared/feed-types.ts';
import { isResourceName } from '../shared/resources.ts';
import { renderFeedHtml } from './admin-pages.ts';
import type { EventStore } from './event-store.ts';
import { FeedLayouts } from './feed-layouts.ts';
import { badRequest, notFound } from './http-errors.ts';
import type { PublisherCounters } from './metrics.ts';
import { originOf } from './host-rule.ts';
import { HTML_MEDIA_TYPE, NEGOTIATED_VARY, wantsHtml } from '../shared/web/negotiate.ts';
import { addBrotli, encodeArchive, notModified, sendArchivePage } from './archive-page.ts';
import type { ArchivePage } from './archive-page.ts';
import { holdWhileUnchanged } from './long-poll.ts';
import type { NewEvents } from './new-events.ts';
import { PageCache } from './page-cache.ts';
import { forbidden, mayReadFeed, rightsIn } from './rights.ts';
import { newestPage as newestPageOf, pageRange } from './paging.ts';
import type { PageRange } from './paging.ts';
import type { Logger } from '../shared/logger.ts';
import type { SubscriberPositions } from './subscriber-positions.ts';

export interface FeedRouteOptions {
  store: EventStore;
  nodeId: string;
  /** Stable id of this node's feeds (from atomsync_meta.node_uuid). */
  nodeUuid: string;
  /** `updated` of a feed that has no events yet. */
  emptyUpdated: string;
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

/** Archive pages rendered ahead of a reader (see renderAhead). */
const RENDER_AHEAD = 2;

/** Bumped whenever rendering changes, so old ETags stop matching. */
const RENDER_VERSION = '1';
/** The same for the HTML view, which changes more often than the Atom format. */
const HTML_RENDER_VERSION = '1';
const PAGE_PATTERN = /^[1-9][0-9]{0,14}$/;

/** The origin of links: --public-url, or the Host as the host rule admitted it (never an arbitrary one). */
export function baseUrlOf(req: Request, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return originOf(req);
}

function feedIdFor(nodeUuid: string, category: string): string {
  // A name-based id: the same for every page of a feed, different for each feed and node.
  const h = createHash('sha1').update(`${nodeUuid}/${category}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
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
  const router = Router();
  const cache = o.cache ?? new PageCache();
  const layouts = o.layouts ?? FeedLayouts.fixed(o.pageSize);
  const ahead = new Set<string>();

  /** The feed's head, and the layout to page it by (loaded again first when a re-page moved it). */
  const headOf = async (category: string) => {
    const head = await o.store.head(category);
    await layouts.atLeast(head.layoutVersion);
    const layout = layouts.layout(category);
    return { head, layout, newestPage: newestPageOf(layout, head.count) };
  };

  /**
   * A reader of archive page n asks for n+1 next (catch-up follows next-archive), so the
   * next pages are rendered into the cache while it parses this one: its next request is a
   * cache hit instead of a query and a render. At most RENDER_AHEAD pages, one at a time per
   * feed; best effort (an error here only means the page is rendered when asked for).
   */
  // Per feed, the newest page number any request has seen (events are never removed, so it only grows;
  // a re-page keeps every page below the working page, so the pages below a number seen stay complete).
  const newestSeen = new Map<string, number>();
  const sawNewest = (category: string, page: number) => {
    if (page > (newestSeen.get(category) ?? 0)) newestSeen.set(category, page);
  };
  const renderAhead = (page: number, category: string, baseUrl: string, knownNewest?: number) => {
    const cacheKey = (p: number, range: PageRange) => cacheKeyOf(baseUrl, category, p, range, false);
    const feedKey = `${baseUrl}|${category}`;
    if (ahead.has(feedKey)) return;
    ahead.add(feedKey);
    void (async () => {
      // The newest page only moves forward: a page older than the newest ever seen is complete,
      // so during a catch-up the feed's head is asked for once per page batch, not once per page.
      let newestPage = Math.max(knownNewest ?? 0, newestSeen.get(category) ?? 0);
      let layout = layouts.layout(category);
      for (let p = page + 1; p <= page + RENDER_AHEAD; p++) {
        if (cache.get(cacheKey(p, pageRange(layout, p)))) continue;
        if (p >= newestPage) {
          ({ layout, newestPage } = await headOf(category));
          sawNewest(category, newestPage);
        }
        if (p >= newestPage) break; // only complete pages are cached
        const range = pageRange(layout, p);
        const model = await loadModel(o, { category, page: p, range, newestPage, asRecent: false, baseUrl, updated: null });
        cache.set(cacheKey(p, range), await archivePage(renderFeedPage(model), false));
        o.counters?.archiveRendered('ahead');
      }
    })()
      .catch((err: Error) => o.log?.debug('rendering archive pages ahead failed', { category, error: err }))
      .finally(() => ahead.delete(feedKey));
  };

  const served = (req: IncomingMessage, hit: ArchiveHit, position: number, complete: boolean) => {
    // Recorded under the user that authenticated; the header only asks for it and labels the row.
    const asked = req.headers[SUBSCRIBER_HEADER];
    o.positions?.record(hit.user, typeof asked === 'string' ? asked : undefined, hit.category, hit.page, position);
    o.counters?.pageServed(hit.asHtml ? 'html' : complete ? 'archive' : 'recent');
  };

  /** Sends a cached page; a client that would rather have brotli gets it made for the next time. */
  const sendCached = (req: IncomingMessage, res: ServerResponse, key: string, page: ArchivePage) =>
    sendArchivePage(req, res, page, () => {
      addBrotli(page, (added) => cache.grew(key, page, added)).catch((err: Error) => o.log?.warn('brotli failed', { error: err }));
    });

  // Only complete pages are cached and they never change: a hit needs no database at all.
  const serveCached = (req: IncomingMessage, res: ServerResponse, hit: ArchiveHit): boolean => {
    const range = pageRange(layouts.layout(hit.category), hit.page);
    const key = cacheKeyOf(hit.baseUrl, hit.category, hit.page, range, hit.asHtml);
    const cached = cache.get(key);
    if (!cached) return false;
    setFeedHeaders(res, hit.asHtml);
    served(req, hit, range.last, true);
    if (!hit.asHtml) renderAhead(hit.page, hit.category, hit.baseUrl);
    sendCached(req, res, key, cached);
    return true;
  };

  /** A long poll of the Atom `recent` waits here while the client's copy of the working page is still the current one. */
  const longPoll = (req: Request, res: Response, category: string, baseUrl: string) => {
    const unchanged = async () => {
      const { head, layout, newestPage } = await headOf(category);
      const range = pageRange(layout, newestPage);
      return notModified(req, workingEtag({ baseUrl, category, page: newestPage, asRecent: true, range, count: head.count, asHtml: false }));
    };
    return holdWhileUnchanged(req, res, { newEvents: o.newEvents, feed: category, unchanged });
  };

  router.get(`${FEED_PATH}/:category/:page`, async (req: Request, res: Response) => {
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
    const baseUrl = baseUrlOf(req, o.publicUrl);
    const asHtml = wantsHtml(req, ATOM_MEDIA_TYPE);
    const user = res.locals.user as string;
    if (!asRecent && serveCached(req, res, { user, category, page: Number(pageParam), baseUrl, asHtml })) return;
    setFeedHeaders(res, asHtml);
    if (asRecent && !asHtml && !(await longPoll(req, res, category, baseUrl))) return;
    const { head, layout, newestPage } = await headOf(category);
    sawNewest(category, newestPage);
    const page = asRecent ? newestPage : Number(pageParam);
    if (page > newestPage) throw notFound(`page ${page} of "${category}" does not exist yet; the newest is ${newestPage}`);
    const complete = page < newestPage;
    const range = pageRange(layout, page);
    served(req, { user, category, page, baseUrl, asHtml }, complete ? range.last : head.count, complete);

    if (complete) {
      const model = await loadModel(o, { category, page, range, newestPage, asRecent: false, baseUrl, updated: null });
      const fresh = await archivePage(asHtml ? renderFeedHtml(model) : renderFeedPage(model), asHtml);
      const key = cacheKeyOf(baseUrl, category, page, range, asHtml);
      cache.set(key, fresh);
      if (!asHtml) o.counters?.archiveRendered('asked');
      if (!asHtml) renderAhead(page, category, baseUrl, newestPage);
      return void sendCached(req, res, key, fresh);
    }
    // The working page depends only on how many events the feed has (the log is append-only) and on the
    // positions it stands for, so its ETag is known before anything is read or rendered: a quiet poll
    // costs one indexed lookup.
    const etag = workingEtag({ baseUrl, category, page, asRecent, range, count: head.count, asHtml });
    res.set('Cache-Control', RECENT_CACHE_CONTROL);
    res.set('ETag', etag);
    if (notModified(req, etag)) return void res.status(304).end();
    const model = await loadModel(o, { category, page, range, newestPage, asRecent, baseUrl, updated: head.newestPublishedAt });
    res.send(asHtml ? renderFeedHtml(model) : renderFeedPage(model));
  });

  return { router, serveCached };
}

/** The same URL is Atom for feed readers and HTML for people; the two never share an ETag. */
function setFeedHeaders(res: ServerResponse, asHtml: boolean): void {
  res.setHeader('Content-Type', asHtml ? HTML_MEDIA_TYPE : `${ATOM_MEDIA_TYPE}; charset=utf-8`);
  res.setHeader('Vary', NEGOTIATED_VARY);
}

/** A complete page's cache key. It holds the positions the page stands for, so a page the layout gives other positions is another key. */
function cacheKeyOf(baseUrl: string, category: string, page: number, range: PageRange, asHtml: boolean): string {
  return `${baseUrl}|${category}|${page}|${range.first}+${range.size}|${asHtml ? 'html' : 'atom'}`;
}

/** A strong ETag; the HTML variant's ends in -html, so no cache can confuse it with the Atom one. */
function etagOf(content: string, asHtml: boolean): string {
  const hash = createHash('sha256').update(content).digest('base64url').slice(0, 32);
  return asHtml ? `"${hash}-html"` : `"${hash}"`;
}

/** The working page's ETag: what it holds follows from its positions and the feed's event count alone. */
function workingEtag(p: { baseUrl: string; category: string; page: number; asRecent: boolean; range: PageRange; count: number; asHtml: boolean }): string {
  const version = p.asHtml ? `${RENDER_VERSION}|html${HTML_RENDER_VERSION}` : RENDER_VERSION;
  return etagOf(`${version}|${p.baseUrl}|${p.category}|${p.page}|${p.asRecent}|${p.range.first}+${p.range.size}|${p.count}`, p.asHtml);
}

/** A complete page's bytes in every coding, for the cache. */
function archivePage(body: string, asHtml: boolean): Promise<ArchivePage> {
  return encodeArchive(body, etagOf(`${RENDER_VERSION}|${body}`, asHtml));
}

async function loadModel(
  o: FeedRouteOptions,
  p: { category: string; page: number; range: PageRange; newestPage: number; asRecent: boolean; baseUrl: string; updated: string | null },
): Promise<FeedPageModel> {
  const events = await o.store.range(p.category, p.range.first, p.range.last);
  // A page last changed when its newest entry was published (ISO strings in UTC compare as text).
  const updated = events.reduce<string | null>((max, e) => (max && max > e.publishedAt ? max : e.publishedAt), null);
  return {
    nodeId: o.nodeId,
    feedId: feedIdFor(o.nodeUuid, p.category),
    category: p.category,
    page: p.page,
    pageSize: p.range.size,
    firstPosition: p.range.first,
    newestPage: p.newestPage,
    asRecent: p.asRecent,
    baseUrl: p.baseUrl,
    updated: updated ?? p.updated ?? o.emptyUpdated,
    events,
  };
}
