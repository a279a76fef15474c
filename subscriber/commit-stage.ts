// The commit stage: writes a fetched batch and settles its bookkeeping, all or
// nothing. When every event of the batch can go in the batch write, one
// transaction holds the writes (through the sink), the inbox rows they settle
// and the marker move past them, so no crash can leave the marker behind or
// ahead of what it covers. What cannot go in it (a delete, a resource a list
// answer left out, a cycle) takes the careful path after the batch, one event at
// a time; what fails is parked in the inbox; the marker then moves on its own.
import type { PoolConnection } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { retryDelayMs } from './backoff.ts';
import type { RetryPolicy } from './backoff.ts';
import type { ApplyResult, CarefulApplier } from './careful-applier.ts';
import { keyOf } from './dependency-resolver.ts';
import type { DependencyResolver, Node } from './dependency-resolver.ts';
import { isRetryable } from './errors.ts';
import { Semaphore } from './semaphore.ts';
import { toSinkEvent } from './fetch-stage.ts';
import type { FetchedBatch } from './fetch-stage.ts';
import type { Inbox, InboxEvent } from './inbox.ts';
import type { MarkerAdvance, MarkerPoint, MarkerStore } from './marker-store.ts';
import { countApplied, countNotApplied, describeError } from './outcomes.ts';
import type { EntryOutcome, PipelineStats } from './outcomes.ts';
import type { Sink } from './sink.ts';

/** Where the marker goes after a batch: from where its reader last left it (`from`) to `to`; `to` null: it stays. */
export interface MarkerMove {
  feed: string;
  from: MarkerPoint | null;
  to: MarkerAdvance | null;
}

export interface CommitResult {
  /** The batch's entries: those settled while fetching, then one per event written. */
  outcomes: EntryOutcome[];
  /** 'taken': another process moved the marker first, and it was left where that one put it. */
  marker: 'moved' | 'taken' | 'stayed';
}

type Result = { ok: ApplyResult } | { error: unknown };

export interface CommitStageDeps {
  sink: Sink;
  resolver: DependencyResolver;
  careful: CarefulApplier;
  inbox: Inbox;
  markers: MarkerStore;
  policy: RetryPolicy;
  stats: PipelineStats;
  log: Logger;
  onParked: (inboxId: number, delayMs: number) => void;
}

export class CommitStage {
  /**
   * Batch writes of different feeds take turns. Clinics share metadata (every clinic's first
   * batches insert the same concepts, locations and types), and concurrent transactions on the
   * same new rows deadlock: with 8 feeds, a batch in four was rolled back and written again, one
   * took 9.6 s and then went one by one. The writes are the database's work either way; the
   * fetching of the next batches goes on meanwhile.
   */
  private readonly writeTurn = new Semaphore(1);

  constructor(private readonly d: CommitStageDeps) {}

  async commit(b: FetchedBatch, move: MarkerMove): Promise<CommitResult> {
    const results: Array<Result | undefined> = new Array(b.ready.length);
    for (const [i, err] of b.errors) results[i] = { error: err };
    const careful = new Set(b.careful);
    const t0 = performance.now();
    const inBatch = b.failed ? null : await this.writeBatch(b, results, careful, move);
    const t1 = performance.now();
    b.ready.forEach((_, i) => {
      if (!results[i]) careful.add(i);
    });
    for (const i of careful) results[i] = await this.applyCarefully(b.ready[i], b);
    const outcomes = [...b.settled];
    const done: InboxEvent[] = [];
    for (const [i, r] of results.entries()) {
      if (r && 'ok' in r) {
        done.push(b.ready[i]);
        outcomes.push(countApplied(this.d.stats, r.ok));
      } else outcomes.push(await this.park(b.ready[i], r?.error, b.source.key));
    }
    // Bookkeeping the batch's transaction did not do is done now.
    const settled = inBatch ? inBatch.settled : await this.d.inbox.settleOlder(done);
    const marker = inBatch?.marker ?? (await this.moveMarker(move));
    if (settled > 0) this.d.log.info('waiting events made obsolete by newer ones were settled', { count: settled });
    this.d.log.debug('batch committed', { events: b.ready.length, careful: careful.size, batchMs: Math.round(t1 - t0), carefulMs: Math.round(performance.now() - t1) });
    return { outcomes, marker };
  }

  /**
   * The batch write: the graph references-first in one transaction. When it holds every event,
   * the inbox bookkeeping and the marker move go in that transaction too (and are returned);
   * otherwise the events it leaves out are added to `careful`. Failing as a whole, it rolls
   * back and every event takes the careful path.
   */
  private async writeBatch(b: FetchedBatch, results: Array<Result | undefined>, careful: Set<number>, move: MarkerMove) {
    if (b.graph.nodes.size === 0) return null;
    // Whatever depends on something unavailable, or sits in a cycle, is left out of the order.
    const ordered = this.d.resolver.order(b.graph);
    const inOrder = new Set(ordered.map((n) => keyOf(n.ev)));
    b.ready.forEach((ev, i) => {
      if (!results[i] && !inOrder.has(keyOf(ev))) careful.add(i);
    });
    const whole = careful.size === 0 && b.errors.size === 0;
    const bookkeeping: { done: boolean; settled: number; marker?: CommitResult['marker'] } = { done: false, settled: 0 };
    try {
      const applied = await this.writeTurn.run(() => this.d.sink.transaction!(async (conn) => {
        const outcomes = await this.d.sink.applyBatch!(conn, ordered);
        if (whole) {
          bookkeeping.settled = await this.d.inbox.settleOlder(b.ready, conn);
          bookkeeping.marker = move.to ? await this.moveMarker(move, conn) : undefined;
          bookkeeping.done = true;
        }
        return outcomes;
      }));
      this.record(b, ordered, applied, results);
      return bookkeeping.done ? bookkeeping : null;
    } catch (err) {
      this.d.log.debug('batch failed; applying one by one', { events: b.ready.length, error: err as Error });
      return null;
    }
  }

  /** Each event's outcome from the batch write; the references written for them are counted on the first. */
  private record(b: FetchedBatch, ordered: Node[], applied: string[], results: Array<Result | undefined>): void {
    const byKey = new Map(ordered.map((n, i) => [keyOf(n.ev), applied[i]]));
    let dependencies = ordered.filter((n) => !n.own).length;
    b.ready.forEach((ev, i) => {
      const outcome = byKey.get(keyOf(ev));
      if (results[i] || outcome === undefined) return;
      results[i] = { ok: { outcome: outcome as ApplyResult['outcome'], dependencies } };
      dependencies = 0;
    });
  }

  private async applyCarefully(ev: InboxEvent, b: FetchedBatch): Promise<Result> {
    try {
      return { ok: await this.d.careful.apply(toSinkEvent(ev), b.source, ev.contentPath) };
    } catch (err) {
      return { error: err };
    }
  }

  /** Moves the marker (in the batch's transaction when `conn` is given); with nowhere to go, records the poll. */
  private async moveMarker(m: MarkerMove, conn?: PoolConnection): Promise<CommitResult['marker']> {
    if (!m.to) {
      await this.d.markers.recordPoll(m.feed, null);
      return 'stayed';
    }
    return (await this.d.markers.advance(m.feed, m.to, m.from, conn)) ? 'moved' : 'taken';
  }

  private async park(ev: InboxEvent, err: unknown, feed: string): Promise<EntryOutcome> {
    const dead = !isRetryable(err) || this.d.policy.maxAttempts <= 1;
    const delayMs = retryDelayMs(1, this.d.policy);
    const id = await this.d.inbox.park(ev, describeError(err), { dead, delayMs });
    this.d.log.warn(dead ? 'event is a dead letter' : 'event parked for retry', {
      feed, entry: ev.entryId, resource: ev.resource, uuid: ev.uuid, error: describeError(err),
    });
    if (!dead) this.d.onParked(id, delayMs);
    return countNotApplied(this.d.stats, dead ? 'dead' : 'parked');
  }
}
