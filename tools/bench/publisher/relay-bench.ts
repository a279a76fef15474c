// Relay measurements: draining a seeded backlog, and keeping up with concurrent writers.
import { queryRows } from '../../../shared/db.ts';
import type { Pool, PoolConnection } from '../../../shared/db.ts';
import type { Logger } from '../../../shared/logger.ts';
import { Relay } from '../../../publisher/relay.ts';
import { perSecond, round, summarize } from '../stats.ts';
import type { LatencySummary } from '../stats.ts';

export interface DrainResult {
  outboxRowsMoved: number;
  eventsPublished: number;
  wallMs: number;
  eventsPerSecond: number;
  outboxRowsPerSecond: number;
  batches: number;
}

export interface WritersResult {
  writers: number;
  rowsPerTransaction: number;
  durationMs: number;
  transactions: number;
  rowsWritten: number;
  writesPerSecond: number;
  transactionsPerSecond: number;
  transactionLatency: LatencySummary;
  /** Largest committed outbox depth sampled while writing. */
  maxOutboxDepth: number;
  outboxSamples: number;
  eventsPublished: number;
  /** From the last commit to an empty outbox. */
  drainAfterLastWriteMs: number;
  /** Per event: from the trigger's insert time (outbox changed_at) to published_at. */
  eventLag: LatencySummary;
}

/** A relay running in the background, counting what it moves. */
export class RelayRunner {
  moved = 0;
  batches = 0;
  private readonly relay: Relay;
  private readonly done: Promise<void>;
  private listeners: Array<() => void> = [];

  constructor(pool: Pool, log: Logger, nodeId: string) {
    this.relay = new Relay(pool, log, {
      nodeId,
      onPublished: (n) => {
        this.moved += n;
        this.batches++;
        for (const l of this.listeners) l();
      },
    });
    this.done = this.relay.run();
  }

  /** Resolves once at least `target` outbox rows have been moved in total. */
  async waitForMoved(target: number, timeoutMs: number): Promise<void> {
    if (this.moved >= target) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`relay moved ${this.moved} of ${target} outbox rows within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (this.moved < target) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  async stop(): Promise<void> {
    this.relay.stop();
    await this.done;
  }
}

export const countRows = async (pool: Pool, table: 'atomsync_outbox' | 'atomsync_event'): Promise<number> =>
  Number((await queryRows<{ n: number }>(pool, `SELECT COUNT(*) AS n FROM ${table}`))[0].n);

/** Starts a relay on a filled outbox and times it until everything present has moved. The relay keeps running. */
export async function drainBacklog(
  pool: Pool,
  log: Logger,
  nodeId: string,
  timeoutMs: number,
): Promise<{ result: DrainResult; relay: RelayRunner }> {
  const backlog = await countRows(pool, 'atomsync_outbox');
  const eventsBefore = await countRows(pool, 'atomsync_event');
  const started = performance.now();
  const relay = new RelayRunner(pool, log, nodeId);
  try {
    await relay.waitForMoved(backlog, timeoutMs);
  } catch (err) {
    await relay.stop();
    throw err;
  }
  const wallMs = performance.now() - started;
  const events = (await countRows(pool, 'atomsync_event')) - eventsBefore;
  return {
    relay,
    result: {
      outboxRowsMoved: relay.moved,
      eventsPublished: events,
      wallMs: round(wallMs),
      eventsPerSecond: perSecond(events, wallMs),
      outboxRowsPerSecond: perSecond(relay.moved, wallMs),
      batches: relay.batches,
    },
  };
}

const INSERT_LOCATION = `INSERT INTO location (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), UUID())`;

interface WritersOptions {
  writers: number;
  rowsPerTransaction: number;
  durationMs: number;
  drainTimeoutMs: number;
  sampleMs: number;
}

/** `writers` connections each commit small transactions of new locations for `durationMs`, while the relay runs. */
export async function writersWithRelay(pool: Pool, opts: WritersOptions): Promise<WritersResult> {
  const [{ seq: seqBefore }] = await queryRows<{ seq: number | null }>(pool, 'SELECT MAX(seq) AS seq FROM atomsync_event');
  const sampler = new OutboxDepthSampler(pool, opts.sampleMs);
  let written: Written;
  try {
    written = await writeLocations(pool, opts);
  } finally {
    await sampler.stop();
  }
  const { commits, rows, started, lastCommitAt } = written;
  const durationMs = lastCommitAt - started;

  // Time from the last commit to an empty outbox, polled closely.
  const waitUntil = performance.now() + opts.drainTimeoutMs;
  while ((await countRows(pool, 'atomsync_outbox')) > 0) {
    if (performance.now() > waitUntil) throw new Error(`outbox not empty ${opts.drainTimeoutMs} ms after the writers stopped`);
    await sleep(5);
  }
  const drainAfterLastWriteMs = performance.now() - lastCommitAt;

  const lags = await queryRows<{ us: number }>(
    pool,
    'SELECT TIMESTAMPDIFF(MICROSECOND, changed_at, published_at) AS us FROM atomsync_event WHERE seq > ?',
    [Number(seqBefore ?? 0)],
  );
  return {
    writers: opts.writers,
    rowsPerTransaction: opts.rowsPerTransaction,
    durationMs: round(durationMs),
    transactions: commits.length,
    rowsWritten: rows,
    writesPerSecond: perSecond(rows, durationMs),
    transactionsPerSecond: perSecond(commits.length, durationMs),
    transactionLatency: summarize(commits, 2),
    maxOutboxDepth: sampler.maxDepth,
    outboxSamples: sampler.samples,
    eventsPublished: lags.length,
    drainAfterLastWriteMs: round(drainAfterLastWriteMs, 1),
    eventLag: summarize(lags.map((l) => Number(l.us) / 1000), 2),
  };
}

/** The outbox's committed depth, counted every `sampleMs` until stopped. */
class OutboxDepthSampler {
  maxDepth = 0;
  samples = 0;
  private stopping = false;
  private readonly running: Promise<void>;

  constructor(pool: Pool, sampleMs: number) {
    this.running = (async () => {
      while (!this.stopping) {
        this.maxDepth = Math.max(this.maxDepth, await countRows(pool, 'atomsync_outbox'));
        this.samples++;
        await sleep(sampleMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}

/** What the writers did: each commit's duration in ms, rows written, and when they started and last committed (performance.now()). */
interface Written {
  commits: number[];
  rows: number;
  started: number;
  lastCommitAt: number;
}

async function writeLocations(pool: Pool, opts: WritersOptions): Promise<Written> {
  const w: Written = { commits: [], rows: 0, started: performance.now(), lastCommitAt: 0 };
  const deadline = w.started + opts.durationMs;
  const writer = async (n: number) => {
    const conn: PoolConnection = await pool.getConnection();
    try {
      // The outbox's changed_at defaults to CURRENT_TIMESTAMP: in UTC it compares with published_at.
      await conn.query(`SET time_zone = '+00:00'`);
      for (let t = 0; performance.now() < deadline; t++) {
        const t0 = performance.now();
        await conn.beginTransaction();
        for (let r = 0; r < opts.rowsPerTransaction; r++) await conn.query(INSERT_LOCATION, [`bench-w${n}-${t}-${r}`]);
        await conn.commit();
        w.lastCommitAt = performance.now();
        w.commits.push(w.lastCommitAt - t0);
        w.rows += opts.rowsPerTransaction;
      }
    } finally {
      conn.release();
    }
  };
  await Promise.all(Array.from({ length: opts.writers }, (_, n) => writer(n)));
  return w;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
