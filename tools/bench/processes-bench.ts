// `npm run bench:processes`: HQ on 1, 2 and 3 `atomsync subscribe --share-feeds` processes.
// N clinics are seeded (a few at a time), each gets its own `atomsync publish`; then, for each
// process count, an empty HQ database is caught up by that many subscriber processes sharing the
// N feeds through one Redis (BullMQ jobs, subscriber/feed-jobs.ts), at the subscriber's defaults
// otherwise. Prints, per count: the catch-up's wall time and events/s, each process's CPU and peak
// RSS, and `atomsync verify` of HQ against every clinic; then one `BENCH_JSON {...}` line.
// On one machine the processes share its cores with the publishers and MariaDB: the figures say
// what extra processes cost or bring here, not on separate machines.
// Everything it creates (databases, processes, queues) goes at the end, on error and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, openPool } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import { seedNode } from '../seed/index.ts';
import { Cleanup } from './cleanup.ts';
import { round } from './stats.ts';
import { startPublisher } from './sync/catch-up.ts';
import { Children } from './sync/children.ts';
import type { Child } from './sync/children.ts';
import { eventCount } from './sync/db-figures.ts';
import { untilFeedsCaughtUp } from './sync/feeds-caught-up.ts';
import { inParallel } from './sync/many-clinics.ts';
import { atRest, machineInfo } from './sync/machine-figures.ts';
import { findPid, ProcMonitor } from './sync/proc-stats.ts';
import { Progress } from './sync/progress.ts';
import { dropQueue } from './sync/retry-queue.ts';
import { runVerify } from './sync/verify-run.ts';

const USERS = 'bench:bench-secret';
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Options {
  clinics: number;
  patients: number;
  processes: number[];
  dbServer: string;
  redisUrl: string;
  timeoutS: number;
  keep: boolean;
}

const HELP = `npm run bench:processes -- [options]
  --clinics N         clinics, each with its own publisher (default 6)
  --patients N        patients per clinic (default 100)
  --processes LIST    HQ process counts to measure, in order (default 1,2,3)
  --db-server URL     MariaDB server (default mysql://root@127.0.0.1:3306)
  --redis URL         Redis (default redis://127.0.0.1:6379)
  --timeout-s S       longest a catch-up may take (default 900)
  --keep              keep the databases`;

function options(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      clinics: { type: 'string', default: '6' }, patients: { type: 'string', default: '100' }, processes: { type: 'string', default: '1,2,3' },
      'db-server': { type: 'string', default: 'mysql://root@127.0.0.1:3306' }, redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      'timeout-s': { type: 'string', default: '900' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: a whole number from ${min} to ${max} (got ${v})`);
    return n;
  };
  return {
    clinics: int('clinics', values.clinics!, 1, 100),
    patients: int('patients', values.patients!, 1, 100_000),
    processes: values.processes!.split(',').map((p) => int('processes', p.trim(), 1, 16)),
    dbServer: values['db-server']!.replace(/\/$/, ''),
    redisUrl: values.redis!,
    timeoutS: int('timeout-s', values['timeout-s']!, 10, 86_400),
    keep: values.keep!,
  };
}

interface Clinic {
  name: string;
  url: string;
  pool: Pool;
  feedUrl: string;
  feedKey: string;
  events: number;
}

interface CountResult {
  processes: number;
  events: number;
  wallMs: number;
  eventsPerSecond: number;
  perProcess: Array<{ cpuS: number; peakRssMiB: number | null }>;
  verify: string;
  converged: boolean;
}

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = options(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (!o) {
    say(HELP);
    return 0;
  }
  const cleanup = new Cleanup(say);
  const logDir = mkdtempSync(join(os.tmpdir(), 'atomsync-bench-processes-'));
  const children = new Children(logDir);
  // Processes first: a live one could hold a lock that DROP DATABASE waits for.
  const finish = async () => {
    children.close();
    await children.stopAll();
    await cleanup.run();
  };
  const stop = () => void finish().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await run(o, cleanup, children, logDir);
  } finally {
    await finish();
    if (!o.keep) rmSync(logDir, { recursive: true, force: true });
  }
}

async function run(o: Options, cleanup: Cleanup, children: Children, logDir: string): Promise<number> {
  const runId = randomBytes(4).toString('hex');
  const name = `as_bench_procs_${runId}`;
  const url = (db: string) => `${o.dbServer}/${db}`;
  const clinics = await seedClinics(o, cleanup, name, url);
  const machine = await machineInfo(clinics[0].pool);
  say(`machine: ${machine.cpus} x ${machine.cpuModel}, ${round(machine.totalMemBytes / 2 ** 30, 0)} GiB, ${machine.platform}, Node ${machine.node}, MariaDB ${machine.mariadb}; logs in ${logDir}`);
  const progress = new Progress(process.stdout);
  for (const c of clinics) {
    const pub = await startPublisher(children, c.pool, { dbUrl: c.url, users: USERS, timeoutMs: 600_000, progress, name: `publisher-${c.name}` });
    c.feedKey = `${pub.origin}/openmrs/ws/atomfeed/all/recent`;
    c.feedUrl = c.feedKey.replace('://', `://${USERS}@`);
    c.events = await eventCount(c.pool);
  }
  progress.end();
  const total = clinics.reduce((n, c) => n + c.events, 0);
  say(`${clinics.length} publishers up; ${total} events in all`);
  const results: CountResult[] = [];
  for (const n of o.processes) results.push(await catchUpWith(n, o, clinics, { cleanup, children, name, url, progress }));
  say('');
  say(`HQ on several processes: ${clinics.length} clinics x ${o.patients} patients, ${total} events; subscribe --share-feeds at its defaults`);
  say('processes | catch-up | events/s | CPU s per process | peak RSS per process (MiB) | verify');
  for (const r of results) {
    say(`${r.processes} | ${round(r.wallMs / 1000, 1)} s | ${r.eventsPerSecond} | ${r.perProcess.map((p) => p.cpuS).join(', ')} | ${r.perProcess.map((p) => p.peakRssMiB ?? '?').join(', ')} | ${r.verify}`);
  }
  say(`BENCH_JSON ${JSON.stringify({ kind: 'hq-processes', machine, clinics: clinics.length, patients: o.patients, events: total, results })}`);
  return results.every((r) => r.converged) ? 0 : 1;
}

async function seedClinics(o: Options, cleanup: Cleanup, name: string, url: (db: string) => string): Promise<Clinic[]> {
  const clinics: Clinic[] = [];
  for (let i = 0; i < o.clinics; i++) {
    const c = `c${String(i + 1).padStart(2, '0')}`;
    const db = `${name}_${c}`;
    await ensureDatabase(url(db));
    if (!o.keep) cleanup.add(`drop ${db}`, () => dropDatabase(url(db)));
    const pool = openPool(url(db), { connectionLimit: 4 });
    cleanup.add(`close ${db}`, () => pool.end());
    clinics.push({ name: c, url: url(db), pool, feedUrl: '', feedKey: '', events: 0 });
  }
  const started = Date.now();
  await inParallel(clinics, 3, async (c) => {
    await migrate(c.pool, c.name);
    await seedNode(c.pool, { patients: o.patients, seed: `procs-${c.name}` });
    say(`seeded ${c.name}`);
  });
  say(`${clinics.length} clinics seeded with ${o.patients} patients each in ${round((Date.now() - started) / 1000, 1)} s`);
  return clinics;
}

async function catchUpWith(
  n: number,
  o: Options,
  clinics: Clinic[],
  r: { cleanup: Cleanup; children: Children; name: string; url: (db: string) => string; progress: Progress },
): Promise<CountResult> {
  const hqDb = `${r.name}_hq${n}`;
  await ensureDatabase(r.url(hqDb));
  if (!o.keep) r.cleanup.add(`drop ${hqDb}`, () => dropDatabase(r.url(hqDb)));
  const hq = openPool(r.url(hqDb), { connectionLimit: 4 });
  await migrate(hq, 'hq');
  const queues = [`${r.name}-retry-${n}`, `${r.name}-feeds-${n}`];
  r.cleanup.add(`drop queues of ${n}`, async () => {
    await r.children.stopAll();
    for (const q of queues) await dropQueue(o.redisUrl, q);
  });
  const monitor = new ProcMonitor(500);
  monitor.watch('mariadbd', findPid(['mariadbd', 'mysqld']));
  monitor.start();
  const rest = await atRest(monitor);
  if (!rest.quiet) say(`WARNING: the machine is busy before the run (${rest.machinePct}%); figures will be disturbed`);
  say(`catch-up with ${n} process${n === 1 ? '' : 'es'} into ${hqDb}`);
  const startedAt = monitor.mark();
  const subs: Child[] = [];
  for (let i = 0; i < n; i++) {
    const s = r.children.atomsync(`subscriber-${n}-${i + 1}`, [
      'subscribe', '--db', r.url(hqDb), '--node-id', 'hq', '--redis', o.redisUrl, '--queue', queues[0], '--share-feeds', '--feeds-queue', queues[1],
      ...clinics.flatMap((c) => ['--feed', c.feedUrl]),
    ]);
    monitor.watch(`subscriber-${i + 1}`, s.pid);
    subs.push(s);
  }
  const t = await untilFeedsCaughtUp(subs[0], hq, clinics.map((c) => ({ feedKey: c.feedKey, events: c.events })), {
    startedAt, timeoutMs: o.timeoutS * 1000, phase: `catch-up with ${n} processes`, progress: r.progress, monitor,
  });
  r.progress.end();
  const wallMs = t.endedAt - startedAt;
  const perProcess = subs.map((_, i) => {
    const w = monitor.window(`subscriber-${i + 1}`, startedAt, t.endedAt);
    const hwm = monitor.latest(`subscriber-${i + 1}`)?.hwmKb;
    return { cpuS: round(w?.cpuS ?? 0, 1), peakRssMiB: hwm ? round(hwm / 1024, 0) : null };
  });
  monitor.stop();
  for (const s of subs) await r.children.stop(s);
  const events = clinics.reduce((a, c) => a + c.events, 0);
  const v = await runVerify(r.children, clinics.map((c) => c.url), r.url(hqDb), 600_000);
  await hq.end();
  const result = { processes: n, events, wallMs, eventsPerSecond: round((events * 1000) / wallMs, 0), perProcess, verify: v.summary, converged: v.converged };
  say(`  ${round(wallMs / 1000, 1)} s, ${result.eventsPerSecond} events/s; ${v.summary}`);
  return result;
}

process.exitCode = await main();
