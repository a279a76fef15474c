// `npm run bench`: measures HQ's subscriber against one clinic, with real
// `atomsync publish` and `atomsync subscribe` processes on 127.0.0.1:
//   1. catch-up of an empty HQ from a seeded clinic (events/s, rows/s, time to
//      the first applied event, CPU and memory of every process involved);
//   2. live latency, commit at the clinic to visible at HQ, under a steady rate;
//   3. the baseline, mysqldump | mysql of the same tables (before and again right after the
//      catch-up), and the ratio of the catch-up to their mean;
//   4. a real OpenMRS database adopted with its history: the snapshot's rows/s, the clinic's
//      write latency during it, HQ's catch-up from it (bench/snapshot-phase.ts).
// Ends with `atomsync verify`: figures from a sync that diverged are not valid.
// Prints a table, then one `BENCH_JSON {...}` line. Everything it creates
// (databases, processes, the Redis queue) is removed at the end, on error and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { dropDatabase, ensureDatabase, openPool } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { seedNode } from '../seed/index.ts';
import { CopyFailedError, dumpAndLoad, MissingToolError } from './sync/baseline-copy.ts';
import { catchUp, ChildExitedError, PhaseTimeoutError, startPublisher, waitForHq } from './sync/catch-up.ts';
import { Children } from './sync/children.ts';
import { Cleanup } from './cleanup.ts';
import { conflictCount, countTables, eventCount, hqProgress, SYNCED_TABLES, serverVersion } from './sync/db-figures.ts';
import { liveLatency } from './sync/live-latency.ts';
import { BenchUsageError, HELP, parseOptions } from './sync/options.ts';
import type { BenchOptions } from './sync/options.ts';
import { findPid, MACHINE, ProcMonitor } from './sync/proc-stats.ts';
import { Progress } from './sync/progress.ts';
import { formatReport, OTHER } from './sync/report.ts';
import type { BenchResult, MachineInfo, MemoryFigures, ProcessFigures } from './sync/report.ts';
import { round, sleep } from './stats.ts';
import { snapshotPhase } from './sync/snapshot-phase.ts';
import { runVerify } from './sync/verify-run.ts';

const USERS = 'bench:bench-secret';
const LIVE = { patientShare: 0.1, maxInFlight: 4, pollMs: 20, seenTimeoutMs: 60_000 };
const RELAY_TIMEOUT_MS = 10 * 60_000;
const SETTLE_TIMEOUT_MS = 120_000;
const COPY_TIMEOUT_MS = 30 * 60_000;
const VERIFY_TIMEOUT_MS = 10 * 60_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function machineInfo(pool: Pool): Promise<MachineInfo> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    mariadb: await serverVersion(pool),
    date: new Date().toISOString(),
  };
}

async function seedClinic(pool: Pool, patients: number, progress: Progress) {
  let lastTenth = -1;
  const report = await seedNode(pool, {
    patients,
    seed: 'bench',
    onProgress: (done, total) => {
      const tenth = Math.floor((10 * done) / total);
      if (progress.tty) progress.update(`seeding: ${done}/${total} patients`);
      else if (tenth !== lastTenth) progress.update(`seeding: ${done}/${total} patients`, true);
      lastTenth = tenth;
    },
  });
  progress.end();
  return report;
}

/** Removes the retry queue's keys (BullMQ's default prefix) once the subscriber is gone. */
async function dropQueue(redisUrl: string, queue: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined); // a failed connect rejects connect(), which the clean-up reports
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${queue}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** CPU and memory of every watched process over a window, then the whole machine and what the processes do not explain. */
function processFigures(monitor: ProcMonitor, from: number, to: number, units: number): Record<string, ProcessFigures> {
  const out: Record<string, ProcessFigures> = {};
  const perUnit = (cpuS: number) => (units > 0 ? round((1000 * cpuS) / units, 2) : null);
  let watchedS = 0;
  for (const name of monitor.names()) {
    const w = monitor.window(name, from, to);
    if (!w) continue;
    out[name] = { ...w, cpuS: round(w.cpuS, 2), cpuMsPerUnit: perUnit(w.cpuS) };
    watchedS += w.cpuS;
  }
  const m = monitor.window(MACHINE, from, to);
  if (m) {
    out[MACHINE] = { ...m, cpuS: round(m.cpuS, 2), maxRssKb: null, cpuMsPerUnit: perUnit(m.cpuS) };
    const otherS = Math.max(0, m.cpuS - watchedS);
    out[OTHER] = { cpuS: round(otherS, 2), cpuPct: Math.round((100 * otherS) / Math.max(0.001, (to - from) / 1000)), peakCpuPct: null, maxRssKb: null, cpuMsPerUnit: perUnit(otherS) };
  }
  return out;
}

/** A look at the machine for 2 s before the run: a busy machine or database server makes every figure doubtful. */
async function atRest(monitor: ProcMonitor): Promise<BenchResult['background']> {
  const from = monitor.mark();
  await sleep(2000);
  const to = monitor.mark();
  const machine = monitor.window(MACHINE, from, to);
  const mariadbd = monitor.window('mariadbd', from, to);
  return {
    machinePct: machine?.cpuPct ?? null,
    mariadbdPct: mariadbd?.cpuPct ?? null,
    quiet: (machine?.cpuPct ?? 0) < 25 && (mariadbd?.cpuPct ?? 0) < 10,
  };
}

async function run(o: BenchOptions, cleanup: Cleanup, children: Children, logDir: string): Promise<BenchResult> {
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
  const machine = await machineInfo(clinic);

  await migrate(clinic, 'clinic');
  say(`seeding the clinic with ${o.patients} patients`);
  const seeded = await seedClinic(clinic, o.patients, progress);
  const clinicRows = await countTables(clinic);
  say(`seeded ${seeded.rows} rows in ${round(seeded.elapsedMs / 1000, 1)} s (${seeded.rowsPerSecond} rows/s)`);

  // The baseline runs first, on a quiet server: no publisher or subscriber yet.
  say('baseline: mysqldump | mysql of the synced tables into an empty database');
  const copy = await dumpAndLoad(children, url(databases.clinic), url(databases.copy), SYNCED_TABLES, COPY_TIMEOUT_MS);
  const copyPool = openPool(url(databases.copy), { connectionLimit: 1 });
  const copiedRows = await countTables(copyPool).finally(() => copyPool.end());
  say(`baseline: ${copiedRows.total} rows in ${round(copy.wallMs / 1000, 2)} s`);

  monitor.watch('mariadbd', findPid(['mariadbd', 'mysqld']));
  monitor.watch('redis-server', findPid(['redis-server']));
  monitor.watch('bench', process.pid);
  monitor.start();
  const background = await atRest(monitor);
  if (!background.quiet) say(`WARNING: the machine is not at rest before the run (${background.machinePct}% busy, mariadbd ${background.mariadbdPct}%); figures will be disturbed`);

  await migrate(hq, 'hq');
  say('starting `atomsync publish`; waiting for its relay to number the whole outbox');
  const pub = await startPublisher(children, clinic, { dbUrl: url(databases.clinic), users: USERS, timeoutMs: RELAY_TIMEOUT_MS, progress });
  monitor.watch('publisher', pub.child.pid);
  say(`publisher at ${pub.origin}: ${pub.outboxRowsAtStart} outbox rows numbered in ${round(pub.relayDrainMs / 1000, 2)} s`);

  const queue = name;
  const feedUrl = `${pub.origin.replace('://', `://${USERS}@`)}/openmrs/ws/atomfeed/all/recent`;
  say('starting `atomsync subscribe` on the empty HQ database');
  cleanup.add('drop the retry queue', async () => {
    await children.stopAll(); // the subscriber first, or it could write keys again
    await dropQueue(o.redisUrl, queue);
  });
  const { subscriber, result: c } = await catchUp(children, clinic, hq, {
    hqUrl: url(databases.hq), feedUrl, redisUrl: o.redisUrl, queue, pollMs: 100, timeoutMs: o.catchUpTimeoutS * 1000, progress, monitor,
  });
  say(`caught up: ${c.events} events in ${round(c.wallMs / 1000, 2)} s`);
  // The copy again, right after: this machine's speed drifts by 10-20 % from minute to minute,
  // so the ratio is taken against the mean of a copy just before and one just after the catch-up.
  // (The publisher and subscriber are idle meanwhile: one small poll every 100 ms.)
  say('baseline again, right after the catch-up');
  const copyAfter = await dumpAndLoad(children, url(databases.clinic), url(databases.copyAfter), SYNCED_TABLES, COPY_TIMEOUT_MS);
  const copyMeanMs = (copy.wallMs + copyAfter.wallMs) / 2;
  const copyAfterPool = openPool(url(databases.copyAfter), { connectionLimit: 1 });
  const copiedAfterRows = await countTables(copyAfterPool).finally(() => copyAfterPool.end());
  say(`baseline: ${round(copy.wallMs / 1000, 2)} s before, ${round(copyAfter.wallMs / 1000, 2)} s after`);
  const memory: Record<string, MemoryFigures> = {};
  for (const n of monitor.names()) memory[n] = { peakAfterCatchUpKb: monitor.latest(n)?.hwmKb ?? null, peakAtEndKb: null, maxSampledRssKb: null };

  let live: BenchResult['live'] = null;
  if (!o.skipLive) {
    say(`live: ${o.rate} changes/s for ${o.liveSeconds} s at the clinic`);
    const l = await liveLatency(clinic, hq, { ...LIVE, rate: o.rate, durationS: o.liveSeconds, runId, progress });
    live = { ...l, processes: processFigures(monitor, l.startedAt, l.endedAt, l.committed) };
  }
  const settleMs = await waitForHq(clinic, hq, subscriber, SETTLE_TIMEOUT_MS);
  const endMark = monitor.mark();
  for (const n of monitor.names()) {
    memory[n].peakAtEndKb = monitor.latest(n)?.hwmKb ?? null;
    memory[n].maxSampledRssKb = monitor.window(n, 0, endMark)?.maxRssKb ?? null;
  }
  const final = { events: await eventCount(clinic), dead: (await hqProgress(hq)).dead, conflicts: await conflictCount(hq), settleMs };
  monitor.stop();
  await children.stop(subscriber);
  await children.stop(pub.child);

  say('verifying HQ against the clinic (atomsync verify)');
  const verify = await runVerify(children, url(databases.clinic), url(databases.hq), VERIFY_TIMEOUT_MS);

  let snapshot: BenchResult['snapshot'] = null;
  if (!o.skipSnapshot) {
    say(`snapshot phase: ${o.snapshotPatients} patients of history in a real OpenMRS database`);
    snapshot = await snapshotPhase(children, cleanup, {
      dbServer: o.dbServer, name, patients: o.snapshotPatients, writeRate: 20, quietSeconds: 15, users: USERS, keep: o.keep,
      timeoutMs: o.catchUpTimeoutS * 1000, progress, say,
    });
    if ('skipped' in snapshot) say(`snapshot phase skipped: ${snapshot.skipped}`);
  }

  const invalidBecause: string[] = [];
  if (snapshot && !('skipped' in snapshot) && !snapshot.verify.converged) invalidBecause.push('the snapshot phase\'s HQ DIVERGED from its clinic');
  if (!verify.converged) invalidBecause.push(`HQ DIVERGED from the clinic (atomsync verify exit ${verify.exitCode})`);
  if (live && live.unseen > 0) invalidBecause.push(`${live.unseen} live changes were never seen at HQ`);
  if (live && live.failed > 0) invalidBecause.push(`${live.failed} live writes failed at the clinic`);
  if (copiedRows.total !== clinicRows.total) invalidBecause.push(`the baseline copied ${copiedRows.total} rows, the clinic has ${clinicRows.total}`);
  if (copiedAfterRows.total !== clinicRows.total) invalidBecause.push(`the second baseline copied ${copiedAfterRows.total} rows, the clinic has ${clinicRows.total}`);
  if (final.dead > 0) invalidBecause.push(`${final.dead} dead letters at HQ`);
  return {
    valid: invalidBecause.length === 0,
    invalidBecause,
    machine,
    background,
    options: o,
    databases,
    seed: { patients: seeded.patients, rows: seeded.rows, elapsedMs: Math.round(seeded.elapsedMs), rowsPerSecond: seeded.rowsPerSecond, clinicSyncedRows: clinicRows.total },
    relay: { outboxRows: pub.outboxRowsAtStart, drainMs: pub.relayDrainMs },
    catchUp: { ...c, processes: processFigures(monitor, c.startedAt, c.endedAt, c.events) },
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
    const result = await run(o, cleanup, children, logDir).catch((err) => {
      // After Ctrl-C, what fails is only the clean-up pulling things away: not worth a stack trace.
      if (interrupted) return new Promise<never>(() => undefined);
      throw err;
    });
    say(formatReport(result));
    say(`BENCH_JSON ${JSON.stringify(result)}`);
    ok = result.valid;
    return ok ? 0 : 1;
  } finally {
    await cleanup.run();
    if (ok && !o.keep) rmSync(logDir, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${logDir}\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // The benchmark's own errors say what happened; anything else gets its stack.
    const known = err instanceof ChildExitedError || err instanceof PhaseTimeoutError || err instanceof CopyFailedError || err instanceof MissingToolError;
    process.stderr.write(`bench failed: ${known ? `${err.name}: ${err.message}` : ((err as Error).stack ?? err)}\n`);
    process.exitCode = 1;
  },
);
