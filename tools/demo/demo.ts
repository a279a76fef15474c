// `atomsync demo`: a real sync you can watch. Two clinics are created, migrated
// and seeded; each gets an `atomsync publish` process; HQ runs `atomsync
// subscribe`. Progress is shown per feed during catch-up, then live lag while
// the clinics keep working. At the end the activity stops, HQ catches up,
// `verify` proves convergence, and every process the demo started is stopped.
// Every wait lasts as long as what it waits for makes progress (stall.ts): a
// busy machine makes the demo slower, not wrong.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { migrate } from '../../shared/schema/migrate.ts';
import {
  advanceProgramState,
  createPatient,
  createVisitWithEncounter,
  editPatientName,
  openLiveContext,
  pickEncounterId,
  pickPatientId,
  Rng,
  seedNode,
  voidEncounter,
} from '../seed/index.ts';
import type { LiveContext } from '../seed/index.ts';
import { diverges, formatReport, verify } from '../verify.ts';
import { verifyErp } from '../../subscriber/erp/erp-verify.ts';
import type { ErpDiff } from '../../subscriber/erp/erp-verify.ts';
import { DemoView, ERP_CATEGORIES } from './measure.ts';
import type { Clinic as MeasuredClinic } from './measure.ts';
import { DemoProcesses, waitForUrl } from './processes.ts';
import { ProgressDisplay, formatDuration } from './progress.ts';

export interface DemoOptions {
  dbServer: string;
  redisUrl: string;
  patients: number;
  /** Seconds of live activity after the catch-up. */
  durationS: number;
  /** Changes per second across both clinics while live. */
  changesPerS: number;
  /** Seconds a wait goes on with no progress at all before the demo gives up on it. */
  patienceS: number;
  out: (line: string) => void;
  stopSignal: Promise<string>;
}

const USERS = 'hq:hq-demo-secret,erp:erp-demo-secret';
const HQ_CREDENTIALS = 'hq:hq-demo-secret';

interface Clinic extends MeasuredClinic {
  ctx?: LiveContext;
  publisher?: ChildProcess;
}

/** The demo's databases: two clinics, HQ and the ERP; a pool is open once its database is set up. */
interface Databases {
  clinics: Clinic[];
  hqUrl: string;
  erpUrl: string;
  hqPool: Pool | null;
  erpPool: Pool | null;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const procs = new DemoProcesses(mkdtempSync(join(tmpdir(), 'atomsync-demo-')));
  const clinics: Clinic[] = ['field-a', 'field-b'].map((nodeId) => ({
    nodeId,
    url: `${o.dbServer}/demo_${nodeId.replace('-', '_')}`,
    pool: null as unknown as Pool,
  }));
  const dbs: Databases = { clinics, hqUrl: `${o.dbServer}/demo_hq`, erpUrl: `${o.dbServer}/demo_erp`, hqPool: null, erpPool: null };
  let interrupted = false;
  void o.stopSignal.then(() => {
    interrupted = true;
    o.out('\nstopping: finishing the activity, letting HQ catch up, then verifying (Ctrl-C again to abort)');
    process.once('SIGINT', () => {
      procs.killAll();
      process.exit(130);
    });
  });

  try {
    o.out(`setting up two clinics, HQ and an ERP on ${o.dbServer} (databases demo_field_a, demo_field_b, demo_hq, demo_erp; logs in ${procs.logDir})`);
    const { hqPool, erpPool } = await setUpDatabases(dbs, o);
    const subscriber = await startSync(procs, dbs, o);
    const display = new ProgressDisplay(process.stdout);
    const view = new DemoView(clinics, hqPool, erpPool, o.patienceS);
    const started = Date.now();
    const changes = await catchUpThenLive(view, display, clinics, subscriber, o, procs.logDir, () => interrupted);
    display.note('activity stopped; waiting for HQ to apply the last changes');
    await waitForHq(view, display, o.patienceS);
    const ok = await converged(view, { ...dbs, hqPool, erpPool }, o, procs.logDir);
    const [{ n: dead }] = await queryRows<{ n: number }>(hqPool, `SELECT COUNT(*) AS n FROM atomsync_inbox WHERE status = 'dead'`);
    const [{ n: conflicts }] = await queryRows<{ n: number }>(hqPool, `SELECT COUNT(*) AS n FROM atomsync_conflict`);
    o.out(`\n${ok ? 'CONVERGED' : 'DIVERGED'}: ${changes} live changes, ${dead} dead letters, ${conflicts} conflicts; total ${formatDuration((Date.now() - started) / 1000)}`);
    o.out(`the databases stay for you to inspect: ${clinics.map((c) => c.url).join(', ')}, ${dbs.hqUrl}, ${dbs.erpUrl}`);
    return ok ? 0 : 1;
  } finally {
    await procs.stopAll();
    await Promise.all([...clinics.map((c) => c.pool?.end().catch(() => undefined)), dbs.hqPool?.end().catch(() => undefined), dbs.erpPool?.end().catch(() => undefined)]);
  }
}

/** Each clinic created, migrated and seeded, then HQ migrated and the ERP's database created, all of them afresh. */
async function setUpDatabases(dbs: Databases, o: DemoOptions): Promise<{ hqPool: Pool; erpPool: Pool }> {
  for (const c of dbs.clinics) {
    await freshDatabase(c.url);
    c.pool = openPool(c.url, { connectionLimit: 4 });
    await migrate(c.pool, c.nodeId);
    const started = Date.now();
    const r = await seedNode(c.pool, { patients: o.patients, seed: 'demo' });
    o.out(`  ${c.nodeId}: seeded ${r.patients} patients, ${r.rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    c.ctx = await openLiveContext(c.pool, { seed: 'demo', stream: `demo-${Date.now()}` });
  }
  await freshDatabase(dbs.hqUrl);
  const hqPool = (dbs.hqPool = openPool(dbs.hqUrl, { connectionLimit: 4 }));
  await migrate(hqPool, 'hq');
  await freshDatabase(dbs.erpUrl);
  const erpPool = (dbs.erpPool = openPool(dbs.erpUrl, { connectionLimit: 2 }));
  return { hqPool, erpPool };
}

async function freshDatabase(url: string): Promise<void> {
  await dropDatabase(url);
  await ensureDatabase(url);
}

/** A publisher per clinic, HQ's subscriber of both and the ERP; answers the subscriber, once it listens. */
async function startSync(procs: DemoProcesses, dbs: Databases, o: DemoOptions): Promise<ChildProcess> {
  const { clinics } = dbs;
  for (const c of clinics) {
    c.publisher = procs.start(`publisher-${c.nodeId}`, ['publish', '--db', c.url, '--port', '0', '--users', USERS]);
    const base = await waitForUrl(c.publisher, /publishing at (http:\/\/[^/\s]+)/, o.patienceS);
    c.feedUrl = `${base}/openmrs/ws/atomfeed/all/recent`;
  }
  o.out('\nfeeds an admin can open (user hq, password hq-demo-secret; the ERP reads them as erp):');
  for (const c of clinics) o.out(`  ${c.nodeId}: ${c.feedUrl}`);
  o.out('');
  const feeds = clinics.flatMap((c) => ['--feed', c.feedUrl!.replace('://', `://${HQ_CREDENTIALS}@`)]);
  const subscriber = procs.start('subscriber-hq', [
    'subscribe', '--db', dbs.hqUrl, '--node-id', 'hq', '--redis', o.redisUrl, '--queue', `atomsync-demo-${process.pid}`, '--poll-ms', '250',
    '--http-port', '0', '--admin-users', 'admin:admin-demo-secret', ...feeds,
  ]);
  const statusUrl = await waitForUrl(subscriber, /status page at (http:\/\/\S+)/, o.patienceS);
  o.out(`HQ's status page (user admin, password admin-demo-secret): ${statusUrl}\n`);

  // The ERP reads the same clinics' patient, encounter, obs, order and drug feeds, with its own credentials and markers.
  const erpFeeds = clinics.flatMap((c) => ERP_CATEGORIES.flatMap((cat) => ['--feed', c.feedUrl!.replace('/all/recent', `/${cat}/recent`)]));
  procs.start('erp', [
    'erp', '--db', dbs.erpUrl, '--node-id', 'erp', '--redis', o.redisUrl, '--queue', `atomsync-demo-erp-${process.pid}`,
    '--credentials', 'erp:erp-demo-secret', '--poll-ms', '250', ...erpFeeds,
  ]);
  return subscriber;
}

/** Verifies HQ against both clinics and checks the ERP, printing both; answers whether everything matches. */
async function converged(view: DemoView, dbs: Databases & { erpPool: Pool }, o: DemoOptions, logDir: string): Promise<boolean> {
  o.out('\nverifying HQ against both clinics (every synced row, by uuid and content):');
  const reports = await verify(dbs.clinics.map((c) => c.url), dbs.hqUrl);
  o.out(formatReport(reports));
  const erp = await waitForErp(view, dbs.clinics, dbs.erpPool, o, logDir);
  o.out('\nchecking the ERP against both clinics (customers, orders, order lines):');
  for (const d of erp ?? []) o.out(`  ${d.kind.padEnd(12)} ${d.total} expected, ${d.missing.length} missing, ${d.extra.length} extra, ${d.wrong.length} different`);
  return !diverges(reports) && erp !== null && erpMatches(erp);
}

/**
 * Shows the catch-up until HQ has reached the end of both feeds, then makes changes at the
 * clinics for the live part while showing the lag. Ends early when interrupted, or when HQ
 * makes no progress at all during the catch-up. Answers the number of changes made.
 */
async function catchUpThenLive(
  view: DemoView, display: ProgressDisplay, clinics: Clinic[], subscriber: ChildProcess, o: DemoOptions, logDir: string, interrupted: () => boolean,
): Promise<number> {
  const started = Date.now();
  let liveSince: number | null = null;
  let changes = 0;
  const rng = Rng.from('demo', 'activity', String(started));
  for (;;) {
    if (subscriber.exitCode !== null) throw new Error(`the subscriber exited (${subscriber.exitCode}); see ${logDir}/subscriber-hq.log`);
    const { states, lines } = await view.look();
    if (liveSince === null && states.every((p) => p.caughtUpOnce)) {
      liveSince = Date.now();
      display.note(`caught up in ${formatDuration((liveSince - started) / 1000)}; now the clinics keep working for ${o.durationS} s`);
    }
    lines.push(liveSince === null ? `elapsed ${formatDuration((Date.now() - started) / 1000)}` : `live for ${formatDuration((Date.now() - liveSince) / 1000)}, ${changes} changes made at the clinics`);
    display.show(lines);
    if (liveSince === null && view.hqWatch.stalled) {
      display.note(`HQ made no progress for ${o.patienceS} s; verifying what it has (logs in ${logDir})`);
      return changes;
    }
    if (interrupted() || (liveSince !== null && Date.now() - liveSince >= o.durationS * 1000)) return changes;
    if (liveSince === null) {
      await sleep(500);
      continue;
    }
    for (const tickEnd = Date.now() + 500; Date.now() < tickEnd && !interrupted(); changes++) {
      await randomChange(rng.pick(clinics), rng);
      await sleep(Math.max(0, 1000 / o.changesPerS));
    }
  }
}

/** One change at a clinic, as its staff would make it. */
async function randomChange(c: Clinic, rng: Rng): Promise<void> {
  const ctx = c.ctx!;
  const roll = rng.int(0, 99);
  try {
    if (roll < 30) await createPatient(c.pool, ctx);
    else if (roll < 75) {
      const p = await pickPatientId(c.pool, rng);
      if (p !== null) await createVisitWithEncounter(c.pool, ctx, p);
    } else if (roll < 85) {
      const p = await pickPatientId(c.pool, rng);
      if (p !== null) await editPatientName(c.pool, ctx, p);
    } else if (roll < 90) {
      await advanceProgramState(c.pool, ctx); // an enrolment moves to its next state
    } else {
      const e = await pickEncounterId(c.pool, rng);
      if (e !== null) await voidEncounter(c.pool, ctx, e);
    }
  } catch {
    // A random pick can race with a void; the next change goes ahead.
  }
}

/** Until HQ has applied every event with none parked, or has made no progress for the patience. */
async function waitForHq(view: DemoView, display: ProgressDisplay, patienceS: number): Promise<void> {
  for (;;) {
    const { states, lines } = await view.look();
    display.show(lines, true);
    if (states.every((s) => s.done >= s.total && s.parked === 0)) return;
    if (view.hqWatch.stalled) {
      display.note(`HQ made no progress for ${patienceS} s; verifying anyway`);
      return;
    }
    await sleep(500);
  }
}

/**
 * The ERP polls on its own: it is judged once it has read every event of its feeds with none
 * parked and matches the clinics, or once it has made no progress for the patience.
 */
async function waitForErp(view: DemoView, clinics: Clinic[], erpPool: Pool, o: DemoOptions, logDir: string): Promise<ErpDiff[] | null> {
  const display = new ProgressDisplay(process.stdout);
  let checkedAt = 0;
  for (;;) {
    const { lines } = await view.look();
    const s = view.erp;
    const stalled = view.erpWatch.stalled;
    if ((s.done >= s.total && s.parked === 0 && Date.now() - checkedAt >= 5_000) || stalled) {
      checkedAt = Date.now();
      const diffs = await verifyErp(clinics, erpPool).catch((err: Error) => (o.out(`checking the ERP failed: ${err.message}`), null));
      if (stalled && !(diffs && erpMatches(diffs))) o.out(`the ERP made no progress for ${o.patienceS} s (logs in ${logDir})`);
      if (stalled || (diffs && erpMatches(diffs))) return diffs;
    }
    display.show(lines.slice(-1));
    await sleep(1000);
  }
}

const erpMatches = (diffs: ErpDiff[]) => diffs.every((d) => d.missing.length + d.extra.length + d.wrong.length === 0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
