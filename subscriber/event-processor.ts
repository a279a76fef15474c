// Decides what happens to one event: skipped (an echo of our own change, or a
// resource this sink does not take), joined to a waiting inbox row, applied, or
// parked in the inbox with its error. It never throws for a bad event: one
// stuck event must not stop a feed.
import { Actions, NODE_ID_PATTERN } from '../shared/constants.ts';
import type { Action } from '../shared/constants.ts';
import type { PoolConnection } from '../shared/db.ts';
import type { ParsedEntry } from '../shared/feed-types.ts';
import type { Logger } from '../shared/logger.ts';
import { isResourceName } from '../shared/resources.ts';
import type { Applier } from './applier.ts';
import { backoffMs } from './backoff.ts';
import type { BatchApplier, PreparedBatch } from './batch-applier.ts';
import { InvalidResourceError, isRetryable } from './errors.ts';
import type { FeedSource } from './feed-source.ts';
import type { Inbox, InboxEvent, InboxRow } from './inbox.ts';
import { parseResourcePath } from './resource-fetcher.ts';
import type { Sink } from './sink.ts';

export interface RetryPolicy {
  /** Attempts before an event becomes a dead letter. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Longest entry content (a REST path) the inbox keeps: atomsync_inbox.content_path. */
export const MAX_CONTENT_PATH_CHARS = 1024;

export const RETRY_DEFAULTS: RetryPolicy = { maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 10 * 60_000 };

export type EntryOutcome = 'applied' | 'unchanged' | 'superseded' | 'conflict' | 'removed' | 'skipped' | 'echo' | 'joined' | 'parked' | 'dead';

export interface PreparedPage {
  outcomes: EntryOutcome[];
  ready: InboxEvent[];
  batch: PreparedBatch;
  source: FeedSource;
}

export interface ProcessorStats {
  applied: number;
  parked: number;
  dead: number;
  skipped: number;
  dependencies: number;
}

/** The wait before an event's next attempt (`attempt` 1: the first retry): between half and all of the backoff's bound. */
export function retryDelayMs(attempt: number, p: RetryPolicy, random = Math.random): number {
  return backoffMs(Math.max(0, attempt - 1), p.baseDelayMs, p.maxDelayMs, random, 0.5);
}

/** What an EventProcessor works with. */
export interface EventProcessorDeps {
  /** This node's id: entries that name it as their origin are echoes of our own changes. */
  nodeId: string;
  sink: Sink;
  /** The careful one-by-one path (retries, and what leaves a batch). */
  applier: Applier;
  batch: BatchApplier;
  inbox: Inbox;
  policy: RetryPolicy;
  log: Logger;
  /** Called after an inbox row is created or revived, so it can be scheduled (the retry queue); none by default. */
  onParked?: (inboxId: number, delayMs: number) => void;
}

export class EventProcessor {
  readonly stats: ProcessorStats = { applied: 0, parked: 0, dead: 0, skipped: 0, dependencies: 0 };
  private readonly nodeId: string;
  private readonly sink: Sink;
  private readonly applier: Applier;
  private readonly batch: BatchApplier;
  private readonly inbox: Inbox;
  private readonly policy: RetryPolicy;
  private readonly log: Logger;
  private readonly onParked: (inboxId: number, delayMs: number) => void;

  constructor(d: EventProcessorDeps) {
    this.nodeId = d.nodeId;
    this.sink = d.sink;
    this.applier = d.applier;
    this.batch = d.batch;
    this.inbox = d.inbox;
    this.policy = d.policy;
    this.log = d.log;
    this.onParked = d.onParked ?? (() => undefined);
  }

  /** Turns a feed entry into the event it announces, or says why it announces nothing we can use. */
  private toEvent(entry: ParsedEntry, source: FeedSource): InboxEvent | { invalid: string } {
    if (entry.contentPath.length > MAX_CONTENT_PATH_CHARS) {
      return { invalid: `entry ${entry.id} has a content path longer than ${MAX_CONTENT_PATH_CHARS} characters` };
    }
    const target = parseResourcePath(entry.contentPath);
    if (!target) return { invalid: `entry ${entry.id} has no REST resource path in its content` };
    // The origin is a node id: compared with ours (echoes), and written with every change applied.
    if (entry.origin !== undefined && !NODE_ID_PATTERN.test(entry.origin)) {
      return { invalid: `entry ${entry.id} has an invalid sync:origin ${JSON.stringify(entry.origin.slice(0, 40))}` };
    }
    // List requests ask the feed's own origin by uuid and would never notice where the entry
    // pointed: an entry that points at another host is refused here, the same on every path.
    try {
      source.resolve(entry.contentPath);
    } catch (err) {
      return { invalid: `entry ${entry.id}: ${(err as Error).message}` };
    }
    const action = (Actions as readonly string[]).includes(entry.action ?? '') ? (entry.action as Action) : 'UPDATED';
    return {
      resource: target.resource,
      uuid: target.uuid,
      feedUrl: source.key,
      entryId: entry.id,
      contentPath: entry.contentPath,
      action,
      // An atomfeed publisher that states no origin: the change is that feed's own.
      origin: entry.origin ?? new URL(source.key).host,
      position: entry.position ?? null,
    };
  }

  /**
   * Sorts out an entry that announces no event we can apply (an echo, a resource this sink
   * does not take, nothing to fetch). Returns its outcome, or the event to apply.
   */
  private async screen(entry: ParsedEntry, source: FeedSource): Promise<EntryOutcome | InboxEvent> {
    if (entry.origin === this.nodeId) return this.count('echo');
    const ev = this.toEvent(entry, source);
    if ('invalid' in ev) {
      // Nothing to fetch or retry; the entry is recorded as a dead letter so an admin sees it.
      await this.inbox.park(
        { resource: 'unknown', uuid: (entry.eventUuid || entry.id).slice(-36), feedUrl: source.key, entryId: entry.id,
          contentPath: entry.contentPath.slice(0, 1000), action: 'UPDATED', origin: (entry.origin ?? '').slice(0, 64), position: entry.position ?? null },
        ev.invalid,
        { dead: true, delayMs: 0 },
      );
      this.log.warn('entry parked: no resource to fetch', { feed: source.key, entry: entry.id });
      return this.count('dead');
    }
    if (!isResourceName(ev.resource)) {
      // Cut to the inbox column: a name from the feed can be any length.
      await this.inbox.park({ ...ev, resource: ev.resource.slice(0, 64) }, `unknown resource "${ev.resource.slice(0, 64)}"`, { dead: true, delayMs: 0 });
      this.log.warn('entry parked: unknown resource', { feed: source.key, entry: entry.id, resource: ev.resource });
      return this.count('dead');
    }
    if (!this.sink.accepts(ev.resource)) return this.count('skipped');
    return ev;
  }

  /**
   * A page of entries, in feed order, made ready to write (commitPage writes it). Several events
   * for one resource become one (the resource is fetched in its current state anyway, and the
   * last action decides); a resource already waiting in the inbox takes the new event into its
   * row; the rest is fetched as a batch. Everything short of writing, so it can run while the
   * previous page is committed; `pending` names what that page will have written.
   */
  async preparePage(entries: ParsedEntry[], source: FeedSource, pending?: ReadonlySet<string>): Promise<PreparedPage> {
    const outcomes: EntryOutcome[] = [];
    const latest = new Map<string, InboxEvent>();
    for (const entry of entries) {
      const ev = await this.screen(entry, source);
      if (typeof ev === 'string') outcomes.push(ev);
      else {
        const key = `${ev.resource}/${ev.uuid}`;
        if (latest.has(key)) outcomes.push('joined'); // superseded by a later event on this page
        latest.delete(key); // re-inserted last, so the map keeps feed order of last occurrences
        latest.set(key, ev);
      }
    }
    const events = [...latest.values()];
    const waiting = await this.inbox.waiting(events);
    const ready: InboxEvent[] = [];
    for (const ev of events) {
      if (!waiting.has(`${ev.resource}/${ev.uuid}`)) {
        ready.push(ev);
        continue;
      }
      const id = await this.inbox.join(ev);
      if (id !== null) this.onParked(id, 0);
      outcomes.push('joined');
    }
    const batch = await this.batch.prepare(ready.map((ev) => ({ ev: this.sinkEvent(ev), contentPath: ev.contentPath })), source, pending);
    return { outcomes, ready, batch, source };
  }

  /**
   * Writes a prepared page; what cannot be applied is parked in the inbox. `alongside` (the
   * reader's marker move) runs in the batch's transaction when every event of the page is
   * applied in it, together with the inbox bookkeeping; `p.batch.finishedAlongside` then says so.
   */
  async commitPage(p: PreparedPage, alongside?: (conn: PoolConnection) => Promise<void>): Promise<EntryOutcome[]> {
    let settled = 0;
    const results = await this.batch.commit(p.batch, async (conn) => {
      settled = await this.inbox.settleOlder(p.ready, conn);
      await alongside?.(conn);
    });
    const outcomes = [...p.outcomes];
    const done: InboxEvent[] = [];
    for (let i = 0; i < p.ready.length; i++) {
      const r = results[i];
      if ('ok' in r) done.push(p.ready[i]);
      outcomes.push('ok' in r ? this.applied(r.ok) : await this.parkFailed(p.ready[i], r.error, p.source));
    }
    if (!p.batch.finishedAlongside) settled = await this.inbox.settleOlder(done);
    if (settled > 0) this.log.info('waiting events made obsolete by newer ones were settled', { count: settled });
    return outcomes;
  }

  private async parkFailed(ev: InboxEvent, err: unknown, source: FeedSource): Promise<EntryOutcome> {
    const dead = !isRetryable(err) || this.policy.maxAttempts <= 1;
    const delayMs = retryDelayMs(1, this.policy);
    const id = await this.inbox.park(ev, describe(err), { dead, delayMs });
    this.log.warn(dead ? 'event is a dead letter' : 'event parked for retry', {
      feed: source.key, entry: ev.entryId, resource: ev.resource, uuid: ev.uuid, error: describe(err),
    });
    if (!dead) this.onParked(id, delayMs);
    return this.count(dead ? 'dead' : 'parked');
  }

  /** One retry of an inbox row. Returns its new state. */
  async retry(row: InboxRow, source: FeedSource | undefined): Promise<'applied' | 'pending' | 'dead'> {
    if (!source) {
      await this.inbox.fail(row, `feed ${row.feedUrl} is not configured on this subscriber`, { permanent: true, ...this.policy, delayMs: 0 });
      return 'dead';
    }
    try {
      if (!isResourceName(row.resource)) throw new InvalidResourceError(`unknown resource "${row.resource}"`, row.resource, row.uuid);
      this.applied(await this.applier.apply(this.sinkEvent(row), source, row.contentPath));
      if (await this.inbox.succeed(row)) return 'applied';
      this.onParked(row.id, 0); // a newer event joined while we worked: go again
      return 'pending';
    } catch (err) {
      const delayMs = retryDelayMs(row.attempts + 1, this.policy);
      const state = await this.inbox.fail(row, describe(err), { permanent: !isRetryable(err), maxAttempts: this.policy.maxAttempts, delayMs });
      if (state === 'pending') this.onParked(row.id, delayMs);
      else {
        this.stats.dead++;
        this.log.warn('event is a dead letter', { feed: row.feedUrl, entry: row.entryId, resource: row.resource, uuid: row.uuid, attempts: row.attempts + 1, error: describe(err) });
      }
      return state;
    }
  }

  private sinkEvent(ev: InboxEvent) {
    return { resource: ev.resource as never, uuid: ev.uuid, action: ev.action, origin: ev.origin, feedUrl: ev.feedUrl, entryId: ev.entryId };
  }

  private applied(r: { outcome: string; dependencies: number }): EntryOutcome {
    this.stats.applied++;
    this.stats.dependencies += r.dependencies;
    switch (r.outcome) {
      case 'conflict-local-won':
      case 'conflict-remote-won':
        return 'conflict';
      case 'deleted':
      case 'voided':
      case 'absent':
        return 'removed';
      default:
        return r.outcome as EntryOutcome;
    }
  }

  private count(o: 'echo' | 'skipped' | 'dead' | 'parked'): EntryOutcome {
    if (o === 'echo' || o === 'skipped') this.stats.skipped++;
    else this.stats[o]++;
    return o;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
