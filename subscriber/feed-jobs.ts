// Several subscriber processes on one HQ database share its feeds (`subscribe --share-feeds`).
//
// Each feed is one BullMQ job, whose id is made from the feed's key, so every process adds the
// same job and the queue holds it once. A process reads the feeds whose jobs it holds until it
// stops or hands one over for balance, then puts the job back in line for another. BullMQ's lock is
// what makes a feed one process's at a time: the worker renews it while it reads the feed; a process
// that dies stops renewing, and BullMQ's stalled-job check puts the job back in line within
// lockMs + stalledCheckMs, for another process to take. Nothing here is a lease of our own.
//
// If a process loses a lock while it still runs (its event loop stalled past lockMs), its hold is
// cut short; until it notices, two processes may read the same feed, which is harmless: applies
// are idempotent upserts, and a marker moves only from where its reader left it (marker-store.ts).
//
// Balance: every balanceMs a process counts the queue's workers (connected processes) and holds
// at most its share of the feeds, ceil(feeds / processes): it hands a surplus back, and a job it
// takes while full goes back for a second, for a process with room. (Its worker's concurrency
// stays at the number of feeds: BullMQ's worker does not look for more jobs when its concurrency
// is raised while it is full.) A killed process's connections close, so the survivors' shares
// grow at the next count.
import { createHash } from 'node:crypto';
import { DelayedError, Queue, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';

export interface FeedSharingOptions {
  redisUrl: string;
  /** The queue of the feed jobs; every process of one HQ database must use the same. */
  queueName: string;
  /** How long a process's hold on a feed lasts without renewal (it is renewed every lockMs / 2). */
  lockMs?: number;
  /** How often workers look for jobs whose holder stopped renewing. */
  stalledCheckMs?: number;
  /** How often a process counts the others and adjusts its share. */
  balanceMs?: number;
}

export const FEED_SHARING_DEFAULTS = { lockMs: 10_000, stalledCheckMs: 5_000, balanceMs: 3_000 } as const;

/** The feed queue of a node unless told otherwise (`--feeds-queue`). */
export function feedQueueName(nodeId: string): string {
  return `atomsync-feeds-${nodeId}`;
}

/** The job id of a feed: the same in every process, whatever the feed's credentials. */
export function feedJobId(feedKey: string): string {
  return `feed-${createHash('sha256').update(feedKey).digest('hex').slice(0, 32)}`;
}

interface FeedJob {
  feed: string;
}

/** A process's hold on a feed ends when `signal` aborts: at stop, for balance, or when its lock was lost. */
export interface Hold {
  signal: AbortSignal;
}

const DISCONNECT_MS = 200;
/** A feed no process here reads is put back for this long (its job may be another configuration's). */
const UNKNOWN_FEED_DELAY_MS = 60_000;
/** A feed taken by a process that holds its share already is put back for this long. */
const OVER_SHARE_DELAY_MS = 1_000;

export class FeedJobs {
  private queue: Queue<FeedJob> | null = null;
  private worker: Worker<FeedJob> | null = null;
  private connections: Redis[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** The holds running here, by feed key. */
  private readonly holds = new Map<string, { jobId: string; cut: AbortController }>();
  /** Jobs whose lock this process lost while running them: no longer ours to hand back. */
  private readonly lost = new Set<string>();
  private readonly warnedUnknown = new Set<string>();
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private share: number;
  private readonly o: Required<FeedSharingOptions>;

  constructor(
    opts: FeedSharingOptions,
    private readonly feeds: ReadonlySet<string>,
    private readonly readFeed: (feed: string, hold: Hold) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.o = { ...FEED_SHARING_DEFAULTS, ...opts };
    this.share = Math.max(1, feeds.size);
  }

  /** The feeds this process runs now. */
  held(): string[] {
    return [...this.holds.keys()];
  }

  async start(): Promise<void> {
    const queueConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, disconnectTimeout: DISCONNECT_MS });
    const workerConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: null, disconnectTimeout: DISCONNECT_MS });
    this.connections = [queueConn, workerConn];
    for (const c of this.connections) c.on('error', (err) => this.log.debug('redis connection error (feed jobs)', { error: err }));
    await ready(queueConn, 5_000).catch((err: Error) => {
      throw new Error(`--share-feeds needs Redis, and ${this.o.redisUrl.replace(/\/\/[^@/]*@/, '//')} did not answer: ${err.message}`);
    });
    this.queue = new Queue<FeedJob>(this.o.queueName, { connection: queueConn });
    this.queue.on('error', (err) => this.log.warn('feed queue error', { error: err }));
    await this.addJobs();
    this.share = await this.fairShare();
    this.worker = new Worker<FeedJob>(this.o.queueName, (job, token, signal) => this.process(job, token, signal), {
      connection: workerConn,
      concurrency: Math.max(1, this.feeds.size),
      lockDuration: this.o.lockMs,
      stalledInterval: this.o.stalledCheckMs,
      // A feed's job is never done: however often its holder died, it goes back in line.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 100 },
    });
    this.worker.on('error', (err) => this.log.warn('feed worker error', { error: err }));
    this.worker.on('lockRenewalFailed', (ids: string[]) => this.onLockLost(ids));
    this.timer = setInterval(() => void this.rebalance(), this.o.balanceMs);
    this.log.info('sharing feeds with the other processes of this database', { queue: this.o.queueName, feeds: this.feeds.size, share: this.share });
  }

  /** One job per feed. A job left failed or completed (by an older version, or by hand) is put back. */
  private async addJobs(): Promise<void> {
    for (const feed of this.feeds) {
      const jobId = feedJobId(feed);
      const existing = await this.queue!.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        if (state === 'failed' || state === 'completed') await existing.remove().catch(() => undefined);
        else continue;
      }
      await this.queue!.add('feed', { feed }, { jobId, removeOnComplete: true, removeOnFail: 100 });
    }
  }

  /** ceil(feeds / processes connected to the queue), this one included. */
  private async fairShare(): Promise<number> {
    const workers = await this.queue!.getWorkersCount().catch(() => 0);
    const processes = Math.max(1, workers + (this.worker ? 0 : 1));
    return Math.max(1, Math.ceil(this.feeds.size / processes));
  }

  private async rebalance(): Promise<void> {
    if (this.stopped || !this.worker) return;
    try {
      const share = await this.fairShare();
      if (share !== this.share) this.log.info('share of the feeds changed', { from: this.share, to: share });
      this.share = share;
      // Hold no more than the share: the surplus goes back in line for a process with room.
      const surplus = [...this.holds.values()].slice(share);
      for (const s of surplus) s.cut.abort('handed over for balance');
    } catch (err) {
      this.log.debug('could not count the processes sharing the feeds', { error: err as Error });
    }
  }

  private onLockLost(ids: string[]): void {
    for (const id of ids) {
      this.lost.add(id);
      for (const [feed, s] of this.holds) {
        if (s.jobId !== id) continue;
        this.log.warn('lost the hold on a feed (this process was too slow to renew it); another process takes it', { feed });
        s.cut.abort('lock lost');
      }
    }
  }

  private async process(job: Job<FeedJob>, token: string | undefined, signal?: AbortSignal): Promise<void> {
    const feed = job.data.feed;
    if (!this.feeds.has(feed)) {
      if (!this.warnedUnknown.has(feed)) this.log.warn('a feed job for a feed this process was not given; left for a process that was', { feed });
      this.warnedUnknown.add(feed);
      await job.moveToDelayed(Date.now() + UNKNOWN_FEED_DELAY_MS, token);
      throw new DelayedError();
    }
    if (this.holds.size >= this.share) {
      await job.moveToDelayed(Date.now() + OVER_SHARE_DELAY_MS, token);
      throw new DelayedError();
    }
    const cut = new AbortController();
    const onAbort = () => cut.abort('cancelled');
    signal?.addEventListener('abort', onAbort);
    if (this.stopped) cut.abort('stopping');
    this.holds.set(feed, { jobId: job.id!, cut });
    this.log.info('took a feed', { feed, job: job.id });
    try {
      await this.readFeed(feed, { signal: cut.signal });
    } catch (err) {
      this.log.error('reading a feed failed; the feed goes back in line', { feed, error: err as Error });
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.holds.delete(feed);
    }
    if (this.lost.delete(job.id!)) throw new DelayedError(); // another process holds it now: nothing to hand back
    // Said before it happens: the next holder's "took a feed" always comes after this line.
    this.log.info('handed a feed back', { feed, job: job.id, why: cut.signal.aborted ? String(cut.signal.reason) : 'its reading ended' });
    await job.moveToWait(token);
    throw new WaitingError();
  }

  /** Ends every hold and hands each feed back at once, so the other processes take them without waiting for a lock to expire. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.holds.values()) s.cut.abort('stopping');
    await this.worker?.close().catch((err) => this.log.warn('closing the feed worker failed', { error: err as Error }));
    await this.queue?.close().catch(() => undefined);
    for (const c of this.connections) c.disconnect();
  }
}

/** Resolves once the connection is ready; rejects on its first error or after ms. */
function ready(conn: Redis, ms: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      conn.off('ready', onReady);
      conn.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const timer = setTimeout(() => done(new Error(`no answer in ${ms / 1000} s`)), ms);
    conn.once('ready', onReady);
    conn.once('error', done);
  });
}
