// Wires the subscriber's stages: one fetch stage, one commit stage, one
// dependency resolver and one careful path shared by every feed, and per feed a
// source (the Atom feed over HTTP) and a reader that runs them (feed-reader.ts).
import type { ParseFeedOptions } from './atom/parse.ts';
import type { ParsedPage } from '../shared/feed-types.ts';
import type { Logger } from '../shared/logger.ts';
import type { RetryPolicy } from './backoff.ts';
import { CarefulApplier } from './careful-applier.ts';
import { CommitStage } from './commit-stage.ts';
import { DependencyResolver } from './dependency-resolver.ts';
import type { FeedAddress } from './feed-address.ts';
import { LagTracker } from './feed-lag.ts';
import { FeedReader } from './feed-reader.ts';
import { FetchStage } from './fetch-stage.ts';
import type { HttpClient } from './http-client.ts';
import { HttpFeedSource } from './http-feed-source.ts';
import type { Inbox, InboxEvent } from './inbox.ts';
import { InboxRetry } from './inbox-retry.ts';
import type { MarkerStore } from './marker-store.ts';
import type { PipelineStats } from './outcomes.ts';
import type { LocalStates, ResourceFetcher } from './resource-fetcher.ts';
import type { EntrySource } from './entry-source.ts';

/** A source whose resources are in hand: its entries, and the states they name and refer to. */
export interface LocalSource {
  source: EntrySource;
  states: LocalStates;
}
import { Semaphore } from './semaphore.ts';
import type { Sink } from './sink.ts';

export interface PipelineParts {
  sources: FeedAddress[];
  /** Sources that carry their own states (bundles read from files), read by the same stages. */
  local?: LocalSource[];
  sink: Sink;
  fetcher: ResourceFetcher;
  http: HttpClient;
  inbox: Inbox;
  markers: MarkerStore;
  stats: PipelineStats;
  /** This node's id: entries from it are echoes of its own changes. */
  nodeId: string;
  policy: RetryPolicy;
  entryBatch: number;
  /** Headers identifying this subscriber to publishers. */
  headers: Record<string, string>;
  parse: (xml: string, opts: ParseFeedOptions) => Promise<ParsedPage>;
  log: Logger;
  /** Schedules an inbox row's next attempt (the retry queue). */
  onParked: (inboxId: number, delayMs: number) => void;
  /** Aborted when the subscriber stops: ends the long polls held open. */
  signal?: AbortSignal;
  /** Told of each committed batch's events (duplicate detection on arrival). */
  committed?: (events: readonly InboxEvent[]) => void;
}

/**
 * Batches held in memory at once, all feeds together: one feed uses two (the next one fetched while
 * the last one commits); thirty feeds with a batch each waiting for its turn to commit held 773 MiB.
 */
const BATCHES_IN_MEMORY = 4;

export function buildPipeline(p: PipelineParts): { readers: FeedReader[]; retrier: InboxRetry } {
  const { sink, fetcher, inbox, markers, stats, policy, onParked } = p;
  const resolver = new DependencyResolver(sink, fetcher);
  const careful = new CarefulApplier(sink, fetcher, p.log.child({ part: 'careful' }));
  const log = p.log.child({ part: 'events' });
  const stages = {
    fetch: new FetchStage({ nodeId: p.nodeId, sink, fetcher, resolver, inbox, stats, log, onParked }),
    commit: new CommitStage({ sink, resolver, careful, inbox, markers, policy, stats, log, onParked }),
  };
  const batches = new Semaphore(BATCHES_IN_MEMORY);
  const readers = p.sources.map((address) => {
    const lag = new LagTracker();
    const source = new HttpFeedSource(address, p.http, {
      entriesAhead: 2 * p.entryBatch, // about two batches: the next batch's pages are there when it is fetched
      headers: p.headers,
      parse: p.parse,
      seen: (page) => lag.observe(page.entries),
      signal: p.signal,
    });
    return new FeedReader(source, stages, markers, lag, p.log.child({ feed: address.key }), {
      entryBatch: p.entryBatch,
      maxPagesPerPass: 1000, // a pass ends early anyway when stop() is called
      batches,
      committed: p.committed,
    });
  });
  const options = { entryBatch: p.entryBatch, maxPagesPerPass: 1000, batches, committed: p.committed };
  for (const l of p.local ?? []) {
    fetcher.serveLocally(l.source.key, l.states);
    const lag = new LagTracker();
    const newest = l.source.newestInHand?.();
    if (newest) lag.observe([newest]);
    readers.push(new FeedReader(l.source, stages, markers, lag, p.log.child({ feed: l.source.key }), options));
  }
  return { readers, retrier: new InboxRetry({ careful, inbox, policy, stats, log, onParked }) };
}
