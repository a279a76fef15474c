// What a feed page is made of, apart from how it is asked for (feed-routes.ts): the feed's
// head and layout, the page's model read from the event log, its cache key, its ETags and
// its bytes for the cache.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ATOM_MEDIA_TYPE } from '../shared/protocol.ts';
import type { FeedPageModel } from '../shared/feed-types.ts';
import { HTML_MEDIA_TYPE, NEGOTIATED_VARY } from '../shared/web/negotiate.ts';
import { encodeArchive } from './archive-page.ts';
import type { ArchivePage } from './archive-page.ts';
import type { EventStore } from './event-store.ts';
import type { FeedLayouts } from './feed-layouts.ts';
import { newestPage as newestPageOf } from './paging.ts';
import type { PageRange } from './paging.ts';

/** What a page's model is read and labelled from. */
export interface FeedPageSource {
  store: EventStore;
  nodeId: string;
  /** Stable id of this node's feeds (from atomsync_meta.node_uuid). */
  nodeUuid: string;
  /** `updated` of a feed that has no events yet. */
  emptyUpdated: string;
}

/** Bumped whenever rendering changes, so old ETags stop matching. */
const RENDER_VERSION = '1';
/** The same for the HTML view, which changes more often than the Atom format. */
const HTML_RENDER_VERSION = '1';

/** The feed's head, and the layout to page it by (loaded again first when a re-page moved it). */
export async function feedHead(store: EventStore, layouts: FeedLayouts, category: string) {
  const head = await store.head(category);
  await layouts.atLeast(head.layoutVersion);
  const layout = layouts.layout(category);
  return { head, layout, newestPage: newestPageOf(layout, head.count) };
}

export function feedIdFor(nodeUuid: string, category: string): string {
  // A name-based id: the same for every page of a feed, different for each feed and node.
  const h = createHash('sha1').update(`${nodeUuid}/${category}`).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The same URL is Atom for feed readers and HTML for people; the two never share an ETag. */
export function setFeedHeaders(res: ServerResponse, asHtml: boolean): void {
  res.setHeader('Content-Type', asHtml ? HTML_MEDIA_TYPE : `${ATOM_MEDIA_TYPE}; charset=utf-8`);
  res.setHeader('Vary', NEGOTIATED_VARY);
}

/** A complete page's cache key. It holds the positions the page stands for, so a page the layout gives other positions is another key. */
export function cacheKeyOf(baseUrl: string, category: string, page: number, range: PageRange, asHtml: boolean): string {
  return `${baseUrl}|${category}|${page}|${range.first}+${range.size}|${asHtml ? 'html' : 'atom'}`;
}

/** A strong ETag; the HTML variant's ends in -html, so no cache can confuse it with the Atom one. */
function etagOf(content: string, asHtml: boolean): string {
  const hash = createHash('sha256').update(content).digest('base64url').slice(0, 32);
  return asHtml ? `"${hash}-html"` : `"${hash}"`;
}

/** The working page's ETag: what it holds follows from its positions and the feed's event count alone. */
export function workingEtag(p: { baseUrl: string; category: string; page: number; asRecent: boolean; range: PageRange; count: number; asHtml: boolean }): string {
  const version = p.asHtml ? `${RENDER_VERSION}|html${HTML_RENDER_VERSION}` : RENDER_VERSION;
  return etagOf(`${version}|${p.baseUrl}|${p.category}|${p.page}|${p.asRecent}|${p.range.first}+${p.range.size}|${p.count}`, p.asHtml);
}

/** A complete page's bytes for the cache: identity, and gzip when `withGzip` (the reader it is made for asks for it). */
export function archivePage(body: string, asHtml: boolean, withGzip = true): Promise<ArchivePage> {
  return encodeArchive(body, etagOf(`${RENDER_VERSION}|${body}`, asHtml), withGzip);
}

export async function loadModel(
  o: FeedPageSource,
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
