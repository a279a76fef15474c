// A running subscriber: the pipeline's stages, one reader per feed, the retry
// queue, the status page. run() until stop(); once() catches up, retries what it can and returns.
export { SUBSCRIBER_DEFAULTS, nextPassInMs } from './subscriber-options.ts';
export type { SubscriberOptions } from './subscriber-options.ts';
import { FeedParserThread } from './atom/parse-thread.ts';
import { SUBSCRIBER_DEFAULTS } from './subscriber-options.ts';
import type { SubscriberOptions } from './subscriber-options.ts';
import { SUBSCRIBER_HEADER } from '../shared/protocol.ts';
import { openPool, queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { readMeta } from '../shared/schema/migrate.ts';
import { explainDbError, explainListenError } from '../shared/start-errors.ts';
import { RETRY_DEFAULTS } from './backoff.ts';
import { FeedAddress } from './feed-address.ts';
import { FeedJobs, feedQueueName } from './feed-jobs.ts';
import type { FeedLag } from './feed-lag.ts';
import { FeedLoop, Naps } from './feed-loop.ts';
import { HttpClient } from './http-client.ts';
import { Inbox } from './inbox.ts';
import type { InboxRetry } from './inbox-retry.ts';
import { buildPipeline } from './pipeline.ts';
import { DuplicateWatcher } from './duplicates/watcher.ts';
import { mergePatients } from './duplicates/merge.ts';
import type { InboxEvent } from './inbox.ts';
import { BUNDLE_FEED_PREFIX } from './bundle/bundle-source.ts';
import { MarkerStore } from './marker-store.ts';
import { MysqlSink } from './mysql/mysql-sink.ts';
import { ResourceFetcher } from './resource-fetcher.ts';
import { newStats } from './outcomes.ts';
import { RetryQueue, retryQueueName } from './retry-queue.ts';
import { Semaphore } from './semaphore.ts';
import type { Sink } from './sink.ts';
import { collectStatus } from './status.ts';
import type { StatusReport } from './status.ts';
import { StatusServer } from './status-server.ts';

export class Subscriber {
  private pool!: Pool;
  private http!: HttpClient;
  private loops: FeedLoop[] = [];
  private inbox!: Inbox;
  private retrier!: InboxRetry;
  /** What the pipeline did since start. */
  readonly stats = newStats();
  private queue: RetryQueue | null = null;
  /** With shareFeeds: which feeds this process runs is decided by their jobs in Redis. */
  private sharing: FeedJobs | null = null;
  private stopping = false;
  private readonly naps = new Naps();
  /** Aborts the long polls held open when stop() is called. */
  private readonly stopSignal = new AbortController();
  private statusServer: StatusServer | null = null;
  private duplicates: DuplicateWatcher | null = null;
  private readonly startedAt = Date.now();
  private readonly parser = new FeedParserThread(undefined, (why) => this.log.warn(why));
  nodeId = '';
  /** The status page's URL once started with httpPort. */
  statusUrl: string | null = null;

  constructor(
    private readonly o: SubscriberOptions,
    private readonly log: Logger,
  ) {}

  /** Opens everything; one that fails closes again what it opened, so nothing keeps the process alive. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (err) {
      await this.stop().catch(() => undefined);
      await this.close().catch(() => undefined);
      throw err;
    }
  }

  private async open(): Promise<void> {
    if (this.o.feeds.length === 0 && !this.o.local?.length) throw new Error('no feeds to read: give at least one --feed URL');
    const sources = this.o.feeds.map((f) => new FeedAddress(f, this.o.feedOptions));
    this.pool = openPool(this.o.dbUrl, { connectionLimit: this.o.dbConnections ?? SUBSCRIBER_DEFAULTS.dbConnections });
    this.nodeId = await this.checkNodeId();
    const identity = { [SUBSCRIBER_HEADER]: this.nodeId };
    this.http = new HttpClient({ userAgent: `atomsync-subscriber/${this.nodeId}`, ...this.o.http }, this.log.child({ part: 'http' }));
    const sink = await (this.o.sink
      ? this.o.sink(this.pool, this.log)
      : this.auditUser().then((fallbackUserId) => MysqlSink.create(this.pool, this.log.child({ part: 'sink' }), { fallbackUserId, nodeId: this.nodeId }))
    ).catch((err) => {
      throw explainDbError(err, this.o.dbUrl);
    });
    const fetcher = new ResourceFetcher(this.http, new Semaphore(this.o.fetchConcurrency ?? SUBSCRIBER_DEFAULTS.fetchConcurrency), {
      headers: identity,
      labels: sink.needsLabels === true,
    });
    this.inbox = new Inbox(this.pool);
    // Made here, started below (after the status page): parked events are scheduled on it.
    const queue = this.o.redisUrl
      ? new RetryQueue(
          { redisUrl: this.o.redisUrl, queueName: this.o.queueName ?? retryQueueName(this.nodeId), concurrency: this.o.retryConcurrency },
          this.inbox,
          async (id) => void (await this.retryRow(id)),
          this.log.child({ part: 'retry' }),
        )
      : null;
    this.queue = queue;
    const pipeline = buildPipeline({
      sources, local: this.o.local, sink, fetcher, http: this.http, inbox: this.inbox, markers: new MarkerStore(this.pool), stats: this.stats, nodeId: this.nodeId,
      policy: { ...RETRY_DEFAULTS, ...this.o.retry }, entryBatch: this.o.entryBatch ?? SUBSCRIBER_DEFAULTS.entryBatch, headers: identity,
      parse: (xml, opts) => this.parser.parse(xml, opts), log: this.log, signal: this.stopSignal.signal,
      committed: (await this.startDuplicateWatcher()) ?? undefined,
      onParked: queue ? (id, delayMs) => void queue.schedule(id, delayMs) : () => undefined,
    });
    this.retrier = pipeline.retrier;
    const loopOptions = {
      pollMs: this.o.pollMs ?? SUBSCRIBER_DEFAULTS.pollMs,
      longPollS: this.o.longPollS ?? SUBSCRIBER_DEFAULTS.longPollS,
      maxFeedBackoffMs: this.o.maxFeedBackoffMs ?? SUBSCRIBER_DEFAULTS.maxFeedBackoffMs,
    };
    const markers = new MarkerStore(this.pool);
    this.loops = pipeline.readers.map((r) => new FeedLoop(r, loopOptions, markers, this.naps, this.log));
    // The status page first: a port that is taken fails the start before the retry worker takes jobs.
    await this.startStatusPage();
    await this.queue?.start();
    await this.startSharing();
    this.log.info('subscriber started', { nodeId: this.nodeId, feeds: sources.map((s) => s.key), retryQueue: Boolean(this.queue) });
  }

  /** Detection on arrival, where wanted and the database has atomsync_duplicate (`migrate` makes it). */
  private async startDuplicateWatcher(): Promise<((events: readonly InboxEvent[]) => void) | null> {
    if (!this.o.detectDuplicates || this.o.sink) return null;
    const [{ n }] = await queryRows<{ n: number }>(this.pool, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'atomsync_duplicate'");
    if (Number(n) === 0) {
      this.log.info('duplicate patients are not looked for on arrival: this database has no atomsync_duplicate table (run atomsync migrate)');
      return null;
    }
    const watcher = (this.duplicates = new DuplicateWatcher(this.pool, this.log.child({ part: 'duplicates' })));
    return (events) => watcher.batchCommitted(events);
  }

  /** The database's node id, which --node-id (when given) must match. */
  private async checkNodeId(): Promise<string> {
    const meta = await readMeta(this.pool).catch((err) => {
      throw explainDbError(err, this.o.dbUrl);
    });
    if (!meta.node_id) throw new Error("the subscriber's database has no node id; run `atomsync migrate --node-id ...` first");
    if (this.o.nodeId && this.o.nodeId !== meta.node_id) {
      throw new Error(
        `--node-id ${this.o.nodeId} does not match the database's node id ${meta.node_id}: give --node-id ${meta.node_id}, or the --db of node ${this.o.nodeId}`,
      );
    }
    return meta.node_id;
  }

  private async startStatusPage(): Promise<void> {
    if (this.o.httpPort === undefined) return;
    if (!this.o.adminUsers?.size) throw new Error('the status page needs admin users (--admin-users name:password)');
    this.statusServer = new StatusServer(
      { port: this.o.httpPort, host: this.o.httpHost, users: this.o.adminUsers },
      {
        status: () => this.statusReport(), retryDead: (ids) => this.retryDead(ids), db: this.pool, nodeId: this.nodeId,
        // Conflicts are recorded, and settled, by atomsync's own MySQL sink only.
        conflictsUserId: this.o.sink ? undefined : (this.o.auditUserId ?? 1),
        mergeDuplicates: this.o.sink ? undefined : async (pairId, keep, drop) => void (await mergePatients(this.pool, { keep, drop, pairId, userId: this.o.auditUserId ?? 1 })),
      },
      this.log.child({ part: 'status-page' }),
    );
    this.statusUrl = await this.statusServer.start().catch((err) => {
      throw explainListenError(err, '--http-port', '--http-host');
    });
  }

  /** With shareFeeds, joins the other processes of this database in taking the feeds' jobs. */
  private async startSharing(): Promise<void> {
    if (!this.o.shareFeeds) return;
    if (!this.o.redisUrl) throw new Error('sharing feeds between processes needs Redis (--redis)');
    const byKey = new Map(this.loops.map((l) => [l.health.feed, l]));
    this.sharing = new FeedJobs(
      { ...this.o.shareFeeds, redisUrl: this.o.redisUrl, queueName: this.o.shareFeeds.queueName ?? feedQueueName(this.nodeId) },
      new Set(byKey.keys()),
      (feed, hold) => byKey.get(feed)!.run(() => this.stopping, hold),
      this.log.child({ part: 'feed-jobs' }),
    );
    await this.sharing.start();
  }

  private async auditUser(): Promise<number> {
    const id = this.o.auditUserId ?? 1;
    const [row] = await queryRows<{ n: number }>(this.pool, 'SELECT COUNT(*) AS n FROM users WHERE user_id = ?', [id]);
    if (Number(row.n) === 0) throw new Error(`--audit-user-id ${id} is not a user in the subscriber's database: give the user_id of one of its users`);
    return id;
  }

  /**
   * Reads every feed until stop(). Each feed has its own loop, so one failing feed never holds up
   * another. When sharing, the feeds whose jobs this process holds.
   */
  async run(): Promise<void> {
    if (this.sharing) {
      const stopped = this.stopSignal.signal;
      if (!stopped.aborted) await new Promise((resolve) => stopped.addEventListener('abort', resolve, { once: true }));
      await this.sharing.stop(); // ends the holds and hands their feeds back
      return;
    }
    await Promise.all(this.loops.map((l) => l.run(() => this.stopping)));
  }

  /**
   * Catches up every feed, then retries parked events while that makes progress.
   * Events that still cannot be applied stay in the inbox (pending or dead). Returns counts.
   */
  async once(): Promise<{ applied: number; pending: number; dead: number }> {
    const errors = (await Promise.all(this.loops.map((l) => l.catchUp()))).filter((e): e is string => e !== null);
    // Only the rows of the sources this process reads: `atomsync import` must not judge a feed's.
    const mine = new Set(this.loops.map((l) => l.health.feed));
    for (let pass = 0; pass < 20; pass++) {
      const rows = (await this.inbox.list('pending', 100_000)).filter((r) => mine.has(r.feedUrl));
      if (rows.length === 0) break;
      let progress = 0;
      for (const row of rows) if ((await this.retryRow(row.id)) === 'applied') progress++;
      if (progress === 0) break;
    }
    await this.duplicates?.idle(); // a catch-up that returns has looked at what it wrote
    const counts = await this.inbox.counts();
    if (errors.length > 0) throw new Error(`some feeds could not be read:\n  ${errors.join('\n  ')}`);
    return { applied: this.stats.applied, ...counts };
  }

  private async retryRow(id: number): Promise<'applied' | 'pending' | 'dead' | 'gone'> {
    const row = await this.inbox.get(id);
    if (!row || row.status !== 'pending') return 'gone';
    const loop = this.loops.find((l) => l.health.feed === row.feedUrl);
    // A bundle's rows are retried by the next `atomsync import` of that origin, with the states it held back.
    if (!loop && row.feedUrl.startsWith(BUNDLE_FEED_PREFIX)) return 'pending';
    return this.retrier.retry(row, loop?.reader.source.address);
  }

  /** Where each feed read here stands, for progress lines: its lag as far as the pages fetched tell, and whether a pass reached its end. */
  progress(now: number): Array<{ feed: string; lag: FeedLag; caughtUp: boolean }> {
    const held = new Set(this.feedsHeld());
    return this.loops
      .filter((l) => held.has(l.health.feed))
      .map((l) => ({ feed: l.health.feed, lag: l.reader.lag(now), caughtUp: l.health.caughtUp }));
  }

  /** Everything the status page shows. */
  async statusReport(): Promise<StatusReport> {
    return collectStatus({
      nodeId: this.nodeId,
      startedAt: this.startedAt,
      feeds: this.loops.map((l) => ({
        health: { ...l.health, readElsewhere: this.sharing ? !this.sharing.held().includes(l.health.feed) : undefined },
        lag: (now: number) => l.reader.lag(now),
      })),
      markers: new MarkerStore(this.pool),
      inbox: this.inbox,
      queue: this.queue,
      stats: this.stats,
    });
  }

  /** What `atomsync failed retry` does: dead letters back to pending, each scheduled now. Returns the ids revived. */
  async retryDead(ids: number[] | 'all'): Promise<number[]> {
    const revived = await this.inbox.retry(ids);
    // Without a queue (once mode) they wait in the inbox for the next retry pass.
    for (const id of revived) await this.queue?.schedule(id, 0, `-manual${Date.now()}`);
    if (revived.length > 0) this.log.info('dead letters put back in line', { ids: revived });
    return revived;
  }

  /** The feeds this process reads now: all of them, or when sharing, those whose jobs it holds. */
  feedsHeld(): string[] {
    return this.sharing ? this.sharing.held() : this.loops.map((l) => l.health.feed);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    this.naps.wakeAll();
    await this.sharing?.stop();
    await this.statusServer?.stop();
    await this.queue?.stop();
    await this.duplicates?.stop();
  }

  /** Releases connections; call after run() has returned. */
  async close(): Promise<void> {
    await this.parser.close().catch(() => undefined);
    await this.http?.close().catch(() => undefined);
    await this.pool?.end().catch(() => undefined);
  }
}
