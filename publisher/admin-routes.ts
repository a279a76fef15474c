// GET / (and {FEED_PATH}): the node's feeds and its subscribers' positions, HTML or JSON.
// GET /metrics: the same facts and the process's counters for Prometheus.
// Both sit behind the same authentication as the feeds. /metrics is for admins only; the root
// page shows anyone else just the feeds it may read and its own positions (rights.ts).
import { Router } from 'express';
import type { Request, Response } from 'express';
import { ALL_CATEGORY, FEED_PATH } from '../shared/protocol.ts';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { RESOURCE_NAMES } from '../shared/resources.ts';
import { readSnapshotStates } from '../shared/schema/snapshot-state.ts';
import type { SnapshotState } from '../shared/schema/snapshot-state.ts';
import type { EventStore, FeedHead } from './event-store.ts';
import type { FeedLayouts } from './feed-layouts.ts';
import { baseUrlOf } from './feed-routes.ts';
import { METRICS_CONTENT_TYPE } from '../shared/web/prometheus.ts';
import { renderMetrics } from './metrics.ts';
import type { PublisherCounters } from './metrics.ts';
import { HTML_MEDIA_TYPE, NEGOTIATED_VARY } from '../shared/web/negotiate.ts';
import { buildRootModel, renderRootHtml, rootJson } from './root-page.ts';
import { peerLines } from './bundle/peer-lines.ts';
import { forbidden, mayReadFeed, rightsIn } from './rights.ts';
import { lagOf } from './subscriber-positions.ts';
import type { SubscriberPosition, SubscriberPositions } from './subscriber-positions.ts';
import type { NewEvents } from './new-events.ts';
import type { PageCache } from './page-cache.ts';
import { buildTree } from '../shared/web/tree-model.ts';
import type { TreeModel } from '../shared/web/tree-model.ts';
import { readMarkerRows } from '../shared/web/tree-rows.ts';

export interface AdminRouteOptions {
  pool: Pool;
  store: EventStore;
  nodeId: string;
  pageSize: number;
  /** Each feed's page layout; uniform pages of pageSize when absent. */
  layouts?: FeedLayouts;
  publicUrl?: string;
  counters: PublisherCounters;
  positions?: SubscriberPositions;
  /** The resources as this database holds them (for the snapshot's order); the declared registry by default. */
  registry?: Registry;
  /** The archive page cache and the long polls held, for their gauges. */
  cache?: PageCache;
  newEvents?: NewEvents;
  now?: () => number;
}

/** Every feed this node serves: `all`, then each resource. */
export const FEED_CATEGORIES: readonly string[] = [ALL_CATEGORY, ...RESOURCE_NAMES];

/** The head of every feed: one indexed lookup each. */
async function feedHeads(store: EventStore): Promise<Array<{ category: string; head: FeedHead }>> {
  return Promise.all(FEED_CATEGORIES.map(async (category) => ({ category, head: await store.head(category) })));
}

/** The snapshot's progress per resource; none on a database migrated before snapshots existed. */
function snapshotStates(o: AdminRouteOptions): Promise<SnapshotState[]> {
  return readSnapshotStates(o.pool, o.registry ?? DECLARED_REGISTRY).catch((err: { errno?: number }) => {
    if (err.errno === 1146) return []; // no such table: run `atomsync migrate` to get it
    throw err;
  });
}

/** This node's parents and children: the feeds its subscribers read (this database's markers) and the readers of its feeds. */
async function nodeTree(o: AdminRouteOptions, positions: SubscriberPosition[], heads: Array<{ category: string; head: FeedHead }>, transport: string, at: number): Promise<TreeModel> {
  const counts = new Map(heads.map((h) => [h.category, h.head.count]));
  return buildTree({
    nodeId: o.nodeId,
    markers: await readMarkerRows(o.pool),
    readers: positions.map((p) => ({
      user: p.subscriber,
      node: p.node ?? null,
      feed: p.feed,
      position: p.position,
      feedCount: counts.get(p.feed) ?? null,
      seenAt: new Date(p.seenAt).toISOString(),
      transport,
    })),
    now: at,
  });
}

export function adminRoutes(o: AdminRouteOptions): Router {
  const router = Router();
  const now = o.now ?? Date.now;

  router.get(['/', FEED_PATH], async (req: Request, res: Response) => {
    const rights = rightsIn(res);
    const user = res.locals.user as string;
    // A reader that is not an admin learns nothing of the feeds it may not read, nor of other subscribers.
    const heads = (await feedHeads(o.store)).filter((h) => rights.admin || mayReadFeed(rights, h.category));
    const positions = (o.positions?.list() ?? []).filter((p) => rights.admin || p.subscriber === user);
    const snapshot = (await snapshotStates(o)).filter((s) => rights.admin || rights.resources.has(s.resource));
    const layouts = o.layouts;
    if (layouts) await layouts.atLeast(Math.max(...heads.map((h) => h.head.layoutVersion)));
    const model = buildRootModel({
      nodeId: o.nodeId,
      baseUrl: baseUrlOf(req, o.publicUrl),
      pageSize: layouts?.pageSize ?? o.pageSize,
      layoutOf: layouts && ((feed) => layouts.layout(feed)),
      heads,
      positions,
      snapshot,
      // The tree names the other nodes: admins only.
      tree: rights.admin ? await nodeTree(o, positions, heads, req.secure ? 'HTTPS' : 'HTTP', now()) : undefined,
      peers: rights.admin ? await peerLines(o.pool).catch(() => []) : undefined,
      now: now(),
    });
    res.set('Cache-Control', 'private, no-cache');
    res.set('Vary', NEGOTIATED_VARY);
    // HTML unless JSON is asked for: this address is mostly typed into a browser.
    if (req.accepts(['text/html', 'application/json']) === 'application/json') res.json(rootJson(model));
    else res.type(HTML_MEDIA_TYPE).send(renderRootHtml(model));
  });

  router.get('/metrics', async (_req: Request, res: Response) => {
    if (!rightsIn(res).admin) throw forbidden(`user "${res.locals.user}" may not read /metrics`);
    const heads = await feedHeads(o.store);
    const [{ n }] = await queryRows<{ n: number }>(o.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
    const counts = new Map(heads.map((h) => [h.category, h.head.count]));
    const text = renderMetrics({
      counters: o.counters,
      published: heads.map((h) => ({ category: h.category, count: h.head.count })),
      outboxDepth: Number(n),
      lags: (o.positions?.list() ?? []).map((p) => ({ subscriber: p.subscriber, feed: p.feed, events: lagOf(p, counts.get(p.feed) ?? 0) })),
      snapshot: await snapshotStates(o),
      pageCacheBytes: o.cache?.size ?? 0,
      longPollsHeld: o.newEvents?.held ?? 0,
    });
    res.set('Cache-Control', 'no-store');
    res.type(METRICS_CONTENT_TYPE).send(text);
  });

  return router;
}
