// Schedules inbox retries on a BullMQ queue. Redis only holds the schedule:
// the inbox table is the truth, and a reconciler re-adds the job of any row
// that is overdue, so a flushed or restarted Redis costs a delay, never an event.
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
import { withoutPassword } from '../shared/start-errors.ts';
import type { Inbox } from './inbox.ts';

export interface RetryQueueOptions {
  redisUrl: string;
  queueName: string;
  /** Retries run at once. */
  concurrency?: number;
  /** How often the inbox is checked for rows whose job went missing. */
  reconcileMs?: number;
  /** A row this late is taken to have lost its job. */
  overdueMs?: number;
}

/**
 * How long disconnect() waits for a socket to close before destroying it. ioredis's 2 s timer also
 * runs for a socket that never connected (Redis down), and held the process that long after stop().
 */
const DISCONNECT_MS = 200;

/** The queue a node's retries are scheduled on unless told otherwise (`--queue`). */
export function retryQueueName(nodeId: string): string {
  return `atomsync-retry-${nodeId}`;
}

export const RETRY_QUEUE_DEFAULTS = { concurrency: 4, reconcileMs: 5_000, overdueMs: 10_000 } as const;

interface RetryJob {
  inboxId: number;
}

export class RetryQueue {
  private queue: Queue<RetryJob> | null = null;
  private worker: Worker<RetryJob> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private connections: Redis[] = [];
  private reconciling: Promise<number> | null = null;
  /** Redis did not answer last time: said once at warn, then quiet until it is back. */
  private redisDown = false;
  private stopped = false;

  constructor(
    private readonly o: RetryQueueOptions,
    private readonly inbox: Inbox,
    private readonly handle: (inboxId: number) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const queueConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, disconnectTimeout: DISCONNECT_MS });
    const workerConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: null, disconnectTimeout: DISCONNECT_MS });
    this.connections = [queueConn, workerConn];
    for (const c of this.connections) {
      c.on('error', (err) => this.onError('redis connection error', err));
      c.on('ready', () => this.onReady());
    }
    this.queue = new Queue<RetryJob>(this.o.queueName, { connection: queueConn });
    this.queue.on('error', (err) => this.onError('retry queue error', err));
    this.worker = new Worker<RetryJob>(this.o.queueName, (job: Job<RetryJob>) => this.handle(job.data.inboxId), {
      connection: workerConn,
      concurrency: this.o.concurrency ?? RETRY_QUEUE_DEFAULTS.concurrency,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 100 },
    });
    this.worker.on('error', (err) => this.onError('retry worker error', err));
    // Not awaited: reading feeds never waits for Redis. stop() waits for it.
    void this.reconcile(0);
    this.timer = setInterval(() => void this.reconcile(this.o.overdueMs ?? RETRY_QUEUE_DEFAULTS.overdueMs), this.o.reconcileMs ?? RETRY_QUEUE_DEFAULTS.reconcileMs);
  }

  /** Connects only the producer side (for the CLI: queue a retry for the running subscriber). */
  async startProducerOnly(): Promise<void> {
    const queueConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, disconnectTimeout: DISCONNECT_MS });
    queueConn.on('error', () => undefined);
    this.connections = [queueConn];
    this.queue = new Queue<RetryJob>(this.o.queueName, { connection: queueConn });
    this.queue.on('error', () => undefined);
  }

  /**
   * Asks for a retry of an inbox row after delayMs; false when Redis did not take it.
   * A failure here is harmless: the reconciler catches up.
   */
  async schedule(inboxId: number, delayMs: number, tag = ''): Promise<boolean> {
    // After stop() (a retry that was running as the subscriber stopped): the next start's reconciler schedules it.
    if (!this.queue || this.stopped) return false;
    try {
      const row = await this.inbox.get(inboxId);
      if (!row || row.status !== 'pending') return true;
      await withTimeout(
        this.queue.add('retry', { inboxId }, { jobId: `inbox-${inboxId}-${row.attempts}${tag}`, delay: Math.max(0, delayMs) }),
        2_000,
      );
      return true;
    } catch (err) {
      // While Redis is known to be down this is expected, and was said once already.
      const level = this.redisDown ? 'debug' : 'warn';
      this.log[level]('could not schedule a retry; the reconciler will', { inboxId, error: err as Error });
      return false;
    }
  }

  /** Re-adds jobs for pending rows overdue by more than graceMs (their job was lost with Redis). Returns how many. */
  reconcile(graceMs: number): Promise<number> {
    if (this.reconciling || !this.queue) return Promise.resolve(0);
    return (this.reconciling = this.reconcileNow(graceMs).finally(() => (this.reconciling = null)));
  }

  private async reconcileNow(graceMs: number): Promise<number> {
    try {
      const rows = await this.inbox.due(1000, graceMs);
      let done = 0;
      for (const r of rows) {
        // One that Redis did not take means Redis is down: the rest wait for the next pass, not 2 s each.
        if (!(await this.schedule(r.id, 0, graceMs > 0 ? `-r${Date.now()}` : ''))) break;
        done++;
      }
      if (done > 0 && graceMs > 0) this.log.info('rescheduled overdue retries', { count: done });
      return done;
    } catch (err) {
      this.log.warn('reconciling the retry queue failed', { error: err as Error });
      return 0;
    }
  }

  /**
   * The connections, the queue and the worker each report a lost Redis, again on every reconnect:
   * the first report says Redis is down, the rest (until it answers again) are debug.
   */
  private onError(what: string, err: Error): void {
    if (this.redisDown) {
      this.log.debug(what, { error: err });
      return;
    }
    if (!isConnectionError(err)) {
      this.log.warn(what, { error: err });
      return;
    }
    this.redisDown = true;
    this.log.warn('Redis does not answer; feeds are read on, and retries wait in the database until it is back', {
      redis: withoutPassword(this.o.redisUrl),
      error: err,
    });
  }

  private onReady(): void {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.log.info('Redis answers again; retries are scheduled through it', { redis: withoutPassword(this.o.redisUrl) });
  }

  async counts(): Promise<Record<string, number>> {
    if (!this.queue) return {};
    return withTimeout(this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed'), 2_000).catch(() => ({}));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.reconciling;
    await this.worker?.close().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    for (const c of this.connections) c.disconnect();
  }
}

/** A system error of the socket (ECONNREFUSED, ENOTFOUND, ETIMEDOUT...), as opposed to Redis answering with an error. */
function isConnectionError(err: Error): boolean {
  return /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code ?? '');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
