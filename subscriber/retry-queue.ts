// Schedules inbox retries on a BullMQ queue. Redis only holds the schedule:
// the inbox table is the truth, and a reconciler re-adds the job of any row
// that is overdue, so a flushed or restarted Redis costs a delay, never an event.
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
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

export const RETRY_QUEUE_DEFAULTS = { concurrency: 4, reconcileMs: 5_000, overdueMs: 10_000 } as const;

interface RetryJob {
  inboxId: number;
}

export class RetryQueue {
  private queue: Queue<RetryJob> | null = null;
  private worker: Worker<RetryJob> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private connections: Redis[] = [];
  private reconciling = false;

  constructor(
    private readonly o: RetryQueueOptions,
    private readonly inbox: Inbox,
    private readonly handle: (inboxId: number) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const queueConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    const workerConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: null });
    this.connections = [queueConn, workerConn];
    for (const c of this.connections) c.on('error', (err) => this.log.debug('redis connection error', { error: err }));
    this.queue = new Queue<RetryJob>(this.o.queueName, { connection: queueConn });
    this.queue.on('error', (err) => this.log.warn('retry queue error', { error: err }));
    this.worker = new Worker<RetryJob>(this.o.queueName, (job: Job<RetryJob>) => this.handle(job.data.inboxId), {
      connection: workerConn,
      concurrency: this.o.concurrency ?? RETRY_QUEUE_DEFAULTS.concurrency,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 100 },
    });
    this.worker.on('error', (err) => this.log.warn('retry worker error', { error: err }));
    await this.reconcile(0);
    this.timer = setInterval(() => void this.reconcile(this.o.overdueMs ?? RETRY_QUEUE_DEFAULTS.overdueMs), this.o.reconcileMs ?? RETRY_QUEUE_DEFAULTS.reconcileMs);
  }

  /** Connects only the producer side (for the CLI: queue a retry for the running subscriber). */
  async startProducerOnly(): Promise<void> {
    const queueConn = new Redis(this.o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    queueConn.on('error', () => undefined);
    this.connections = [queueConn];
    this.queue = new Queue<RetryJob>(this.o.queueName, { connection: queueConn });
    this.queue.on('error', () => undefined);
  }

  /** Asks for a retry of an inbox row after delayMs. A failure here is harmless: the reconciler catches up. */
  async schedule(inboxId: number, delayMs: number, tag = ''): Promise<void> {
    if (!this.queue) return;
    try {
      const row = await this.inbox.get(inboxId);
      if (!row || row.status !== 'pending') return;
      await withTimeout(
        this.queue.add('retry', { inboxId }, { jobId: `inbox-${inboxId}-${row.attempts}${tag}`, delay: Math.max(0, delayMs) }),
        2_000,
      );
    } catch (err) {
      this.log.warn('could not schedule a retry; the reconciler will', { inboxId, error: err as Error });
    }
  }

  /** Re-adds jobs for pending rows overdue by more than graceMs (their job was lost with Redis). */
  async reconcile(graceMs: number): Promise<number> {
    if (this.reconciling || !this.queue) return 0;
    this.reconciling = true;
    try {
      const rows = await this.inbox.due(1000, graceMs);
      for (const r of rows) await this.schedule(r.id, 0, graceMs > 0 ? `-r${Date.now()}` : '');
      if (rows.length > 0 && graceMs > 0) this.log.info('rescheduled overdue retries', { count: rows.length });
      return rows.length;
    } catch (err) {
      this.log.warn('reconciling the retry queue failed', { error: err as Error });
      return 0;
    } finally {
      this.reconciling = false;
    }
  }

  async counts(): Promise<Record<string, number>> {
    if (!this.queue) return {};
    return withTimeout(this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed'), 2_000).catch(() => ({}));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.worker?.close().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    for (const c of this.connections) c.disconnect();
  }
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
