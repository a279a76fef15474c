// `npm run bench:publisher`: measures the relay and the feed server on this machine,
// against a throwaway database it creates and always drops. Prints a table, then
// one `BENCH_JSON {...}` line with every figure. See --help for the options.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ALL_CATEGORY } from '../../shared/protocol.ts';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { createLogger } from '../../shared/logger.ts';
import type { Logger } from '../../shared/logger.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { HttpLoad, PAGE_CACHE_PAGES, runServingPhases } from './publisher/http-bench.ts';
import { HELP, parseOptions } from './publisher/options.ts';
import type { BenchOptions } from './publisher/options.ts';
import { countRows, drainBacklog, writersWithRelay } from './publisher/relay-bench.ts';
import { report } from './publisher/report.ts';
import type { PublisherBenchResult, PublisherMachine, SeedResult } from './publisher/report.ts';
import { startBenchServer } from './publisher/server.ts';
import { Cleanup } from './cleanup.ts';
import { round } from './stats.ts';
import { machineInfo } from './sync/machine-figures.ts';
import { Progress } from './sync/progress.ts';
import { seedClinic } from './sync/seed-clinic.ts';

const NODE_ID = 'bench';
const USER: [string, string] = ['bench', 'bench-secret'];

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The machine as the sync bench describes it, with the database settings that matter for the relay. */
async function publisherMachineInfo(pool: Pool): Promise<PublisherMachine> {
  const [db] = await queryRows<{ flush: number; bp: number }>(pool, 'SELECT @@innodb_flush_log_at_trx_commit AS flush, @@innodb_buffer_pool_size AS bp');
  return {
    ...(await machineInfo(pool)),
    innodbFlushLogAtTrxCommit: Number(db.flush),
    innodbBufferPoolBytes: Number(db.bp),
    loadAvgAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

async function seed(pool: Pool, patients: number): Promise<SeedResult> {
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
    const relay = await measureRelay(pool, dbUrl, o, cleanup, log);
    const serving = await measureServing(pool, dbUrl, o, cleanup);
    const result: PublisherBenchResult = { machine, options: o, database, ...relay, serving, loadAvgAtEnd: os.loadavg().map((l) => round(l, 2)) };
    console.log(report(result));
    console.log(`BENCH_JSON ${JSON.stringify(result)}`);
    return serving.phases.some((p) => p.errors > 0) ? 1 : 0;
  } finally {
    await cleanup.run();
  }
}

/** Seeds with no relay running, times a relay draining that backlog, then keeping up with concurrent writers. */
async function measureRelay(pool: Pool, dbUrl: string, o: BenchOptions, cleanup: Cleanup, log: Logger) {
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
  return { seed: seeded, drain, writers };
}

/** Starts the publisher on the events the relay wrote and runs the serving phases against it. */
async function measureServing(pool: Pool, dbUrl: string, o: BenchOptions, cleanup: Cleanup): Promise<PublisherBenchResult['serving']> {
  const plan = await servingPlan(pool, o.pageSize, o.seconds);
  progress(`serving: ${plan.completePages} complete pages; starting the publisher (${o.server})`);
  const server = await startBenchServer({ dbUrl, pageSize: o.pageSize, users: [USER] }, o.server);
  cleanup.add('stop publisher', () => server.stop());
  const load = new HttpLoad(server, `Basic ${Buffer.from(USER.join(':')).toString('base64')}`, o.connections);
  cleanup.add('close HTTP pool', () => load.close());
  progress(`serving: a cold pass over every complete page, then timed phases of ${o.seconds} s`);
  const phases = await runServingPhases(load, plan);
  return { events: plan.events, completePages: plan.completePages, pageCachePages: PAGE_CACHE_PAGES, phases };
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
