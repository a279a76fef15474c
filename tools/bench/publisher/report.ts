// The publisher bench's report: the machine, the seed, the relay and the serving phases as tables.
import { round, table } from '../stats.ts';
import type { machineInfo } from '../sync/machine-figures.ts';
import { PAGE_CACHE_PAGES } from './http-bench.ts';
import type { PhaseResult } from './http-bench.ts';
import type { BenchOptions } from './options.ts';
import type { DrainResult, WritersResult } from './relay-bench.ts';

/** The machine as the sync bench describes it, with the database settings that matter for the relay. */
export type PublisherMachine = Awaited<ReturnType<typeof machineInfo>> & {
  innodbFlushLogAtTrxCommit: number;
  innodbBufferPoolBytes: number;
  /** Other work on the machine skews every figure; this shows how much there was. */
  loadAvgAtStart: number[];
};

export interface SeedResult {
  patients: number;
  rows: number;
  elapsedMs: number;
  rowsPerSecond: number;
  outboxRows: number;
}

/** Every figure of one run, as the report prints it and BENCH_JSON holds it. */
export interface PublisherBenchResult {
  machine: PublisherMachine;
  options: BenchOptions;
  database: string;
  seed: SeedResult;
  drain: DrainResult;
  writers: WritersResult;
  serving: { events: number; completePages: number; pageCachePages: number; phases: PhaseResult[] };
  loadAvgAtEnd: number[];
}

export function report(r: PublisherBenchResult): string {
  return [...machineLines(r), ...relayLines(r), ...servingLines(r)].join('\n');
}

function machineLines(r: PublisherBenchResult): string[] {
  const m = r.machine;
  const gib = (b: number) => `${round(b / 2 ** 30, 1)} GiB`;
  return [
    '',
    `atomsync publisher benchmark: ${m.cpus} x ${m.cpuModel}, ${gib(m.totalMemBytes)}, ${m.platform}, Node ${m.node}`,
    `MariaDB ${m.mariadb} (innodb_flush_log_at_trx_commit=${m.innodbFlushLogAtTrxCommit}, buffer pool ${round(m.innodbBufferPoolBytes / 2 ** 20)} MiB), database ${r.database}`,
    `load average at start ${m.loadAvgAtStart.join(' ')}, at end ${r.loadAvgAtEnd.join(' ')} (1, 5, 15 min; anything else running skews the figures)`,
    '',
    `Seed (no relay running): ${r.seed.patients} patients, ${r.seed.rows} rows in ${round(r.seed.elapsedMs / 1000, 1)} s ` +
      `(${r.seed.rowsPerSecond} rows/s); the triggers left ${r.seed.outboxRows} outbox rows`,
    '',
  ];
}

function relayLines(r: PublisherBenchResult): string[] {
  const w = r.writers;
  return [
    'Relay, draining that backlog',
    table(
      ['outbox rows moved', 'events published', 'batches', 'wall time s', 'events/s', 'outbox rows/s'],
      [[r.drain.outboxRowsMoved, r.drain.eventsPublished, r.drain.batches, round(r.drain.wallMs / 1000, 2), r.drain.eventsPerSecond, r.drain.outboxRowsPerSecond]],
    ),
    '',
    `Relay under ${w.writers} concurrent writers, ${w.rowsPerTransaction} locations per transaction, for ${round(w.durationMs / 1000, 1)} s`,
    table(
      ['writes/s', 'transactions/s', 'tx p50 ms', 'tx p95 ms', 'max outbox depth', 'empty after last write ms', 'event lag p50 ms', 'p95', 'p99', 'max'],
      [[
        w.writesPerSecond,
        w.transactionsPerSecond,
        w.transactionLatency.p50Ms,
        w.transactionLatency.p95Ms,
        w.maxOutboxDepth,
        w.drainAfterLastWriteMs,
        w.eventLag.p50Ms,
        w.eventLag.p95Ms,
        w.eventLag.p99Ms,
        w.eventLag.maxMs,
      ]],
    ),
    `  (${w.rowsWritten} rows in ${w.transactions} transactions; ${w.eventsPublished} events; outbox depth sampled ${w.outboxSamples} times;` +
      ' event lag = outbox insert to published_at)',
    '',
  ];
}

function servingLines(r: PublisherBenchResult): string[] {
  const o = r.options;
  return [
    `Feed serving: publisher ${o.server === 'child' ? 'in a child process' : 'inline (shares the load generator\'s event loop)'}, ` +
      `${o.connections} keep-alive connections, ${o.seconds} s per timed phase, page size ${o.pageSize}, ` +
      `${r.serving.events} events = ${r.serving.completePages} complete pages of "all" (the page cache holds ${PAGE_CACHE_PAGES})`,
    table(
      ['phase', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'bytes/resp', 'MB/s', 'srv CPU ms/req', 'srv loop busy', 'errors'],
      r.serving.phases.map((p) => [
        p.name,
        p.requests,
        p.requestsPerSecond,
        p.latency.p50Ms,
        p.latency.p95Ms,
        p.latency.p99Ms,
        p.latency.maxMs,
        p.bytesPerResponse,
        round(p.bytesPerSecond / 1e6, 2),
        p.serverCpuMsPerRequest,
        p.serverEventLoopBusy,
        p.errors,
      ]),
    ),
    ...r.serving.phases.flatMap((p) => p.errorSamples.map((e) => `  ${p.name}: ${e}`)),
  ];
}
