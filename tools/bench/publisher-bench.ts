// `npm run bench:publisher`: measures the relay and the feed server on this machine,
// against a throwaway database it creates and always drops. Prints a table, then
// one `BENCH_JSON {...}` line with every figure. See --help for the options.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ALL_CATEGORY, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../shared/constants.ts';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { createLogger } from '../../shared/logger.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { HttpLoad, PAGE_CACHE_PAGES, runServingPhases } from './publisher/http-bench.ts';
import type { PhaseResult } from './publisher/http-bench.ts';
import { countRows, drainBacklog, writersWithRelay } from './publisher/relay-bench.ts';
import type { DrainResult, WritersResult } from './publisher/relay-bench.ts';
import { startBenchServer } from './publisher/server.ts';
import { Cleanup } from './cleanup.ts';
import { round, table } from './stats.ts';
import { machineInfo } from './sync/machine-figures.ts';
import { Progress } from './sync/progress.ts';
import { seedClinic } from './sync/seed-clinic.ts';

const NODE_ID = 'bench';
const USER: [string, string] = ['bench', 'bench-secret'];

interface BenchOptions {
  dbServer: string;
  patients: number;
  seconds: number;
  writeSeconds: number;
  writers: number;
  rowsPerTransaction: number;
  connections: number;
  pageSize: number;
  server: 'child' | 'inline';
}

const HELP = `npm run bench:publisher -- [options]

  --patients N        patients to seed before timing the relay (default 300)
  --seconds S         duration of each feed-serving phase (default 10)
  --write-seconds S   duration of the concurrent-writers phase (default 10)
  --writers N         concurrent writer connections (default 4)
  --rows-per-tx N     locations inserted per writer transaction (default 3)
  --connections N     HTTP keep-alive connections of the load generator (default 16)
  --page-size N       events per feed page (default ${DEFAULT_PAGE_SIZE})
  --inline            run the publisher in this process instead of a child process
  --db-server URL     MariaDB server, without a database (default mysql://root@127.0.0.1:3306)

Creates a database named as_bench_pub_<random>, and drops it at the end, on error and on Ctrl-C.`;

function intOpt(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  return n;
}

function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      patients: { type: 'string' },
      seconds: { type: 'string' },
      'write-seconds': { type: 'string' },
      writers: { type: 'string' },
      'rows-per-tx': { type: 'string' },
      connections: { type: 'string' },
      'page-size': { type: 'string' },
      inline: { type: 'boolean' },
      'db-server': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return 'help';
  return {
    dbServer: (v['db-server'] ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
    patients: intOpt(v.patients, 'patients', 300, 1, 100_000),
    seconds: intOpt(v.seconds, 'seconds', 10, 1, 300),
    writeSeconds: intOpt(v['write-seconds'], 'write-seconds', 10, 1, 300),
    writers: intOpt(v.writers, 'writers', 4, 1, 64),
    rowsPerTransaction: intOpt(v['rows-per-tx'], 'rows-per-tx', 3, 1, 1000),
    connections: intOpt(v.connections, 'connections', 16, 1, 256),
    pageSize: intOpt(v['page-size'], 'page-size', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    server: v.inline ? 'inline' : 'child',
  };
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The machine as the sync bench describes it, with the database settings that matter for the relay. */
async function publisherMachineInfo(pool: Pool) {
  const [db] = await queryRows<{ flush: number; bp: number }>(pool, 'SELECT @@innodb_flush_log_at_trx_commit AS flush, @@innodb_buffer_pool_size AS bp');
  return {
    ...(await machineInfo(pool)),
    innodbFlushLogAtTrxCommit: Number(db.flush),
    innodbBufferPoolBytes: Number(db.bp),
    /** Other work on the machine skews every figure; this shows how much there was. */
    loadAvgAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

async function seed(pool: Pool, patients: number) {
  const report = await seedClinic(pool, patients, new Progress(process.stderr));
  const outboxRows = await countRows(pool, 'atomsync_outbox');
  return { patients: report.patients, rows: report.rows, elapsedMs: round(report.elapsedMs), rowsPerSecond: report.rowsPerSecond, outboxRows };
}

async function servingPlan(pool: Pool, pageSize: number, seconds: number) {
  const [{ n }] = await queryRows<{ n: number | null }>(pool, 'SELECT MAX(seq) AS n FROM atomsync_event');
  const completePages = Math.floor(Number(n ?? 0) / pageSize);
  if (completePages === 0) throw new Error('no complete feed page to serve; seed more patients');
  const resources = await queryRows<{ r: string }>(pool, 'SELECT DISTINCT resource AS r FROM atomsync_event ORDER BY r');
  const obs = await queryRows<{ uuid: string }>(pool, 'SELECT uuid FROM obs ORDER BY RAND() LIMIT 5000');
  if (obs.length === 0) throw new Error('the seed wrote no obs');
  return {
    events: Number(n),
    completePages,
    recentCategories: [ALL_CATEGORY, ...resources.map((r) => r.r)],
    obsUuids: obs.map((o) => o.uuid),
    seconds,
  };
}

function report(r: {
  machine: Awaited<ReturnType<typeof publisherMachineInfo>>;
  options: BenchOptions;
  database: string;
  seed: Awaited<ReturnType<typeof seed>>;
  drain: DrainResult;
  writers: WritersResult;
  serving: { events: number; completePages: number; pageCachePages: number; phases: PhaseResult[] };
  loadAvgAtEnd: number[];
}): string {
  const m = r.machine;
  const o = r.options;
  const w = r.writers;
  const gib = (b: number) => `${round(b / 2 ** 30, 1)} GiB`;
  const lines = [
    '',
    `atomsync publisher benchmark: ${m.cpus} x ${m.cpuModel}, ${gib(m.totalMemBytes)}, ${m.platform}, Node ${m.node}`,
    `MariaDB ${m.mariadb} (innodb_flush_log_at_trx_commit=${m.innodbFlushLogAtTrxCommit}, buffer pool ${round(m.innodbBufferPoolBytes / 2 ** 20)} MiB), database ${r.database}`,
    `load average at start ${m.loadAvgAtStart.join(' ')}, at end ${r.loadAvgAtEnd.join(' ')} (1, 5, 15 min; anything else running skews the figures)`,
    '',
    `Seed (no relay running): ${r.seed.patients} patients, ${r.seed.rows} rows in ${round(r.seed.elapsedMs / 1000, 1)} s ` +
      `(${r.seed.rowsPerSecond} rows/s); the triggers left ${r.seed.outboxRows} outbox rows`,
    '',
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
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  if (o === 'help') {
    console.log(HELP);
    return 0;
  }
  const database = `as_bench_pub_${randomBytes(4).toString('hex')}`;
  const dbUrl = `${o.dbServer}/${database}`;
  const cleanup = new Cleanup(progress, 10_000);
  const onSignal = (signal: string) => {
    progress(`${signal}: cleaning up`);
    void cleanup.run().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const log = createLogger({ level: 'warn', bindings: { service: 'bench' } });
  try {
    progress(`creating database ${database}`);
    await ensureDatabase(dbUrl);
    cleanup.add('drop database', async () => {
      await dropDatabase(dbUrl);
      progress(`dropped database ${database}`);
    });
    const pool = openPool(dbUrl, { connectionLimit: o.writers + 4 });
    cleanup.add('close pool', () => pool.end());
    const machine = await publisherMachineInfo(pool);
    await migrate(pool, NODE_ID);

    progress(`seeding ${o.patients} patients (the triggers fill the outbox; no relay yet)`);
    const seeded = await seed(pool, o.patients);

    progress(`relay: draining ${seeded.outboxRows} outbox rows`);
    const relayPool = openPool(dbUrl, { connectionLimit: 2 });
    cleanup.add('close relay pool', () => relayPool.end());
    const { result: drain, relay } = await drainBacklog(relayPool, log.child({ part: 'relay' }), NODE_ID, 10 * 60_000);
    cleanup.add('stop relay', () => relay.stop());

    progress(`relay: ${o.writers} writers for ${o.writeSeconds} s`);
    const writers = await writersWithRelay(pool, {
      writers: o.writers,
      rowsPerTransaction: o.rowsPerTransaction,
      durationMs: o.writeSeconds * 1000,
      drainTimeoutMs: 60_000,
      sampleMs: 20,
    });
    await relay.stop();

    const plan = await servingPlan(pool, o.pageSize, o.seconds);
    progress(`serving: ${plan.completePages} complete pages; starting the publisher (${o.server})`);
    const server = await startBenchServer({ dbUrl, pageSize: o.pageSize, users: [USER] }, o.server);
    cleanup.add('stop publisher', () => server.stop());
    const load = new HttpLoad(server, `Basic ${Buffer.from(USER.join(':')).toString('base64')}`, o.connections);
    cleanup.add('close HTTP pool', () => load.close());
    progress(`serving: a cold pass over every complete page, then timed phases of ${o.seconds} s`);
    const phases = await runServingPhases(load, plan);

    const result = {
      machine,
      options: o,
      database,
      seed: seeded,
      drain,
      writers,
      serving: { events: plan.events, completePages: plan.completePages, pageCachePages: PAGE_CACHE_PAGES, phases },
      loadAvgAtEnd: os.loadavg().map((l) => round(l, 2)),
    };
    console.log(report(result));
    console.log(`BENCH_JSON ${JSON.stringify(result)}`);
    return phases.some((p) => p.errors > 0) ? 1 : 0;
  } finally {
    await cleanup.run();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    progress(`bench failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  },
);
