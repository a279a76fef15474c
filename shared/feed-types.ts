// The two seams of the feed: what the publisher renders and what the subscriber parses.
import type { Action } from './protocol.ts';

/** One published event, as stored in atomsync_event. */
export interface FeedEvent {
  /** Node-wide sequence number: gap-free, in commit order. */
  seq: number;
  /** Position within the feed being rendered (per-resource number, or seq for the `all` feed). */
  position: number;
  eventUuid: string;
  resource: string;
  /** uuid of the changed resource. */
  uuid: string;
  action: Action;
  /** Node where the change was first made. */
  origin: string;
  /** When the change committed on its node (ISO 8601, UTC). */
  changedAt: string;
  /** When the relay published it (ISO 8601, UTC). */
  publishedAt: string;
}

/** Everything needed to render one feed document. */
export interface FeedPageModel {
  nodeId: string;
  /** Stable id shared by every page of this feed (urn:uuid:...). */
  feedId: string;
  /** Resource name, or `all`. */
  category: string;
  /** Page number, from 1. */
  page: number;
  /** Positions the page holds: firstPosition .. firstPosition + pageSize - 1. */
  pageSize: number;
  /** The page's first position; (page-1)*pageSize+1 when absent (a feed never re-paged, see publisher/paging.ts). */
  firstPosition?: number;
  /** Number of the working page (the newest, not yet complete). */
  newestPage: number;
  /** Rendered at `recent` (the subscription document) rather than at `/{page}`. */
  asRecent: boolean;
  /** Origin for absolute links, e.g. `http://127.0.0.1:8081`. */
  baseUrl: string;
  /** Feed `updated`: newest entry's changedAt, or a fixed time for an empty feed. */
  updated: string;
  events: FeedEvent[];
}

export interface ParsedEntry {
  /** atom:id, e.g. tag:atomfeed.ict4h.org:{eventUuid}. */
  id: string;
  eventUuid: string;
  title: string;
  updated: string;
  published?: string;
  /** Category terms in document order (resource, action, ...). */
  categories: string[];
  contentType: string;
  /** REST path of the resource (content of the entry). */
  contentPath: string;
  resource?: string;
  action?: string;
  seq?: number;
  position?: number;
  origin?: string;
}

export interface ParsedPage {
  id: string;
  title: string;
  updated: string;
  /** href by rel; a rel appearing twice keeps the first. */
  links: Record<string, string>;
  /** fh:archive present: the page is complete and will never change. */
  archive: boolean;
  entries: ParsedEntry[];
}
