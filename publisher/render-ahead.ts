// Archive pages rendered into the page cache ahead of a reader that catches up.
import { renderFeedPage } from './atom/render.ts';
import type { Logger } from '../shared/logger.ts';
import { archivePage, cacheKeyOf, feedHead, loadModel } from './feed-pages.ts';
import type { FeedPageSource } from './feed-pages.ts';
import type { FeedLayouts } from './feed-layouts.ts';
import type { PublisherCounters } from './metrics.ts';
import type { PageCache } from './page-cache.ts';
import { pageRange } from './paging.ts';
import type { PageRange } from './paging.ts';

/** Archive pages rendered ahead of a reader (see RenderAhead). */
const RENDER_AHEAD = 2;

/**
 * A reader of archive page n asks for n+1 next (catch-up follows next-archive), so the
 * next pages are rendered into the cache while it parses this one: its next request is a
 * cache hit instead of a query and a render. At most RENDER_AHEAD pages, one at a time per
 * feed; best effort (an error here only means the page is rendered when asked for).
 */
export class RenderAhead {
  // Per feed, the newest page number any request has seen (events are never removed, so it only grows;
  // a re-page keeps every page below the working page, so the pages below a number seen stay complete).
  private readonly newestSeen = new Map<string, number>();
  /** Feeds (base URL and category) a render ahead is under way for. */
  private readonly ahead = new Set<string>();

  constructor(
    private readonly o: FeedPageSource & { cache: PageCache; layouts: FeedLayouts; counters?: PublisherCounters; log?: Logger },
  ) {}

  sawNewest(category: string, page: number): void {
    if (page > (this.newestSeen.get(category) ?? 0)) this.newestSeen.set(category, page);
  }

  /**
   * Starts rendering the pages after `page`, unless that feed has a render ahead under way already;
   * `withGzip`: the reader asks for gzip, so the pages are compressed as they enter the cache.
   */
  after(page: number, category: string, baseUrl: string, knownNewest?: number, withGzip = true): void {
    const feedKey = `${baseUrl}|${category}`;
    if (this.ahead.has(feedKey)) return;
    this.ahead.add(feedKey);
    this.render(page, category, baseUrl, knownNewest, withGzip)
      .catch((err: Error) => this.o.log?.debug('rendering archive pages ahead failed', { category, error: err }))
      .finally(() => this.ahead.delete(feedKey));
  }

  private async render(page: number, category: string, baseUrl: string, knownNewest: number | undefined, withGzip: boolean): Promise<void> {
    const { cache, layouts } = this.o;
    const cacheKey = (p: number, range: PageRange) => cacheKeyOf(baseUrl, category, p, range, false);
    // The newest page only moves forward: a page older than the newest ever seen is complete,
    // so during a catch-up the feed's head is asked for once per page batch, not once per page.
    let newestPage = Math.max(knownNewest ?? 0, this.newestSeen.get(category) ?? 0);
    let layout = layouts.layout(category);
    for (let p = page + 1; p <= page + RENDER_AHEAD; p++) {
      if (cache.get(cacheKey(p, pageRange(layout, p)))) continue;
      if (p >= newestPage) {
        ({ layout, newestPage } = await feedHead(this.o.store, layouts, category));
        this.sawNewest(category, newestPage);
      }
      if (p >= newestPage) break; // only complete pages are cached
      const range = pageRange(layout, p);
      const model = await loadModel(this.o, { category, page: p, range, newestPage, asRecent: false, baseUrl, updated: null });
      cache.set(cacheKey(p, range), await archivePage(renderFeedPage(model), false, withGzip));
      this.o.counters?.archiveRendered('ahead');
    }
  }
}
