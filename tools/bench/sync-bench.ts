// `npm run bench`: measures HQ's subscriber against one clinic, with real
// `atomsync publish` and `atomsync subscribe` processes on 127.0.0.1:
//   1. catch-up of an empty HQ from a seeded clinic (events/s, rows/s, time to
//      the first applied event, CPU and memory of every process involved);
//   2. live latency, commit at the clinic to visible at HQ, under a steady rate;
//   3. the baseline, mysqldump | mysql of the same tables (before and again right after the
//      catch-up), and the ratio of the catch-up to their mean;
//   4. a real OpenMRS database adopted with its history: the snapshot's rows/s, the clinic's
//      write latency during it, HQ's catch-up from it (bench/snapshot-phase.ts).
// Ends with `atomsync verify`: figures from a sync that diverged are not valid. With --clinics N
// (N >= 2), N clinics into one HQ instead (sync/many-clinics.ts). Prints a table, then one `BENCH_JSON {...}`
// line. Everything it creates (databases, processes, the Redis queue) is removed at the end, on error and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, openPool } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { CopyFailedError, dumpAndLoad, MissingToolError } from './sync/baseline-copy.ts';
import { catchUp, ChildExitedError, PhaseTimeoutError, startPublisher, waitForHq } from './sync/catch-up.ts';
import { Children } from './sync/children.ts';
import { Cleanup } from './cleanup.ts';
import { conflictCount, countTables, eventCount, hqProgress, SYNCED_TABLES } from './sync/db-figures.ts';
import { liveLatency } from './sync/live-latency.ts';
import { BenchUsageError, HELP, parseOptions } from './sync/options.ts';
import type { BenchOptions } from './sync/options.ts';
import { atRest, machineInfo, processFigures } from './sync/machine-figures.ts';
import { runManyClinics } from './sync/many-clinics.ts';
import { findPid, ProcMonitor } from './sync/proc-stats.ts';
import { Progress } from './sync/progress.ts';
import { formatReport } from './sync/report.ts';
import type { BenchResult, MemoryFigures } from './sync/report.ts';
import { dropQueue } from './sync/retry-queue.ts';
import { seedClinic } from './sync/seed-clinic.ts';
import { round } from './stats.ts';
import { snapshotPhase } from './sync/snapshot-phase.ts';
import { runVerify } from './sync/verify-run.ts';

const USERS = 'bench:bench-secret';
const LIVE = { patientShare: 0.1, maxInFlight: 4, pollMs: 20, seenTimeoutMs: 60_000 };
const RELAY_TIMEOUT_MS = 10 * 60_000;
const SETTLE_TIMEOUT_MS = 120_000;
const COPY_TIMEOUT_MS = 30 * 60_000;
const VERIFY_TIMEOUT_MS = 10 * 60_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

/** One run's databases, pools and helpers, shared by its phases. */
interface BenchRun {
  o: BenchOptions;
  cleanup: Cleanup;
  children: Children;
  progress: Progress;
  monitor: ProcMonitor;
  runId: string;
  /** The prefix of every database, and the retry queue's name. */
  name: string;
  databases: { clinic: string; hq: string; copy: string; copyAfter: string };
  url: (db: string) => string;
  clinic: Pool;
  hq: Pool;
}

async function run(o: BenchOptions, cleanup: Cleanup, children: Children, logDir: string): Promise<BenchResult> {
  const r = await openRun(o, cleanup, children, logDir);
  const machine = await machineInfo(r.clinic);
  const { seeded, clinicRows, copy, copiedRows } = await seedAndCopy(r);
  const background = await startMonitor(r.monitor);
  const { pub, subscriber, c } = await publishAndCatchUp(r);
  // The copy again, right after: this machine's speed drifts by 10-20 % from minute to minute,
  // so the ratio is taken against the mean of a copy just before and one just after the catch-up.
  // (The publisher and subscriber are idle meanwhile: one small poll every 100 ms.)
  say('baseline again, right after the catch-up');
  const { copy: copyAfter, rows: copiedAfterRows } = await baselineCopy(r, r.databases.copyAfter);
  const copyMeanMs = (copy.wallMs + copyAfter.wallMs) / 2;
  say(`baseline: ${round(copy.wallMs / 1000, 2)} s before, ${round(copyAfter.wallMs / 1000, 2)} s after`);
  const memory: Record<string, MemoryFigures> = {};
  for (const n of r.monitor.names()) memory[n] = { peakAfterCatchUpKb: r.monitor.latest(n)?.hwmKb ?? null, peakAtEndKb: null, maxSampledRssKb: null };

  const live = o.skipLive ? null : await livePhase(r);
  const final = await settle(r, subscriber, memory);
  r.monitor.stop();
  await children.stop(subscriber);
  await children.stop(pub.child);

  say('verifying HQ against the clinic (atomsync verify)');
  const verify = await runVerify(children, r.url(r.databases.clinic), r.url(r.databases.hq), VERIFY_TIMEOUT_MS);
  const snapshot = o.skipSnapshot ? null : await snapshotOfHistory(r);
  const invalidBecause = invalidReasons({ snapshot, verify, live, copied: [copiedRows.total, copiedAfterRows.total], clinicRows: clinicRows.total, dead: final.dead });
  return {
    valid: invalidBecause.length === 0,
    invalidBecause,
    machine,
    background,
    options: o,
    databases: r.databases,
    seed: { patients: seeded.patients, rows: seeded.rows, elapsedMs: Math.round(seeded.elapsedMs), rowsPerSecond: seeded.rowsPerSecond, clinicSyncedRows: clinicRows.total },
    relay: { outboxRows: pub.outboxRowsAtStart, drainMs: pub.relayDrainMs },
    catchUp: { ...c, processes: processFigures(r.monitor, c.startedAt, c.endedAt, c.events) },
    live,
    baseline: {
      ...copy,
      wallMsAfter: copyAfter.wallMs,
      meanWallMs: Math.round(copyMeanMs),
      rows: copiedRows.total,
      catchUpToCopyRatio: round(c.wallMs / Math.max(1, copyMeanMs), 1),
    },
    memory,
    final,
    verify,
    snapshot,
  };
}

/** Creates the run's databases and pools, each with its clean-up. */
async function openRun(o: BenchOptions, cleanup: Cleanup, children: Children, logDir: string): Promise<BenchRun> {
  const runId = randomBytes(4).toString('hex');
  const name = `as_bench_sub_${runId}`;
  const databases = { clinic: `${name}_clinic`, hq: `${name}_hq`, copy: `${name}_copy`, copyAfter: `${name}_copy2` };
  const url = (db: string) => `${o.dbServer}/${db}`;
  const progress = new Progress(process.stdout);
  const monitor = new ProcMonitor(200);
  cleanup.add('stop sampling', async () => monitor.stop());

  say(`databases ${Object.values(databases).join(', ')}; logs in ${logDir}`);
  for (const db of Object.values(databases)) {
    await ensureDatabase(url(db));
    if (!o.keep) cleanup.add(`drop ${db}`, () => dropDatabase(url(db)));
  }
  const clinic = openPool(url(databases.clinic), { connectionLimit: LIVE.maxInFlight + 4 });
  const hq = openPool(url(databases.hq), { connectionLimit: 4 });
  cleanup.add('close pools', () => Promise.all([clinic.end(), hq.end()]));
  // Runs before the pools close and the databases drop: a live process could hold a lock DROP DATABASE waits for.
  cleanup.add('stop processes', () => children.stopAll());
  return { o, cleanup, children, progress, monitor, runId, name, databases, url, clinic, hq };
}

async function seedAndCopy(r: BenchRun) {
  await migrate(r.clinic, 'clinic');
  say(`seeding the clinic with ${r.o.patients} patients`);
  const seeded = await seedClinic(r.clinic, r.o.patients, r.progress);
  const clinicRows = await countTables(r.clinic);
  say(`seeded ${seeded.rows} rows in ${round(seeded.elapsedMs / 1000, 1)} s (${seeded.rowsPerSecond} rows/s)`);

  // The baseline runs first, on a quiet server: no publisher or subscriber yet.
  say('baseline: mysqldump | mysql of the synced tables into an empty database');
  const { copy, rows: copiedRows } = await baselineCopy(r, r.databases.copy);
  say(`baseline: ${copiedRows.total} rows in ${round(copy.wallMs / 1000, 2)} s`);
  return { seeded, clinicRows, copy, copiedRows };
}

/** mysqldump | mysql of the synced tables into `db`, and the rows that arrived. */
async function baselineCopy(r: BenchRun, db: string) {
  const copy = await dumpAndLoad(r.children, r.url(r.databases.clinic), r.url(db), SYNCED_TABLES, COPY_TIMEOUT_MS);
  const pool = openPool(r.url(db), { connectionLimit: 1 });
  const rows = await countTables(pool).finally(() => pool.end());
  return { copy, rows };
}

async function startMonitor(monitor: ProcMonitor): Promise<BenchResult['background']> {
  monitor.watch('mariadbd', findPid(['mariadbd', 'mysqld']));
  monitor.watch('redis-server', findPid(['redis-server']));
  monitor.watch('bench', process.pid);
  monitor.start();
  const background = await atRest(monitor);
  if (!background.quiet) say(`WARNING: the machine is not at rest before the run (${background.machinePct}% busy, mariadbd ${background.mariadbdPct}%); figures will be disturbed`);
  return background;
}

/** Starts the publisher, then a subscriber on the empty HQ, and waits for HQ to catch up. */
async function publishAndCatchUp(r: BenchRun) {
  await migrate(r.hq, 'hq');
  say('starting `atomsync publish`; waiting for its relay to number the whole outbox');
  const pub = await startPublisher(r.children, r.clinic, { dbUrl: r.url(r.databases.clinic), users: USERS, timeoutMs: RELAY_TIMEOUT_MS, progress: r.progress });
  r.monitor.watch('publisher', pub.child.pid);
  say(`publisher at ${pub.origin}: ${pub.outboxRowsAtStart} outbox rows numbered in ${round(pub.relayDrainMs / 1000, 2)} s`);

  const queue = r.name;
  const feedUrl = `${pub.origin.replace('://', `://${USERS}@`)}/openmrs/ws/atomfeed/all/recent`;
  say('starting `atomsync subscribe` on the empty HQ database');
  r.cleanup.add('drop the retry queue', async () => {
    await r.children.stopAll(); // the subscriber first, or it could write keys again
    await dropQueue(r.o.redisUrl, queue);
  });
  const { subscriber, result: c } = await catchUp(r.children, r.clinic, r.hq, {
    hqUrl: r.url(r.databases.hq), feedUrl, redisUrl: r.o.redisUrl, queue, timeoutMs: r.o.catchUpTimeoutS * 1000, progress: r.progress, monitor: r.monitor,
  });
  say(`caught up: ${c.events} events in ${round(c.wallMs / 1000, 2)} s`);
  return { pub, subscriber, c };
}

async function livePhase(r: BenchRun): Promise<NonNullable<BenchResult['live']>> {
  say(`live: ${r.o.rate} changes/s for ${r.o.liveSeconds} s at the clinic`);
  const l = await liveLatency(r.clinic, r.hq, { ...LIVE, rate: r.o.rate, durationS: r.o.liveSeconds, runId: r.runId, progress: r.progress });
  return { ...l, processes: processFigures(r.monitor, l.startedAt, l.endedAt, l.committed) };
}

/** Waits for HQ to hold every event, then records the memory peaks and HQ's final figures. */
async function settle(r: BenchRun, subscriber: Parameters<typeof waitForHq>[2], memory: Record<string, MemoryFigures>): Promise<BenchResult['final']> {
  const settleMs = await waitForHq(r.clinic, r.hq, subscriber, SETTLE_TIMEOUT_MS);
  const endMark = r.monitor.mark();
  for (const n of r.monitor.names()) {
    memory[n].peakAtEndKb = r.monitor.latest(n)?.hwmKb ?? null;
    memory[n].maxSampledRssKb = r.monitor.window(n, 0, endMark)?.maxRssKb ?? null;
  }
  return { events: await eventCount(r.clinic), dead: (await hqProgress(r.hq)).dead, conflicts: await conflictCount(r.hq), settleMs };
}

async function snapshotOfHistory(r: BenchRun): Promise<BenchResult['snapshot']> {
  say(`snapshot phase: ${r.o.snapshotPatients} patients of history in a real OpenMRS database`);
  const snapshot = await snapshotPhase(r.children, r.cleanup, {
    dbServer: r.o.dbServer, name: r.name, patients: r.o.snapshotPatients, writeRate: 20, quietSeconds: 15, users: USERS, keep: r.o.keep,
    timeoutMs: r.o.catchUpTimeoutS * 1000, progress: r.progress, say,
  });
  if ('skipped' in snapshot) say(`snapshot phase skipped: ${snapshot.skipped}`);
  return snapshot;
}

/** Why the run's figures are not valid, if they are not: a diverged sync, lost changes, an incomplete baseline. */
function invalidReasons(x: {
  snapshot: BenchResult['snapshot'];
  verify: BenchResult['verify'];
  live: BenchResult['live'];
  /** Rows the baseline copied before and after the catch-up. */
  copied: [number, number];
  clinicRows: number;
  dead: number;
}): string[] {
  const out: string[] = [];
  if (x.snapshot && !('skipped' in x.snapshot) && !x.snapshot.verify.converged) out.push('the snapshot phase\'s HQ DIVERGED from its clinic');
  if (!x.verify.converged) out.push(`HQ DIVERGED from the clinic (atomsync verify exit ${x.verify.exitCode})`);
  if (x.live && x.live.unseen > 0) out.push(`${x.live.unseen} live changes were never seen at HQ`);
  if (x.live && x.live.failed > 0) out.push(`${x.live.failed} live writes failed at the clinic`);
  if (x.copied[0] !== x.clinicRows) out.push(`the baseline copied ${x.copied[0]} rows, the clinic has ${x.clinicRows}`);
  if (x.copied[1] !== x.clinicRows) out.push(`the second baseline copied ${x.copied[1]} rows, the clinic has ${x.clinicRows}`);
  if (x.dead > 0) out.push(`${x.dead} dead letters at HQ`);
  return out;
}

async function main(argv: string[]): Promise<number> {
  let o: ReturnType<typeof parseOptions>;
  try {
    o = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    process.stderr.write(`${err.message}\nRun "npm run bench -- --help" for the options.\n`);
    return 2;
  }
  if (o === 'help') {
    say(HELP);
    return 0;
  }
  const logDir = mkdtempSync(join(os.tmpdir(), 'atomsync-bench-'));
  const children = new Children(logDir);
  const cleanup = new Cleanup((l) => process.stderr.write(`${l}\n`));
  cleanup.add('stop processes', () => children.stopAll());
  let interrupted = false;
  const onSignal = (signal: string) => {
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping every process and dropping the databases (again to kill at once)\n`);
    process.once('SIGINT', () => {
      children.killAll();
      process.exit(130);
    });
    void cleanup.run().then(() => {
      process.stderr.write(`logs kept in ${logDir}\n`);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let ok = false;
  try {
    const one = () => run(o, cleanup, children, logDir).then((r) => ({ valid: r.valid, report: formatReport(r), json: r }));
    const result = await (o.clinics > 1 ? runManyClinics(o, cleanup, children, logDir) : one()).catch((err) => {
      // After Ctrl-C, what fails is only the clean-up pulling things away: not worth a stack trace.
      if (interrupted) return new Promise<never>(() => undefined);
      throw err;
    });
    say(result.report);
    say(`BENCH_JSON ${JSON.stringify(result.json)}`);
    ok = result.valid;
    return ok ? 0 : 1;
  } finally {
    await cleanup.run();
    if (ok && !o.keep) rmSync(logDir, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${logDir}\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    // The benchmark's own errors say what happened; anything else gets its stack.
    const known = err instanceof ChildExitedError || err instanceof PhaseTimeoutError || err instanceof CopyFailedError || err instanceof MissingToolError;
    process.stderr.write(`bench failed: ${known ? `${err.name}: ${err.message}` : ((err as Error).stack ?? err)}\n`);
    process.exitCode = 1;
  },
);
