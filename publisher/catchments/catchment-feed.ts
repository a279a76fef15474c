// GET {FEED_PATH}/catchment~{location uuid}[~{location uuid}...]/recent and /{n}: the Atom feed
// of one catchment (router.ts), for a child node that should receive only what concerns its
// locations. Pages are ranges of the catchment's own positions, at the node's page size, and
// follow the rules of the other feeds: every page below the working page is complete and never
// changes (cacheable privately for a year), the working page has an ETag that changes with each
// entry. A catchment is routed up to the node's newest event before its working page (or a page
// beyond it) is served, so a child sees everything published that concerns it.
//
// Who may read it: a reader confined to this catchment (--user-rights NAME=catchment~...), or a
// reader of everything. A long poll of `recent` is held until the catchment has a new entry, as
// for the other feeds. Not yet: HTML for browsers, re-paging.
import { Router } from 'express';
import type { Request, Response } from 'express';
import { renderFeedPage } from '../atom/render.ts';
import { ALL_CATEGORY, CATCHMENT_PREFIX, catchmentCategory, FEED_PATH, MAX_CATCHMENT_LOCATIONS, RECENT, RECENT_CACHE_CONTROL, SUBSCRIBER_HEADER, UUID_PATTERN } from '../../shared/protocol.ts';
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Registry } from '../../shared/registry.ts';
import { notModified, prefersGzip, sendArchivePage } from '../archive-page.ts';
import { holdWhileUnchanged } from '../long-poll.ts';
import type { NewEvents } from '../new-events.ts';
import { PAGE_PATTERN, baseUrlOf } from '../feed-routes.ts';
import { archivePage, loadModel, setFeedHeaders, workingEtag } from '../feed-pages.ts';
import type { FeedPageSource } from '../feed-pages.ts';
import type { PageRange } from '../paging.ts';
import { badRequest, notFound } from '../http-errors.ts';
import { forbidden, mayReadCatchment, rightsIn } from '../rights.ts';
import type { SubscriberPositions } from '../subscriber-positions.ts';
import { CatchmentRouter, UnknownLocationError, ensureCatchment } from './router.ts';


/** The location uuids a catchment category names; throws a 400 for a malformed one. */
export function locationsOf(category: string): string[] {
  const uuids = category.slice(CATCHMENT_PREFIX.length).split('~').filter(Boolean);
  if (uuids.length === 0) throw badRequest(`a catchment feed names its locations: ${FEED_PATH}/${CATCHMENT_PREFIX}{location uuid}~{location uuid}.../recent`);
  if (uuids.length > MAX_CATCHMENT_LOCATIONS) throw badRequest(`a catchment names at most ${MAX_CATCHMENT_LOCATIONS} locations (got ${uuids.length})`);
  const bad = uuids.find((u) => !UUID_PATTERN.test(u));
  if (bad) throw badRequest(`"${bad.slice(0, 64)}" is not a location uuid (1 to 38 letters, digits and -)`);
  return uuids;
}

export interface CatchmentFeedOptions extends FeedPageSource {
  pool: Pool;
  registry: Registry;
  log: Logger;
  pageSize: number;
  publicUrl?: string;
  /** Where long-polled `recent` requests wait for the node's next event (new-events.ts). */
  newEvents?: NewEvents;
  /** Where readers' positions are noted, when they name themselves (the root page's tree). */
  positions?: SubscriberPositions;
}

export class CatchmentFeeds {
  private readonly routerOfEvents: CatchmentRouter;
  /** Catchment ids by category, once made. */
  private readonly ids = new Map<string, number>();
  /** A routing run per catchment at a time; requests that come meanwhile wait for it. */
  private readonly routing = new Map<number, Promise<void>>();

  constructor(private readonly o: CatchmentFeedOptions) {
    this.routerOfEvents = new CatchmentRouter(o.pool, o.registry, o.log.child({ part: 'catchments' }));
  }

  router(): Router {
    const r = Router();
    r.get(`${FEED_PATH}/:category/:page`, (req, res, next) => {
      if (!String(req.params.category).startsWith(CATCHMENT_PREFIX)) return next();
      this.serve(req, res).catch(next);
    });
    return r;
  }

  private async serve(req: Request, res: Response): Promise<void> {
    const category = String(req.params.category);
    const pageParam = String(req.params.page);
    const canonical = catchmentCategory(locationsOf(category));
    if (!mayReadCatchment(rightsIn(res), canonical)) throw forbidden(`user "${res.locals.user}" may not read the feed of this catchment`);
    if (pageParam !== RECENT && !PAGE_PATTERN.test(pageParam)) throw badRequest(`page must be "recent" or a number from 1 (got "${pageParam.slice(0, 32)}")`);
    const id = await this.catchmentId(category);
    const asRecent = pageParam === RECENT;
    const size = this.o.pageSize;
    const baseUrl = baseUrlOf(req, this.o.publicUrl);
    // A long poll of `recent` is held while the catchment, routed up to each new event, has no new entry.
    if (asRecent) {
      const unchanged = async () => {
        await this.routeNow(id);
        const n = await this.count(id);
        const newest = Math.floor(n / size) + 1;
        return notModified(req, workingEtag({ baseUrl, category, page: newest, asRecent, range: this.rangeOf(newest), count: n, asHtml: false }));
      };
      if (!(await holdWhileUnchanged(req, res, { newEvents: this.o.newEvents, feed: ALL_CATEGORY, unchanged }))) return;
    }
    let count = await this.count(id);
    // The working page (or one beyond it) may grow with what is published: routed up to now first.
    if (asRecent || Number(pageParam) >= Math.floor(count / size) + 1) {
      await this.routeNow(id);
      count = await this.count(id);
    }
    const newestPage = Math.floor(count / size) + 1;
    const page = asRecent ? newestPage : Number(pageParam);
    if (page > newestPage) throw notFound(`page ${page} of "${category.slice(0, 200)}" does not exist yet; the newest is ${newestPage}`);
    const complete = page < newestPage;
    const range = this.rangeOf(page);
    const asked = req.headers[SUBSCRIBER_HEADER];
    this.o.positions?.record(String(res.locals.user), typeof asked === 'string' ? asked : undefined, canonical, page, complete ? range.last : count);
    setFeedHeaders(res, false);
    if (!complete) {
      const etag = workingEtag({ baseUrl, category, page, asRecent, range, count, asHtml: false });
      res.set('Cache-Control', RECENT_CACHE_CONTROL);
      res.set('ETag', etag);
      if (notModified(req, etag)) return void res.status(304).end();
    }
    const model = await loadModel(this.o, { category, page, range, newestPage, asRecent, baseUrl, updated: null });
    if (!complete) return void res.send(renderFeedPage(model));
    // A complete page as the other feeds' are sent: a strong ETag of its own per coding.
    sendArchivePage(req, res, await archivePage(renderFeedPage(model), false, prefersGzip(req.headers['accept-encoding'])));
  }

  /** The positions of page n: the node's page size, never re-paged. */
  private rangeOf(page: number): PageRange {
    const size = this.o.pageSize;
    return { first: (page - 1) * size + 1, last: page * size, size };
  }

  private async catchmentId(category: string): Promise<number> {
    const known = this.ids.get(category);
    if (known !== undefined) return known;
    try {
      const c = await ensureCatchment(this.o.pool, locationsOf(category));
      this.ids.set(category, c.id);
      return c.id;
    } catch (err) {
      if (err instanceof UnknownLocationError) throw notFound(err.message);
      throw err;
    }
  }

  /** Routes the catchment up to the newest event (one run at a time; a request during one waits for it). */
  private routeNow(id: number): Promise<void> {
    let run = this.routing.get(id);
    if (!run) {
      run = this.routerOfEvents.route(id).then(() => undefined).finally(() => this.routing.delete(id));
      this.routing.set(id, run);
    }
    return run;
  }

  private async count(id: number): Promise<number> {
    const [row] = await queryRows<{ n: number }>(this.o.pool, 'SELECT positions AS n FROM atomsync_catchment WHERE id = ?', [id]);
    return Number(row?.n ?? 0);
  }

}
