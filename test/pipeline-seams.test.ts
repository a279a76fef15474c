// The subscriber's stages joined at their seams, with no network and no database:
// a source that is an in-memory array of pages, a sink that records its calls,
// an in-memory marker store and inbox. The real reader, fetch stage, dependency
// resolver and commit stage run between them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ParsedEntry } from '../shared/feed-types.ts';
import { silentLogger } from '../shared/logger.ts';
import type { ResourceName } from '../shared/resources.ts';
import { RETRY_DEFAULTS } from '../subscriber/backoff.ts';
import { CarefulApplier } from '../subscriber/careful-applier.ts';
import { CommitStage } from '../subscriber/commit-stage.ts';
import { DependencyResolver } from '../subscriber/dependency-resolver.ts';
import type { EntrySource, SourcePage } from '../subscriber/entry-source.ts';
import { FeedAddress } from '../subscriber/feed-address.ts';
import { LagTracker } from '../subscriber/feed-lag.ts';
import { FeedReader } from '../subscriber/feed-reader.ts';
import { FetchStage } from '../subscriber/fetch-stage.ts';
import type { Marker, MarkerAdvance, MarkerStore } from '../subscriber/marker-store.ts';
import { newStats } from '../subscriber/outcomes.ts';
import type { RefValue, RowNode } from '../subscriber/row-tree.ts';
import type { ApplyOutcome, Sink, SinkEvent, SinkItem } from '../subscriber/sink.ts';
import { locationRep } from './helpers/evil-publisher.ts';

const FEED = 'http://clinic.test/openmrs/ws/atomfeed/location/recent';
const uuid = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ref = (n: number) => ({ uuid: uuid(n), display: `loc ${n}`, links: [] });

/** The entry announcing location n, at feed position n. */
function entry(n: number): ParsedEntry {
  return {
    id: `tag:test:${n}`, eventUuid: uuid(900 + n), title: 'location', updated: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    categories: ['location'], contentType: 'application/vnd.atomfeed+xml', contentPath: `/openmrs/ws/rest/v1/location/${uuid(n)}`,
    action: 'CREATED', position: n, origin: 'clinic-a',
  };
}

/** A source over pages held in memory: from the marker's page on, as an HTTP feed reads archives. */
class ArraySource implements EntrySource {
  readonly key = FEED;
  readonly address = new FeedAddress(FEED);
  asked = 0;
  constructor(readonly pagesHeld: SourcePage[]) {}
  async *pages(marker: Marker | null): AsyncGenerator<SourcePage> {
    this.asked++;
    const from = marker?.nextPageUrl ?? marker?.lastPageUrl;
    const start = from ? this.pagesHeld.findIndex((p) => p.url === from) : 0;
    // The marker at the end of the last page: nothing changed.
    if (marker && !marker.nextPageUrl && start === this.pagesHeld.length - 1 && this.pagesHeld[start].entries.at(-1)?.id === marker.lastEntryId) return;
    for (const page of this.pagesHeld.slice(Math.max(0, start))) yield page;
  }
  async check(): Promise<void> {}
}

/** Pages of `perPage` entries for locations 1..n; the last page is the working page. */
function arrayFeed(n: number, perPage: number): ArraySource {
  const pages: SourcePage[] = [];
  for (let first = 1, i = 1; first <= n; first += perPage, i++) {
    const entries = Array.from({ length: Math.min(perPage, n - first + 1) }, (_, k) => entry(first + k));
    pages.push({ url: `${FEED.replace('recent', String(i))}`, entries, next: null });
  }
  pages.forEach((p, i) => (p.next = pages[i + 1]?.url ?? null));
  return new ArraySource(pages);
}

/** A sink that keeps what it is given and records each call; resources it "has" are in a set. */
class RecordingSink implements Sink {
  readonly calls: string[] = [];
  readonly held = new Set<string>();
  readonly conn = { fake: 'connection' } as never;
  accepts(resource: ResourceName): boolean {
    return resource === 'location';
  }
  async has(r: RefValue): Promise<boolean> {
    return this.held.has(`${r.resource}/${r.uuid}`);
  }
  async hasMany(refs: RefValue[]): Promise<Set<string>> {
    return new Set(refs.map((r) => `${r.resource}/${r.uuid}`).filter((k) => this.held.has(k)));
  }
  async transaction<T>(work: (conn: never) => Promise<T>): Promise<T> {
    this.calls.push('begin');
    const out = await work(this.conn);
    this.calls.push('commit');
    return out;
  }
  async applyBatch(conn: unknown, items: SinkItem[]): Promise<ApplyOutcome[]> {
    assert.equal(conn, this.conn, 'the batch is written in the transaction the commit stage opened');
    this.calls.push(`batch ${items.map((it) => it.ev.uuid.slice(-2)).join(',')}`);
    for (const it of items) this.held.add(`${it.ev.resource}/${it.ev.uuid}`);
    return items.map(() => 'applied');
  }
  async apply(ev: SinkEvent, _tree: RowNode): Promise<ApplyOutcome> {
    this.calls.push(`apply ${ev.uuid.slice(-2)}`);
    this.held.add(`${ev.resource}/${ev.uuid}`);
    return 'applied';
  }
  async remove(): Promise<ApplyOutcome> {
    return 'absent';
  }
}

function pipeline(source: ArraySource, reps: Map<string, Record<string, unknown>>, entryBatch: number) {
  const sink = new RecordingSink();
  const moves: Array<{ to: MarkerAdvance; inTransaction: boolean }> = [];
  let marker: Marker | null = null;
  const markers = {
    async get() {
      return marker;
    },
    async advance(feedUrl: string, to: MarkerAdvance, from: { lastEntryId: string | null } | null, conn?: unknown) {
      // As MarkerStore does: only from where the reader last left it.
      if ((from?.lastEntryId ?? null) !== (marker?.lastEntryId ?? null)) {
        sink.calls.push(`marker refused at ${to.lastPosition}`);
        return false;
      }
      moves.push({ to, inTransaction: conn === sink.conn });
      sink.calls.push(`marker ${to.lastPosition}`);
      marker = { feedUrl, lastEntryId: to.lastEntryId, lastPageUrl: to.lastPageUrl, lastPosition: to.lastPosition ?? 0, lastSeq: to.lastSeq,
        nextPageUrl: to.nextPageUrl, eventsSeen: (marker?.eventsSeen ?? 0) + to.consumed };
      return true;
    },
    async recordPoll() {},
  } as unknown as MarkerStore;
  const fetcher = {
    async fetchMany(_s: unknown, _r: unknown, uuids: string[]) {
      return new Map(uuids.filter((u) => reps.has(u)).map((u) => [u, reps.get(u)!]));
    },
    async fetch(_s: unknown, _r: unknown, u: string) {
      return reps.get(u)!;
    },
  } as never;
  const inbox = { waiting: async () => new Set(), settleOlder: async () => 0, park: async () => 1 } as never;
  const stats = newStats();
  const resolver = new DependencyResolver(sink, fetcher);
  const common = { sink, inbox, stats, log: silentLogger, onParked: () => undefined };
  const stages = {
    fetch: new FetchStage({ ...common, nodeId: 'hq', fetcher, resolver }),
    commit: new CommitStage({ ...common, resolver, careful: new CarefulApplier(sink, fetcher, silentLogger), markers, policy: RETRY_DEFAULTS }),
  };
  const reader = new FeedReader(source, stages, markers, new LagTracker(), silentLogger, { entryBatch });
  return { reader, sink, moves, stats };
}

test('pages from an array source are applied in batches, references first, each with its marker move in its transaction', async () => {
  // Locations 1-6, two to a page; location 3's parent is 5 (later in the feed), and 6's is 99,
  // which is in no entry at all: both must be written before what points at them.
  const reps = new Map<string, Record<string, unknown>>();
  for (let n = 1; n <= 6; n++) reps.set(uuid(n), locationRep(uuid(n), `loc ${n}`));
  reps.set(uuid(3), locationRep(uuid(3), 'loc 3', { parentLocation: ref(5) }));
  reps.set(uuid(6), locationRep(uuid(6), 'loc 6', { parentLocation: ref(99) }));
  reps.set(uuid(99), locationRep(uuid(99), 'loc 99'));
  const source = arrayFeed(6, 2);
  const { reader, sink, moves, stats } = pipeline(source, reps, 4);

  const pass = await reader.pass();
  assert.deepEqual(pass, { caughtUp: true, entries: 6, pages: 3 });
  assert.deepEqual(sink.calls, [
    'begin', 'batch 01,02,05,03,04', 'marker 4', 'commit', // pages 1-2: 3's parent, 5, fetched as a dependency and written before it
    'begin', 'batch 05,99,06', 'marker 6', 'commit', // page 3: 5's own event (the same state again), and 99 fetched for 6
  ]);
  assert.deepEqual(moves.map((m) => [m.to.lastPosition, m.to.lastPageUrl.slice(-1), m.to.nextPageUrl, m.inTransaction]), [
    [4, '2', source.pagesHeld[2].url, true],
    [6, '3', null, true],
  ]);
  assert.equal(stats.applied, 6);
  assert.equal(stats.dependencies, 2);
  assert.equal(reader.lag(Date.now()).markerPosition, 6);

  // Read again: nothing new, nothing written, the marker stays.
  sink.calls.length = 0;
  assert.deepEqual(await reader.pass(), { caughtUp: true, entries: 0, pages: 0 });
  assert.deepEqual(sink.calls, []);
});

test('an event the batch cannot hold takes the careful path after the batch, and the marker moves after both', async () => {
  const reps = new Map<string, Record<string, unknown>>();
  reps.set(uuid(1), locationRep(uuid(1), 'loc 1'));
  // 2 and 3 are each the other's parent: a cycle, which only the careful path writes (in two passes).
  reps.set(uuid(2), locationRep(uuid(2), 'loc 2', { parentLocation: ref(3) }));
  reps.set(uuid(3), locationRep(uuid(3), 'loc 3', { parentLocation: ref(2) }));
  const { reader, sink, moves } = pipeline(arrayFeed(3, 3), reps, 10);
  assert.equal((await reader.pass()).caughtUp, true);
  assert.deepEqual(sink.calls, [
    'begin', 'batch 01', 'commit',
    'apply 03', 'apply 02', 'apply 03', 'apply 02', // event 2: 3 without its parent, 2, then both in full
    'apply 03', // event 3: its parent is here now
    'marker 3',
  ]);
  assert.deepEqual(moves.map((m) => m.inTransaction), [false], 'the marker moves once, after the careful path');
});

test('a batch that ends on an empty working page leaves the marker on the page of its last entry, to read on from the next', async () => {
  const reps = new Map([1, 2].map((n) => [uuid(n), locationRep(uuid(n), `loc ${n}`)]));
  const source = arrayFeed(2, 2);
  const working = { url: FEED.replace('recent', '2'), entries: [], next: null };
  source.pagesHeld[0].next = working.url;
  source.pagesHeld.push(working);
  const { reader, moves } = pipeline(source, reps, 10);
  assert.equal((await reader.pass()).caughtUp, true);
  // Not page 2, where entry 2 is not: the next read would not find it there and fall back to positions.
  assert.deepEqual(moves.map((m) => [m.to.lastEntryId, m.to.lastPageUrl, m.to.nextPageUrl]), [['tag:test:2', source.pagesHeld[0].url, working.url]]);
  assert.deepEqual(await reader.pass(), { caughtUp: true, entries: 0, pages: 1 });
  assert.equal(moves.length, 1, 'nothing new: the marker stays');
});
