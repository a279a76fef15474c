// FeedReader on a fake feed (rendered pages, an in-memory marker store, a processor that
// applies nothing): its lag, and how it polls once caught up. No network, no database.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderFeedPage } from '../publisher/atom/render.ts';
import { silentLogger } from '../shared/logger.ts';
import { RETRY_DEFAULTS } from '../subscriber/backoff.ts';
import { CommitStage } from '../subscriber/commit-stage.ts';
import { FeedAddress } from '../subscriber/feed-address.ts';
import { LagTracker } from '../subscriber/feed-lag.ts';
import { FeedReader } from '../subscriber/feed-reader.ts';
import type { FeedReaderOptions } from '../subscriber/feed-reader.ts';
import type { FetchStage } from '../subscriber/fetch-stage.ts';
import { HttpFeedSource } from '../subscriber/http-feed-source.ts';
import { newStats } from '../subscriber/outcomes.ts';
import type { HttpClient } from '../subscriber/http-client.ts';
import type { Marker, MarkerAdvance, MarkerStore } from '../subscriber/marker-store.ts';

const BASE = 'http://clinic.test';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const minute = (n: number) => new Date(T0 + n * 60_000).toISOString();

/** A feed of `total` events, `pageSize` a page; event n changed at minute n. */
function fakeHttp(total: { n: number }, pageSize: number) {
  const page = (n: number, asRecent: boolean) => {
    const newestPage = Math.max(1, Math.ceil((total.n + 1) / pageSize));
    const events = [];
    for (let p = (n - 1) * pageSize + 1; p <= Math.min(total.n, n * pageSize); p++) {
      events.push({ seq: p, position: p, eventUuid: `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`, resource: 'location',
        uuid: `10000000-0000-4000-8000-${String(p).padStart(12, '0')}`, action: 'CREATED' as const, origin: 'field-a',
        changedAt: minute(p), publishedAt: minute(p) });
    }
    return renderFeedPage({ nodeId: 'field-a', feedId: 'urn:uuid:00000000-0000-4000-8000-000000000000', category: 'all', page: n, pageSize,
      newestPage, asRecent, baseUrl: BASE, updated: minute(total.n), events });
  };
  /** What was asked for: the page, and whether it was a conditional GET that got a 304. */
  const requests: string[] = [];
  const http = {
    async get(url: string, o: { etag?: string } = {}) {
      const m = /\/all\/([0-9]+|recent)$/.exec(url)!;
      const newest = Math.max(1, Math.ceil((total.n + 1) / pageSize));
      // The working page's ETag depends only on how many events the feed has, as the publisher's does.
      const etag = m[1] === 'recent' ? `"${total.n}"` : undefined;
      if (etag && o.etag === etag) {
        requests.push(`${m[1]} 304`);
        return { notModified: true as const, etag };
      }
      requests.push(m[1]);
      const body = m[1] === 'recent' ? page(newest, true) : page(Number(m[1]), false);
      return { notModified: false as const, body, etag, contentType: 'application/atom+xml' };
    },
  };
  return Object.assign(http as unknown as HttpClient, { requests });
}

function fakeMarkers() {
  let marker: Marker | null = null;
  return {
    async get() {
      return marker;
    },
    async advance(feedUrl: string, a: MarkerAdvance) {
      marker = { feedUrl, lastEntryId: a.lastEntryId, lastPageUrl: a.lastPageUrl, lastPosition: a.lastPosition ?? marker?.lastPosition ?? 0,
        lastSeq: a.lastSeq, nextPageUrl: a.nextPageUrl, eventsSeen: (marker?.eventsSeen ?? 0) + a.consumed };
      return true;
    },
    async recordPoll() {},
  } as unknown as MarkerStore;
}

/** A reader over HTTP whose stages apply nothing: the real commit stage moves the (in-memory) marker. */
function newReader(http: HttpClient, markers: MarkerStore, o: FeedReaderOptions): FeedReader {
  const lag = new LagTracker();
  const address = new FeedAddress(`${BASE}/openmrs/ws/atomfeed/all/recent`);
  const source = new HttpFeedSource(address, http, { entriesAhead: 2 * o.entryBatch, seen: (page) => lag.observe(page.entries) });
  const fetch = {
    async fetch() {
      return { source: address, settled: [], ready: [], graph: { nodes: new Map(), unavailable: new Map() }, careful: new Set(), errors: new Map(), failed: false };
    },
  } as unknown as FetchStage;
  const commit = new CommitStage({
    sink: {} as never, resolver: {} as never, careful: {} as never, inbox: { settleOlder: async () => 0 } as never, markers,
    policy: RETRY_DEFAULTS, stats: newStats(), log: silentLogger, onParked: () => undefined,
  });
  return new FeedReader(source, { fetch, commit }, markers, lag, silentLogger, o);
}

test('lag: newest position seen minus the marker, and the age of the oldest entry not consumed', async () => {
  const total = { n: 12 };
  const reader = newReader(fakeHttp(total, 5), fakeMarkers(), { entryBatch: 5, maxPagesPerPass: 1 });
  const now = T0 + 60 * 60_000;
  assert.deepEqual(reader.lag(now), { markerPosition: 0, newestPosition: 0, newestAt: null, events: 0, seconds: 0 });

  // One page consumed (1-5); the next two (6-10, 11-12) were fetched ahead, two batches' worth:
  // 7 behind, the oldest of them from minute 6. (The fetches ahead are given a moment to land.)
  assert.equal((await reader.pass()).caughtUp, false);
  await new Promise((r) => setTimeout(r, 20));
  const mid = reader.lag(now);
  assert.equal(mid.markerPosition, 5);
  assert.equal(mid.newestPosition, 12);
  assert.equal(mid.newestAt, minute(12));
  assert.equal(mid.events, 7);
  assert.equal(mid.seconds, (60 - 6) * 60);

  // To the working page: caught up.
  while (!(await reader.pass()).caughtUp);
  assert.deepEqual(reader.lag(now), { markerPosition: 12, newestPosition: 12, newestAt: minute(12), events: 0, seconds: 0 });

  // Two new events on the working page, seen by a poll that then consumes them.
  total.n = 14;
  await reader.pass();
  assert.deepEqual(reader.lag(now), { markerPosition: 14, newestPosition: 14, newestAt: minute(14), events: 0, seconds: 0 });
});

test('caught up at the end of a full page, polls ask `recent` by ETag instead of reading the next page again', async () => {
  const total = { n: 10 }; // two full pages of 5: page 3 is the working page, and it is empty
  const http = fakeHttp(total, 5);
  const reader = newReader(http, fakeMarkers(), { entryBatch: 5 });
  while (!(await reader.pass()).caughtUp);
  http.requests.length = 0;
  for (let i = 0; i < 3; i++) assert.equal((await reader.pass()).caughtUp, true);
  assert.deepEqual(http.requests, ['recent', 'recent 304', 'recent 304']);
  // A new event on the working page is found by the next poll and consumed from `recent`.
  total.n = 11;
  await reader.pass();
  assert.equal(reader.lag(T0).markerPosition, 11);
  assert.deepEqual(http.requests.slice(3), ['recent']);
});
