// `npm run bench -- --clinics N`: N small clinics into one HQ, with real processes on 127.0.0.1.
// N clinic databases are seeded (a few at a time), each gets its own `atomsync publish`
// (its own port), and one HQ `atomsync subscribe` at its defaults reads all N feeds:
//   1. catch-up of an empty HQ: total events/s, and when each clinic's feed had caught up;
//   2. live: the clinics write at a modest total rate (each clinic runs live-latency.ts's
//      writer at rate/N, their schedules staggered), commit-to-HQ latency per clinic;
//   3. HQ's subscriber's peak memory, its sockets, and the sessions in HQ's database;
//   4. `atomsync verify` of every clinic together against HQ, which must hold exactly their rows.
// Everything it creates (databases, processes, the queue's keys) goes at the end, on error and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../../shared/db.ts';
import type { Pool } from '../../../shared/db.ts';
import { migrate } from '../../../shared/schema/migrate.ts';
import { seedNode } from '../../seed/index.ts';
import type { Cleanup } from '../cleanup.ts';
import { round, sleep } from '../stats.ts';
import { PhaseTimeoutError, startPublisher, startSubscriber, watchStartedLine } from './catch-up.ts';
import type { Children } from './children.ts';
import { conflictCount, eventCount, hqProgress, outboxDepth } from './db-figures.ts';
import { untilFeedsCaughtUp } from './feeds-caught-up.ts';
import { watchConnections } from './hq-connections.ts';
import { liveLatency } from './live-latency.ts';
import { atRest, machineInfo, processFigures } from './machine-figures.ts';
import { formatManyReport, manyInvalidReasons, memoryOf } from './many-report.ts';
import type { ClinicFigures, ManyResult } from './many-report.ts';
import type { BenchOptions } from './options.ts';
import { findPid, ProcMonitor } from './proc-stats.ts';
import { Progress } from './progress.ts';
import { dropQueue } from './retry-queue.ts';
import { runVerify } from './verify-run.ts';

const USERS = 'bench:bench-secret';
/**
 * As the one-clinic bench's live phase, per clinic, but HQ is polled every 50 ms instead of 20: N pollers
 * at 20 ms (each polls while one of its changes is pending) were a load of their own on HQ's database.
 */
const LIVE = { patientShare: 0.1, maxInFlight: 4, pollMs: 50, seenTimeoutMs: 60_000 };
const SEED_TIMEOUT_MS = 30 * 60_000;
const RELAY_TIMEOUT_MS = 10 * 60_000;
const SETTLE_TIMEOUT_MS = 120_000;
const VERIFY_TIMEOUT_MS = 10 * 60_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

interface Clinic {
  name: string;
  db: string;
  url: string;
  pool: Pool;
  /** Set once its publisher runs: the feed with credentials, its marker key at HQ, and its port. */
  feedUrl: string;
  feedKey: string;
  port: number;
}

interface ManyRun {
  o: BenchOptions;
  children: Children;
  monitor: ProcMonitor;
  progress: Progress;
  /** For the phases' own progress lines when N of them run at once: the run shows its own. */
  quiet: Progress;
  runId: string;
  name: string;
  hqDb: string;
  hqUrl: string;
  hq: Pool;
  clinics: Clinic[];
}

export async function runManyClinics(o: BenchOptions, cleanup: Cleanup, children: Children, logDir: string): Promise<{ valid: boolean; report: string; json: ManyResult }> {
  const r = await openManyRun(o, cleanup, children, logDir);
  const machine = await machineInfo(r.hq);
  const seed = await seedAll(r);
  r.monitor.watch('mariadbd', findPid(['mariadbd', 'mysqld']));
  r.monitor.watch('redis-server', findPid(['redis-server']));
  r.monitor.watch('bench', process.pid);
  r.monitor.start();
  // N publishers and HQ on one server: each publisher's pool may open 10 connections for a burst.
  // With fewer, a refused connection is waited for (shared/db-patience.ts) and the run is slower,
  // not stuck (before, at the default 151, 30 clinics made no headway: 2026-12-03).
  const [{ max }] = await queryRows<{ max: number }>(r.hq, 'SELECT @@max_connections AS max');
  const wanted = r.clinics.length * 12 + 60;
  if (Number(max) < wanted) {
    say(`note: MariaDB allows ${max} connections; ${r.clinics.length} publishers and HQ may open ${wanted} in a burst. Requests then wait for one; SET GLOBAL max_connections = ${wanted} to measure without that.`);
  }
  const background = await atRest(r.monitor);
  if (!background.quiet) say(`WARNING: the machine is not at rest before the run (${background.machinePct}% busy, mariadbd ${background.mariadbdPct}%); figures will be disturbed`);
  const relayMs = await publishAll(r);
  const { subscriber, catchUp, connections } = await catchUpAll(r, cleanup);
  const memoryAfterCatchUp = memoryOf(r.monitor);
  const live = o.skipLive ? null : await liveAll(r);
  const settle = await untilSettled(r, subscriber);
  const peaks = await connections.stop();
  r.monitor.stop();
  const memory = memoryOf(r.monitor);
  const final = { dead: (await hqProgress(r.hq)).dead, conflicts: await conflictCount(r.hq), settleMs: settle };
  await children.stopAll();

  say(`verifying HQ against all ${r.clinics.length} clinics together (atomsync verify, one --source per clinic)`);
  const verify = await runVerify(children, r.clinics.map((c) => c.url), r.hqUrl, VERIFY_TIMEOUT_MS);
  const perClinic: ClinicFigures[] = r.clinics.map((c, i) => ({
    clinic: c.name, events: catchUp.events[i], caughtUpMs: catchUp.caughtUpMs[i], live: live ? live.perClinic[i] : null,
  }));
  const result: ManyResult = {
    valid: false, invalidBecause: [], machine, background, options: o, hqDatabase: r.hqDb, seed, relayMs,
    catchUp: { ...catchUp, processes: processFigures(r.monitor, catchUp.startedAt, catchUp.endedAt, catchUp.totalEvents) },
    liveProcesses: live?.processes ?? null, perClinic, memoryAfterCatchUp, memory, connections: peaks, final, verify,
  };
  result.invalidBecause = manyInvalidReasons(result);
  result.valid = result.invalidBecause.length === 0;
  return { valid: result.valid, report: formatManyReport(result), json: result };
}

/** Creates HQ's and the clinics' databases and pools, each with its clean-up. */
async function openManyRun(o: BenchOptions, cleanup: Cleanup, children: Children, logDir: string): Promise<ManyRun> {
  const runId = randomBytes(4).toString('hex');
  const name = `as_bench_many_${runId}`;
  const url = (db: string) => `${o.dbServer}/${db}`;
  const monitor = new ProcMonitor(500);
  cleanup.add('stop sampling', async () => monitor.stop());
  const hqDb = `${name}_hq`;
  const dbs = [hqDb, ...Array.from({ length: o.clinics }, (_, i) => `${name}_c${String(i + 1).padStart(2, '0')}`)];
  say(`databases ${dbs[0]}, ${dbs[1]} .. ${dbs[dbs.length - 1]}; logs in ${logDir}`);
  for (const db of dbs) {
    await ensureDatabase(url(db));
    if (!o.keep) cleanup.add(`drop ${db}`, () => dropDatabase(url(db)));
  }
  // The bench's own pools keep few connections idle: the server's are for the publishers and HQ.
  const light = { maxIdle: 1, idleTimeoutMs: 5_000 };
  const hq = openPool(url(hqDb), { connectionLimit: 8, ...light });
  const clinics: Clinic[] = dbs.slice(1).map((db, i) => ({
    name: `c${String(i + 1).padStart(2, '0')}`, db, url: url(db), pool: openPool(url(db), { connectionLimit: LIVE.maxInFlight + 1, ...light }), feedUrl: '', feedKey: '', port: 0,
  }));
  cleanup.add('close pools', () => Promise.all([hq.end(), ...clinics.map((c) => c.pool.end())]));
  // Runs before the pools close and the databases drop: a live process could hold a lock DROP DATABASE waits for.
  cleanup.add('stop processes', () => (children.close(), children.stopAll()));
  const quiet = new Progress(new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream);
  return { o, children, monitor, progress: new Progress(process.stdout), quiet, runId, name, hqDb, hqUrl: url(hqDb), hq, clinics };
}

/** Runs `fn` on every item, at most `limit` at once, keeping the order of the results; after a failure it starts no more. */
export async function inParallel<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      out[i] = await fn(items[i], i).catch((err) => {
        failed = true;
        throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, phase: string, detail: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeoutError(phase, ms, detail())), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Migrates and seeds every clinic, a few at a time (each clinic its own node id, so its own uuids); migrates HQ. */
async function seedAll(r: ManyRun): Promise<ManyResult['seed']> {
  const started = Date.now();
  const done = new Array<number>(r.clinics.length).fill(0);
  const total = r.o.patients * r.clinics.length;
  const show = () => r.progress.update(`seeding: ${done.reduce((a, b) => a + b, 0)}/${total} patients`);
  say(`seeding ${r.clinics.length} clinics with ${r.o.patients} patients each, 3 at a time`);
  const reports = await withTimeout(
    inParallel(r.clinics, 3, async (c, i) => {
      await migrate(c.pool, c.name);
      return seedNode(c.pool, { patients: r.o.patients, seed: 'bench', onProgress: (n) => ((done[i] = n), show()) });
    }),
    SEED_TIMEOUT_MS, 'seeding', () => `${done.reduce((a, b) => a + b, 0)} of ${total} patients seeded`,
  );
  r.progress.end();
  await migrate(r.hq, 'hq');
  const rows = reports.reduce((n, s) => n + s.rows, 0);
  const elapsedMs = Date.now() - started;
  say(`seeded ${rows} rows in ${round(elapsedMs / 1000, 1)} s`);
  return { patientsPerClinic: r.o.patients, rows, elapsedMs };
}

/** Starts one publisher per clinic, a few at a time, each waiting for its relay to number its outbox; returns the wall time. */
async function publishAll(r: ManyRun): Promise<number> {
  const started = Date.now();
  let up = 0;
  say(`starting ${r.clinics.length} publishers (\`atomsync publish\`, one port each)`);
  await inParallel(r.clinics, 4, async (c) => {
    const pub = await startPublisher(r.children, c.pool, { dbUrl: c.url, users: USERS, timeoutMs: RELAY_TIMEOUT_MS, progress: r.quiet, name: `publisher-${c.name}` });
    r.monitor.watch(`publisher-${c.name}`, pub.child.pid);
    c.feedKey = `${pub.origin}/openmrs/ws/atomfeed/all/recent`;
    c.feedUrl = c.feedKey.replace('://', `://${USERS}@`);
    c.port = Number(new URL(pub.origin).port);
    r.progress.update(`publishers: ${++up}/${r.clinics.length} listening, outbox numbered`, true);
  });
  r.progress.end();
  const ms = Date.now() - started;
  say(`${r.clinics.length} publishers up in ${round(ms / 1000, 1)} s`);
  return ms;
}

/** One HQ subscriber at its defaults with every clinic's feed, from an empty HQ until every feed has caught up. */
async function catchUpAll(r: ManyRun, cleanup: Cleanup) {
  const events = await Promise.all(r.clinics.map((c) => eventCount(c.pool)));
  const totalEvents = events.reduce((a, b) => a + b, 0);
  const queue = r.name;
  cleanup.add('drop the retry queue', async () => {
    r.children.close();
    await r.children.stopAll(); // the subscriber first, or it could write keys again
    await dropQueue(r.o.redisUrl, queue);
  });
  say(`starting one \`atomsync subscribe\` (its defaults) with ${r.clinics.length} feeds on the empty HQ: ${totalEvents} events`);
  const startedAt = r.monitor.mark();
  const subscriber = startSubscriber(r.children, { hqUrl: r.hqUrl, feedUrls: r.clinics.map((c) => c.feedUrl), redisUrl: r.o.redisUrl, queue, monitor: r.monitor });
  const ready = watchStartedLine(subscriber);
  const connections = watchConnections({ pool: r.hq, hqDatabase: r.hqDb, subscriberPid: subscriber.pid, publisherPorts: new Set(r.clinics.map((c) => c.port)) });
  const t = await untilFeedsCaughtUp(subscriber, r.hq, r.clinics.map((c, i) => ({ feedKey: c.feedKey, events: events[i] })), {
    startedAt, timeoutMs: r.o.catchUpTimeoutS * 1000, phase: 'catch-up', progress: r.progress, monitor: r.monitor,
  });
  r.progress.end();
  const readyAt = ready.stop();
  const wallMs = t.endedAt - startedAt;
  const catchUp = {
    totalEvents, events, wallMs, eventsPerSecond: round((totalEvents * 1000) / wallMs, 1),
    readyMs: readyAt === null ? null : readyAt - startedAt,
    caughtUpMs: t.caughtUpMs, startedAt, endedAt: t.endedAt,
  };
  say(`caught up: ${totalEvents} events from ${r.clinics.length} clinics in ${round(wallMs / 1000, 2)} s (${catchUp.eventsPerSecond} events/s)`);
  return { subscriber, catchUp, connections };
}

/** Every clinic writes at rate/N with live-latency.ts's writer, clinic i starting i/rate s after the first, so the writes interleave. */
async function liveAll(r: ManyRun) {
  const n = r.clinics.length;
  say(`live: ${r.o.rate} changes/s in total (${round(r.o.rate / n, 2)}/s per clinic) for ${r.o.liveSeconds} s`);
  const started = Date.now();
  const ticker = setInterval(() => r.progress.update(`live: ${round((Date.now() - started) / 1000, 0)} s of ${r.o.liveSeconds}`), 1000);
  try {
    const results = await Promise.all(
      r.clinics.map(async (c, i) => {
        await sleep((i * 1000) / r.o.rate);
        return liveLatency(c.pool, r.hq, { ...LIVE, rate: r.o.rate / n, durationS: r.o.liveSeconds, runId: `${r.runId}-${c.name}`, progress: r.quiet });
      }),
    );
    r.progress.end();
    const startedAt = Math.min(...results.map((l) => l.startedAt));
    const endedAt = Math.max(...results.map((l) => l.endedAt));
    const committed = results.reduce((a, l) => a + l.committed, 0);
    return { perClinic: results, processes: processFigures(r.monitor, startedAt, endedAt, committed) };
  } finally {
    clearInterval(ticker);
  }
}

/** After the live phase: waits for every outbox to be numbered and every feed at its clinic's newest event. */
async function untilSettled(r: ManyRun, subscriber: Parameters<typeof untilFeedsCaughtUp>[0]): Promise<number> {
  const started = Date.now();
  while ((await Promise.all(r.clinics.map((c) => outboxDepth(c.pool)))).some((d) => d > 0)) {
    if (Date.now() - started > SETTLE_TIMEOUT_MS) throw new PhaseTimeoutError('the final catch-up', SETTLE_TIMEOUT_MS, 'outbox rows still not numbered');
    await sleep(100);
  }
  const events = await Promise.all(r.clinics.map((c) => eventCount(c.pool)));
  await untilFeedsCaughtUp(subscriber, r.hq, r.clinics.map((c, i) => ({ feedKey: c.feedKey, events: events[i] })), {
    startedAt: started, timeoutMs: SETTLE_TIMEOUT_MS, phase: 'the final catch-up', progress: r.progress, monitor: r.monitor,
  });
  r.progress.end();
  return Date.now() - started;
}
