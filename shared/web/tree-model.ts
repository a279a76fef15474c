// A node's place in the tree, as both admin UIs draw it (tree-svg.ts): the nodes it reads
// (atomsync_marker, one row per feed its subscribers read) and the nodes that read it
// (atomsync_subscriber_position, one row per reader and feed), each an edge with what flows on
// it and how far behind it is. Pure: rows and the clock in, edges out.
//
// Which side a peer is on, and which way data flows, follow from the kind of feed (README, "A
// tree, both ways"): a node reads the level above as its catchment and the levels below through
// their `all` feeds. So:
//
//   this node reads a catchment feed          -> the peer is a parent, data flows down to this node
//   this node reads an `all` (or a resource) feed -> the peer is a child, data flows up to this node
//   a reader of this node's catchment feed    -> the reader is a child, data flows down to it
//   a reader of this node's `all` (or resource) feed -> the reader is a parent, data flows up to it
//
// A node that mirrors its parent's whole `all` feed (no --catchment) is drawn as reading a child:
// nothing in the feed's address tells the two apart.
import { ALL_CATEGORY, CATCHMENT_PREFIX } from '../protocol.ts';
import { ago } from './ago.ts';

export type LagState = 'ok' | 'behind' | 'failing' | 'never';
export type Side = 'parent' | 'child';
export type Flow = 'down' | 'up';

export interface TreeEdge {
  side: Side;
  flow: Flow;
  /** Who reads whom: `reads` when this node reads the peer's feed, `read-by` when the peer reads this node's. */
  reading: 'reads' | 'read-by';
  /** The peer's label: a feed's host, or a reader's node id (else `user {the user it signs in as}`). */
  peer: string;
  /** More about the peer: the feed's address, or the reader's user. */
  peerDetail: string;
  /** The feed's category as in its URL (`all`, `patient`, `catchment~{uuid}...`). */
  feed: string;
  /** Short form of the feed for the picture: `all`, `catchment 6f1c2a0e`, `catchment 6f1c2a0e +2`. */
  feedLabel: string;
  transport: string;
  state: LagState;
  /** What the lag is, in a few words ("2 s ago", "12 events behind", "failing: 503 ..."). */
  lagText: string;
}

export interface TreeModel {
  nodeId: string;
  parents: TreeEdge[];
  children: TreeEdge[];
}

/** A feed this node reads: a row of atomsync_marker, times as ISO 8601. */
export interface MarkerRow {
  feedUrl: string;
  lastSuccessAt: string | null;
  lastPollAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  newestChangedAt: string | null;
  /** Entries seen but not consumed, when the process that draws knows (its own readers' lag). */
  eventsBehind?: number;
}

/** A reader of one of this node's feeds. */
export interface ReaderRow {
  /** The user it signs in as. */
  user: string;
  /** The node id it named in x-atomsync-subscriber, when known. */
  node: string | null;
  feed: string;
  position: number;
  /** The feed's newest position, when known. */
  feedCount: number | null;
  seenAt: string;
  transport?: string;
}

export interface TreeOptions {
  /** A feed read successfully longer ago than this is behind; default 5 min. */
  staleMs: number;
  /** A reader silent longer than this is failing; default 1 h. */
  silentMs: number;
}

export const TREE_DEFAULTS: TreeOptions = { staleMs: 5 * 60_000, silentMs: 60 * 60_000 };

export function buildTree(o: { nodeId: string; markers: MarkerRow[]; readers: ReaderRow[]; now: number } & Partial<TreeOptions>): TreeModel {
  const opts: TreeOptions = { staleMs: o.staleMs ?? TREE_DEFAULTS.staleMs, silentMs: o.silentMs ?? TREE_DEFAULTS.silentMs };
  const edges = [...o.markers.map((m) => markerEdge(m, o.now, opts)), ...o.readers.map((r) => readerEdge(r, o.now, opts))];
  const byPeer = (a: TreeEdge, b: TreeEdge) => a.peer.localeCompare(b.peer) || a.feed.localeCompare(b.feed) || a.reading.localeCompare(b.reading);
  return {
    nodeId: o.nodeId,
    parents: edges.filter((e) => e.side === 'parent').sort(byPeer),
    children: edges.filter((e) => e.side === 'child').sort(byPeer),
  };
}

export function isCatchmentFeed(category: string): boolean {
  return category.startsWith(CATCHMENT_PREFIX);
}

/** `catchment~6f1c2a0e-...~9a...` -> `catchment 6f1c2a0e +1`; other categories as they are. */
export function feedLabel(category: string): string {
  if (!isCatchmentFeed(category)) return category;
  const uuids = category.slice(CATCHMENT_PREFIX.length).split('~').filter(Boolean);
  return `catchment ${(uuids[0] ?? '').slice(0, 8)}${uuids.length > 1 ? ` +${uuids.length - 1}` : ''}`;
}

/** The category and host of a feed's recent URL; the URL itself when it is not one. */
export function feedParts(feedUrl: string): { host: string; category: string; transport: string } {
  try {
    const u = new URL(feedUrl);
    const parts = u.pathname.split('/').filter(Boolean);
    const category = parts.length >= 2 ? decodeURIComponent(parts[parts.length - 2]!) : ALL_CATEGORY;
    return { host: u.host, category, transport: u.protocol === 'https:' ? 'HTTPS' : 'HTTP' };
  } catch {
    return { host: feedUrl, category: '?', transport: '?' };
  }
}

function markerEdge(m: MarkerRow, now: number, o: TreeOptions): TreeEdge {
  const { host, category, transport } = feedParts(m.feedUrl);
  const down = isCatchmentFeed(category);
  return {
    side: down ? 'parent' : 'child',
    flow: down ? 'down' : 'up',
    reading: 'reads',
    peer: host,
    peerDetail: m.feedUrl,
    feed: category,
    feedLabel: feedLabel(category),
    transport,
    ...markerLag(m, now, o),
  };
}

/** A feed this node reads: failing while its last error is newer than its last success, behind when its reads are old or entries wait. */
export function markerLag(m: MarkerRow, now: number, o: TreeOptions = TREE_DEFAULTS): { state: LagState; lagText: string } {
  const success = m.lastSuccessAt ? Date.parse(m.lastSuccessAt) : null;
  const error = m.lastError && m.lastErrorAt ? Date.parse(m.lastErrorAt) : null;
  if (error !== null && (success === null || error >= success)) return { state: 'failing', lagText: `failing: ${oneLine(m.lastError!)}` };
  if (success === null) return { state: 'never', lagText: 'never read' };
  const age = now - success;
  if (m.eventsBehind && m.eventsBehind > 0) return { state: 'behind', lagText: `${m.eventsBehind.toLocaleString('en-US')} events behind` };
  if (age > o.staleMs) return { state: 'behind', lagText: `last read ${ago(age)}` };
  const newest = m.newestChangedAt ? ` · newest change ${ago(now - Date.parse(m.newestChangedAt))}` : '';
  return { state: 'ok', lagText: `read ${ago(age)}${newest}` };
}

function readerEdge(r: ReaderRow, now: number, o: TreeOptions): TreeEdge {
  const down = isCatchmentFeed(r.feed);
  return {
    side: down ? 'child' : 'parent',
    flow: down ? 'down' : 'up',
    reading: 'read-by',
    peer: r.node ?? `user ${r.user}`,
    peerDetail: `user ${r.user}`,
    feed: r.feed,
    feedLabel: feedLabel(r.feed),
    transport: r.transport ?? 'HTTP',
    ...readerLag(r, now, o),
  };
}

/** A reader: behind by the events it has not been sent, failing when silent for long. */
export function readerLag(r: ReaderRow, now: number, o: TreeOptions = TREE_DEFAULTS): { state: LagState; lagText: string } {
  const silent = now - Date.parse(r.seenAt);
  const behind = r.feedCount === null ? null : Math.max(0, r.feedCount - r.position);
  if (silent > o.silentMs) return { state: 'failing', lagText: `silent for ${ago(silent).replace(/ ago$/, '')}` };
  if (behind !== null && behind > 0) return { state: 'behind', lagText: `${behind.toLocaleString('en-US')} event${behind === 1 ? '' : 's'} behind` };
  if (silent > o.staleMs) return { state: 'behind', lagText: `last seen ${ago(silent)}` };
  return { state: 'ok', lagText: `${behind === 0 ? 'caught up · ' : ''}seen ${ago(silent)}` };
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
