// Reads one feed through the pipeline's stages:
//
//   source (pages of entries) -> fetch (resources and their missing references)
//     -> commit (writes, inbox, marker: one transaction)
//
// Pages are gathered until there are `entryBatch` entries. Three things overlap:
// the source fetches pages ahead, the next batch is fetched, and the current one
// is committed. Commits and marker moves stay strictly in order, one batch at a time.
import type { ParsedEntry } from '../shared/feed-types.ts';
import type { Logger } from '../shared/logger.ts';
import type { CommitStage, MarkerMove } from './commit-stage.ts';
import type { EntrySource, PagesOptions, SourcePage } from './entry-source.ts';
import type { FeedLag, LagTracker } from './feed-lag.ts';
import type { FetchedBatch, FetchStage } from './fetch-stage.ts';
import { COPY_ENTRY_PREFIX } from './marker-store.ts';
import type { InboxEvent } from './inbox.ts';
import type { Marker, MarkerPoint, MarkerStore } from './marker-store.ts';
import type { Semaphore } from './semaphore.ts';
import { FetchError } from './errors.ts';

/** Batches in a row whose resources fail with a fetch error before the careful path takes one (FeedReader.fetch). */
export const BATCH_FETCH_FAILURES_MAX = 5;

export interface FeedReaderOptions {
  /** Entries gathered into one batch (whole pages: a batch may hold a few more). */
  entryBatch: number;
  /** Pages read in one pass before yielding (keeps one busy feed from starving shutdown). */
  maxPagesPerPass?: number;
  /**
   * Places for batches held in memory, shared by every feed: a batch takes one before its
   * resources are fetched and gives it back once committed. Bounds memory by this, not by the
   * number of feeds (commits take turns anyway, commit-stage.ts).
   */
  batches?: Semaphore;
  /** Told of each committed batch's events, after the commit (duplicate detection on arrival); must return at once. */
  committed?: (events: readonly InboxEvent[]) => void;
}

export interface PassResult {
  /** Reached the last page and consumed all of it. */
  caughtUp: boolean;
  entries: number;
  pages: number;
}

/** Which entries of a group of pages are new, and where the marker goes after them. */
interface Plan {
  fresh: ParsedEntry[];
  move: MarkerMove;
  /** The marker as it will stand once the plan is committed. */
  after: Marker | null;
}

export class FeedReader {
  /** The marker as this reader last read or wrote it: the only place it may move it from. */
  private stored: MarkerPoint | null = null;
  /** Set when another process moved the marker under this pass: the pass stops and the next starts from there. */
  private markerTaken = false;
  private warnedTaken = false;
  /** Batches in a row whose resources could not be fetched together (see fetch()). */
  private batchFetchFailures = 0;

  constructor(
    readonly source: EntrySource,
    private readonly stages: { fetch: FetchStage; commit: CommitStage },
    private readonly markers: MarkerStore,
    private readonly lagTracker: LagTracker,
    private readonly log: Logger,
    private readonly o: FeedReaderOptions,
  ) {}

  lag(now: number): FeedLag {
    return this.lagTracker.lag(now);
  }

  /**
   * One pass: read everything new. Throws on feed-level trouble (the caller backs off). With
   * `waitS`, a pass that finds nothing new may wait that long for something (long polling).
   */
  async pass(shouldStop: () => boolean = () => false, o?: PagesOptions): Promise<PassResult> {
    const result: PassResult = { caughtUp: false, entries: 0, pages: 0 };
    let marker = await this.markers.get(this.source.key);
    this.stored = marker ? { lastEntryId: marker.lastEntryId, lastPosition: marker.lastPosition } : null;
    this.markerTaken = false;
    this.lagTracker.consumedUpTo(marker?.lastPosition ?? 0);
    const pages = this.source.pages(marker, o)[Symbol.asyncIterator]();
    let committing: Promise<void> = Promise.resolve();
    let pending: ReadonlySet<string> = new Set();
    try {
      for (;;) {
        const { group, last } = await this.gather(pages, shouldStop);
        if (group.length === 0) break;
        result.pages += group.length;
        const plan = this.plan(group, marker);
        marker = plan.after;
        result.entries += plan.fresh.length;
        const release = (await this.o.batches?.acquire()) ?? (() => undefined);
        let committed: Promise<void> | null = null;
        try {
          const fetched = await this.fetch(plan.fresh, pending);
          await committing;
          if (this.markerTaken) return result; // what was just fetched is read again from the marker as it now stands
          pending = new Set(fetched.graph.nodes.keys());
          committed = this.commit(fetched, plan).finally(release);
        } finally {
          if (!committed) release();
        }
        committing = committed;
        committing.catch(() => undefined); // awaited below, or on the next round
        if (last) break;
        if (shouldStop() || (this.o.maxPagesPerPass && result.pages >= this.o.maxPagesPerPass)) {
          await committing;
          return result;
        }
      }
      await committing;
      if (this.markerTaken) return result;
      if (result.pages === 0) await this.markers.recordPoll(this.source.key, null); // nothing new
      else await pages.next(); // tells the source its last page was consumed
      return { ...result, caughtUp: true };
    } catch (err) {
      await committing.catch(() => undefined); // nothing of this pass may still be running when it returns
      throw err;
    } finally {
      await pages.return?.();
    }
  }

  /** Pages until there are entryBatch entries, the last page, or a stop. */
  private async gather(pages: AsyncIterator<SourcePage>, shouldStop: () => boolean) {
    const group: SourcePage[] = [];
    let gathered = 0;
    for (;;) {
      const r = await pages.next();
      if (r.done) return { group, last: true };
      group.push(r.value);
      gathered += r.value.entries.length;
      if (!r.value.next) return { group, last: true };
      if (gathered >= this.o.entryBatch || shouldStop()) return { group, last: false };
    }
  }

  /** Commits a fetched batch, and takes note of where the marker stands after it. */
  private async commit(fetched: FetchedBatch, plan: Plan): Promise<void> {
    // From where the batch before left it: batches are planned ahead, but committed in order.
    plan.move.from = this.stored;
    const { marker } = await this.stages.commit.commit(fetched, plan.move);
    if (marker === 'taken') {
      // Another process moved the marker since this pass read it: writing ours would move it back
      // over that progress. What this batch applied is kept (applies are idempotent); the next
      // pass starts from the marker as it stands.
      this.markerTaken = true;
      this.log[this.warnedTaken ? 'debug' : 'warn']('the marker was moved by another process (a second subscriber on this database?); reading on from it', {
        feed: this.source.key,
      });
      this.warnedTaken = true;
      return;
    }
    if (marker === 'moved') this.stored = { lastEntryId: plan.move.to!.lastEntryId, lastPosition: plan.move.to!.lastPosition ?? 0 };
    this.o.committed?.(fetched.ready);
    if (plan.after) this.lagTracker.consumedUpTo(plan.after.lastPosition);
  }

  /**
   * Fetches a batch's resources. When that failed as a whole, checks first that the source
   * answers at all. Found by test/faults-http.test.ts:
   * - if it went away mid-batch, every event of the batch would go down the careful path,
   *   each waiting out its own timeouts and quick retries in turn (200 events x 3 tries x
   *   --timeout-ms: some 20 minutes at 2 s, two hours at the default 15 s), with no error on
   *   the marker or the status page all that time, and all end up parked. Thrown instead: the
   *   marker stays, the feed backs off and records why, and the page is read again later;
   * - if it answers again (the failure was a passing one), the batch is fetched once more
   *   rather than applied one by one, which took 20 s for 100 events after 5 s of 429s.
   * Fetching twice is harmless: all it writes are inbox upserts (joins, invalid entries), the same again.
   */
  private async fetch(entries: ParsedEntry[], pending: ReadonlySet<string>): Promise<FetchedBatch> {
    const fetched = await this.stages.fetch.fetch(entries, this.source.address, pending);
    if (!fetched.failed) return this.fetchedWhole(fetched);
    await this.source.check(); // throws when the source does not answer
    const again = await this.stages.fetch.fetch(entries, this.source.address, pending);
    if (!again.failed) return this.fetchedWhole(again);
    // The feed answers but the batch's resources failed again. When the publisher fails to serve
    // them one at a time too (out of database connections, answering 500 or 503 to every REST
    // request while its feed pages come from its cache), it is a feed error: logged, on the
    // marker and the status page, and the feed backs off. Found by the many-clinics bench: HQ
    // advanced on no feed for minutes, each batch's events waiting out their retries one by one,
    // saying nothing above debug. When some answer, the failure is some resources' (one that
    // breaks the list response, say): the careful path takes the batch, parking those. And after
    // BATCH_FETCH_FAILURES_MAX such batches in a row it does anyway, so that no resource the
    // publisher cannot serve ever holds up the feed.
    if (again.failure instanceof FetchError && !(await this.stages.fetch.probe(again)) && ++this.batchFetchFailures < BATCH_FETCH_FAILURES_MAX) {
      throw again.failure;
    }
    this.log[this.batchFetchFailures > 0 ? 'warn' : 'debug']('the resources of a batch could not be fetched together; applying them one by one', {
      feed: this.source.key, events: again.ready.length, error: again.failure as Error,
    });
    this.batchFetchFailures = 0;
    return again;
  }

  private fetchedWhole(b: FetchedBatch): FetchedBatch {
    this.batchFetchFailures = 0;
    return b;
  }

  /** Which entries of these pages are new, and where the marker will stand after them. */
  private plan(group: SourcePage[], marker: Marker | null): Plan {
    const fresh: ParsedEntry[] = [];
    let lastEntry: ParsedEntry | undefined;
    // The page of the last entry: an empty page after it (a working page just begun) is not
    // where that entry is, and a marker naming it would not find its entry there next time.
    let lastPage = group[group.length - 1];
    for (const page of group) {
      fresh.push(...this.entriesAfter(page, marker));
      if (page.entries.length > 0) {
        lastEntry = page.entries[page.entries.length - 1];
        lastPage = page;
      }
    }
    const { url: lastPageUrl, next } = lastPage;
    const move: MarkerMove = { feed: this.source.key, from: null, to: null }; // `from` is set when it is committed
    // Nothing new and the same pages: the marker stays.
    if (!lastEntry || (fresh.length === 0 && next === marker?.nextPageUrl && lastPageUrl === marker?.lastPageUrl)) return { fresh, move, after: marker };
    // Pages wholly at or before the marker's position (a marker resuming by position: its entry is
    // gone, or `atomsync clone` set it): the marker moves on to these pages, never back to their entries.
    if (fresh.length === 0 && marker?.lastEntryId && (lastEntry.position ?? Infinity) <= marker.lastPosition) {
      move.to = { lastEntryId: marker.lastEntryId, lastPageUrl, lastPosition: marker.lastPosition, lastSeq: null, nextPageUrl: next, consumed: 0, newestChangedAt: null };
      return { fresh, move, after: { ...marker, lastPageUrl, nextPageUrl: next } };
    }
    move.to = {
      lastEntryId: lastEntry.id,
      lastPageUrl,
      lastPosition: lastEntry.position ?? null,
      lastSeq: lastEntry.seq ?? null,
      nextPageUrl: next,
      consumed: fresh.length,
      newestChangedAt: lastEntry.updated ?? null,
    };
    const after: Marker = {
      feedUrl: this.source.key,
      lastEntryId: lastEntry.id,
      lastPageUrl,
      lastPosition: lastEntry.position ?? marker?.lastPosition ?? 0,
      lastSeq: lastEntry.seq ?? null,
      nextPageUrl: next,
      eventsSeen: (marker?.eventsSeen ?? 0) + fresh.length,
    };
    return { fresh, move, after };
  }

  /** Entries after the marker's. If the marker's entry is gone from its page, position decides. */
  private entriesAfter(page: SourcePage, marker: Marker | null): ParsedEntry[] {
    if (!marker?.lastEntryId) return page.entries;
    const i = page.entries.findIndex((e) => e.id === marker.lastEntryId);
    if (i >= 0) return page.entries.slice(i + 1);
    const positioned = page.entries.every((e) => e.position !== undefined);
    if (page.url === marker.lastPageUrl && !marker.lastEntryId.startsWith(COPY_ENTRY_PREFIX)) {
      this.log.warn('the marker entry is gone from its page; resuming by position', {
        feed: this.source.key, entry: marker.lastEntryId, position: marker.lastPosition, page: page.url,
      });
    }
    if (positioned && marker.lastPosition > 0) return page.entries.filter((e) => (e.position ?? 0) > marker.lastPosition);
    return page.entries; // a feed without positions: re-reading is safe, applies are idempotent
  }
}
