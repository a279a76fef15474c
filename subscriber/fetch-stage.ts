// The fetch stage: turns a batch of feed entries into resources ready to write.
// Each entry is screened (an echo of our own change, a resource this sink does
// not take, an entry with nothing to fetch), several events for one resource
// become one, a resource already waiting in the inbox takes the new event into
// its row, and the rest is fetched with one list request per kind and completed
// by the dependency resolver. It writes nothing but inbox rows, so it runs while
// the previous batch is committed.
import { Actions, NODE_ID_PATTERN } from '../shared/protocol.ts';
import type { Action } from '../shared/protocol.ts';
import type { ParsedEntry } from '../shared/feed-types.ts';
import type { Logger } from '../shared/logger.ts';
import { isResourceName } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { appendTo } from './collections.ts';
import { FetchError } from './errors.ts';
import { keyOf } from './dependency-resolver.ts';
import type { DependencyResolver, Graph } from './dependency-resolver.ts';
import type { FeedAddress } from './feed-address.ts';
import type { Inbox, InboxEvent } from './inbox.ts';
import { countNotApplied } from './outcomes.ts';
import type { EntryOutcome, PipelineStats } from './outcomes.ts';
import type { ResourceFetcher } from './resource-fetcher.ts';
import { parseResourcePath } from './resource-fetcher.ts';
import type { Sink, SinkEvent } from './sink.ts';

/** Longest entry content (a REST path) the inbox keeps: atomsync_inbox.content_path. */
export const MAX_CONTENT_PATH_CHARS = 1024;

/** Resources of a failed batch asked alone to tell a failing publisher from failing resources (probe). */
const PROBES = 3;

/** A batch of entries made ready to write: what the commit stage takes. */
export interface FetchedBatch {
  source: FeedAddress;
  /** Outcomes of the entries settled without a write (echoes, skipped, joined, dead). */
  settled: EntryOutcome[];
  /** The events to write, in feed order, one per resource (its last). */
  ready: InboxEvent[];
  /** Their resources and the missing references, fetched. */
  graph: Graph;
  /** Events (indexes into `ready`) for the careful path: deletes, and what a list answer left out. */
  careful: Set<number>;
  /** Events whose representation was refused (by index into `ready`): parked with that error. */
  errors: Map<number, unknown>;
  /** Fetching failed as a whole: every event takes the careful path (once the feed answers again). */
  failed: boolean;
  /** Why, when it failed. */
  failure?: unknown;
}

export interface FetchStageDeps {
  /** This node's id: entries that name it as their origin are echoes of our own changes. */
  nodeId: string;
  sink: Sink;
  fetcher: ResourceFetcher;
  resolver: DependencyResolver;
  inbox: Inbox;
  stats: PipelineStats;
  log: Logger;
  /** Called after an inbox row is created or revived, so it can be scheduled (the retry queue). */
  onParked: (inboxId: number, delayMs: number) => void;
}

export class FetchStage {
  constructor(private readonly d: FetchStageDeps) {}

  /**
   * Entries, in feed order, made ready to write. `pending` names what the batch being committed
   * meanwhile will have written: present, not fetched again.
   */
  async fetch(entries: ParsedEntry[], source: FeedAddress, pending: ReadonlySet<string> = new Set()): Promise<FetchedBatch> {
    const settled: EntryOutcome[] = [];
    const latest = new Map<string, InboxEvent>();
    for (const entry of entries) {
      const ev = await this.screen(entry, source);
      if (typeof ev === 'string') {
        settled.push(ev);
        continue;
      }
      const key = keyOf(ev);
      if (latest.has(key)) settled.push('joined'); // superseded by a later event in this batch
      latest.delete(key); // re-inserted last, so the map keeps feed order of last occurrences
      latest.set(key, ev);
    }
    const events = [...latest.values()];
    const waiting = await this.d.inbox.waiting(events);
    const ready: InboxEvent[] = [];
    for (const ev of events) {
      if (!waiting.has(keyOf(ev))) {
        ready.push(ev);
        continue;
      }
      const id = await this.d.inbox.join(ev);
      if (id !== null) this.d.onParked(id, 0);
      settled.push('joined');
    }
    const b: FetchedBatch = { source, settled, ready, graph: { nodes: new Map(), unavailable: new Map() }, careful: new Set(), errors: new Map(), failed: false };
    if (!this.d.sink.applyBatch || !this.d.sink.transaction) {
      ready.forEach((_, i) => b.careful.add(i)); // a sink without a batch path
      return b;
    }
    try {
      await this.fetchOwn(b);
      if (ready.length > 0) await this.d.resolver.complete(b.graph, source, { pending, cause: toSinkEvent(ready[0]) });
    } catch (err) {
      // The publisher went away mid-batch, say: the careful path, each event failing on its own.
      this.d.log.debug('fetching a batch failed; applying one by one', { events: ready.length, error: err as Error });
      b.failed = true;
      b.failure = err;
    }
    return b;
  }

  /**
   * Whether the source serves any of the batch's resources when asked one at a time: up to
   * PROBES of them (first, middle, last), asked alone. False when every one failed to be fetched
   * (the publisher fails in general: a 5xx, a dropped connection); true as soon as one answers
   * anything else (so the failure was that of some resources, which the careful path sorts out).
   */
  async probe(b: FetchedBatch): Promise<boolean> {
    const asked = b.ready.filter((ev) => ev.action !== 'DELETED');
    if (asked.length === 0) return true;
    const picks = [...new Set([0, Math.floor(asked.length / 2), asked.length - 1])].slice(0, PROBES).map((i) => asked[i]);
    // Asked together, and the first answer decides: a slow one (a trickling link) does not hold up the rest.
    const tries = picks.map(async (ev) => {
      try {
        await this.d.fetcher.fetch(b.source, ev.resource as ResourceName, ev.uuid, ev.contentPath);
      } catch (err) {
        if (err instanceof FetchError) throw err; // not served; anything else is an answer (a 404, a refused representation)
      }
    });
    return Promise.any(tries).then(
      () => true,
      () => false,
    );
  }

  /** The batch's own resources, one list request per kind. */
  private async fetchOwn(b: FetchedBatch): Promise<void> {
    const wanted = new Map<ResourceName, number[]>();
    b.ready.forEach((ev, i) => {
      if (ev.action === 'DELETED') b.careful.add(i); // deletes are rare: the careful path handles them
      else appendTo(wanted, ev.resource as ResourceName, i);
    });
    await Promise.all(
      [...wanted].map(async ([resource, idx]) => {
        const reps = await this.d.fetcher.fetchMany(b.source, resource, idx.map((i) => b.ready[i].uuid));
        for (const i of idx) {
          const rep = reps.get(b.ready[i].uuid);
          if (!rep) {
            b.careful.add(i); // absent: asked alone, it will say why (a 404, most likely)
            continue;
          }
          try {
            const ev = toSinkEvent(b.ready[i]);
            b.graph.nodes.set(keyOf(ev), this.d.resolver.node(ev, rep, true));
          } catch (err) {
            b.errors.set(i, err);
          }
        }
      }),
    );
  }

  /**
   * Sorts out an entry that announces no event we can apply (an echo, a resource this sink
   * does not take, nothing to fetch). Returns its outcome, or the event to apply.
   */
  private async screen(entry: ParsedEntry, source: FeedAddress): Promise<EntryOutcome | InboxEvent> {
    if (entry.origin === this.d.nodeId) return countNotApplied(this.d.stats, 'echo');
    const ev = toEvent(entry, source);
    if ('invalid' in ev) {
      // Nothing to fetch or retry; the entry is recorded as a dead letter so an admin sees it.
      await this.d.inbox.park(
        { resource: 'unknown', uuid: (entry.eventUuid || entry.id).slice(-36), feedUrl: source.key, entryId: entry.id,
          contentPath: entry.contentPath.slice(0, 1000), action: 'UPDATED', origin: (entry.origin ?? '').slice(0, 64), position: entry.position ?? null },
        ev.invalid,
        { dead: true, delayMs: 0 },
      );
      this.d.log.warn('entry parked: no resource to fetch', { feed: source.key, entry: entry.id });
      return countNotApplied(this.d.stats, 'dead');
    }
    if (!isResourceName(ev.resource)) {
      // Cut to the inbox column: a name from the feed can be any length.
      await this.d.inbox.park({ ...ev, resource: ev.resource.slice(0, 64) }, `unknown resource "${ev.resource.slice(0, 64)}"`, { dead: true, delayMs: 0 });
      this.d.log.warn('entry parked: unknown resource', { feed: source.key, entry: entry.id, resource: ev.resource });
      return countNotApplied(this.d.stats, 'dead');
    }
    if (!this.d.sink.accepts(ev.resource)) return countNotApplied(this.d.stats, 'skipped');
    return ev;
  }
}

/** Turns a feed entry into the event it announces, or says why it announces nothing we can use. */
function toEvent(entry: ParsedEntry, source: FeedAddress): InboxEvent | { invalid: string } {
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

/** The event as a sink sees it. */
export function toSinkEvent(ev: InboxEvent): SinkEvent {
  return { resource: ev.resource as ResourceName, uuid: ev.uuid, action: ev.action, origin: ev.origin, feedUrl: ev.feedUrl, entryId: ev.entryId };
}
