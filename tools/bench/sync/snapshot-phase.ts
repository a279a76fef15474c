// Phase 4: adopting a site with its history. A real OpenMRS database (the Reference
// Application fixture) gets `--snapshot-patients` patients of history written before
// atomsync is installed, then `migrate` (which requests the snapshot) and a real
// `atomsync publish`, which publishes that history while the clinic keeps working:
// - rows per second the snapshot publishes (from the publisher's start until every
//   resource is done and the relay has numbered the last of it);
// - the clinic's own write latency (each OpenMRS-like transaction, begin to commit),
//   p50/p95/p99, at a steady rate, first with no publisher running and then during
//   the snapshot;
// - HQ's catch-up from the published history (`atomsync subscribe --once`, empty HQ),
//   checked with `atomsync verify`.
import { dropDatabase, ensureDatabase, openPool, queryRows } from '../../../shared/db.ts';
import type { Pool } from '../../../shared/db.ts';
import { fixtureSkipReason, FIXTURE_PATH, loadFixture } from '../openmrs-fixture.ts';
import type { Cleanup } from '../cleanup.ts';
import { migrate } from '../../../shared/schema/migrate.ts';
import {
  createPatient,
  createVisitWithEncounter,
  editPatientName,
  openLiveContext,
  pickEncounterId,
  pickPatientId,
  seedNode,
  voidEncounter,
} from '../../seed/index.ts';
import type { LiveContext } from '../../seed/index.ts';
import { SNAPSHOT_DEFAULTS } from '../../../publisher/snapshot.ts';
import { assertRunning, PhaseTimeoutError } from './catch-up.ts';
import type { Children } from './children.ts';
import { publisherOrigin } from './children.ts';
import type { Progress } from './progress.ts';
import { perSecond, round, sleep, summarize } from '../stats.ts';
import type { LatencySummary } from '../stats.ts';
import { runVerify } from './verify-run.ts';
import type { VerifyResult } from './verify-run.ts';

export interface SnapshotPhaseOptions {
  dbServer: string;
  name: string;
  patients: number;
  /** Clinic transactions per second while it is measured. */
  writeRate: number;
  /** Seconds of clinic writes measured before the publisher starts. */
  quietSeconds: number;
  users: string;
  keep: boolean;
  timeoutMs: number;
  progress: Progress;
  say: (line: string) => void;
}

export interface SnapshotPhaseResult {
  schema: string;
  patients: number;
  /** Rows of history the snapshot published (one event each). */
  rows: number;
  seedMs: number;
  chunkRows: number;
  /** Publisher spawn to the last snapshot event numbered. */
  wallMs: number;
  rowsPerSecond: number;
  clinicWrites: { quiet: LatencySummary; duringSnapshot: LatencySummary; rate: number; failed: number };
  hqCatchUp: { events: number; wallMs: number; eventsPerSecond: number };
  verify: VerifyResult;
}

/** The clinic at work: one OpenMRS-like transaction every 1/rate s, each timed begin to commit. */
class ClinicWriter {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private current: number[] = [];
  failed = 0;

  constructor(
    private readonly pool: Pool,
    private readonly ctx: LiveContext,
    private readonly rate: number,
  ) {}

  start(): void {
    const every = 1000 / this.rate;
    let next = performance.now();
    this.loop = (async () => {
      while (!this.stopped) {
        const t0 = performance.now();
        try {
          await this.act();
          this.current.push(performance.now() - t0);
        } catch {
          this.failed++;
        }
        next += every;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
  }

  /** The durations measured since the last call. */
  take(): number[] {
    const out = this.current;
    this.current = [];
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async act(): Promise<void> {
    const { pool, ctx } = this;
    switch (ctx.rng.weighted([['patient', 2], ['visit', 4], ['edit', 3], ['void', 1]] as const)) {
      case 'patient':
        await createPatient(pool, ctx);
        return;
      case 'visit': {
        const id = await pickPatientId(pool, ctx.rng);
        if (id !== null) await createVisitWithEncounter(pool, ctx, id);
        return;
      }
      case 'edit': {
        const id = await pickPatientId(pool, ctx.rng);
        if (id !== null) await editPatientName(pool, ctx, id);
        return;
      }
      case 'void': {
        const id = await pickEncounterId(pool, ctx.rng);
        if (id !== null) await voidEncounter(pool, ctx, id);
      }
    }
  }
}

const num = async (pool: Pool, sql: string) => Number((await queryRows<{ n: number | null }>(pool, sql))[0].n ?? 0);

/** Runs the phase, or says why it cannot (no fixture here). */
export async function snapshotPhase(children: Children, cleanup: Cleanup, o: SnapshotPhaseOptions): Promise<SnapshotPhaseResult | { skipped: string }> {
  const skipped = fixtureSkipReason();
  if (skipped) return { skipped };
  const { url, clinic, seeded } = await siteWithHistory(cleanup, o);

  const ctx = await openLiveContext(clinic, { seed: 'bench-history', stream: `bench-${Date.now()}` });
  const writer = new ClinicWriter(clinic, ctx, o.writeRate);
  cleanup.add('stop the clinic writer', () => writer.stop());
  o.say(`snapshot: the clinic writes ${o.writeRate} transactions/s; ${o.quietSeconds} s measured with no publisher`);
  writer.start();
  await sleep(o.quietSeconds * 1000);
  const quiet = summarize(writer.take());

  const started = Date.now();
  const pub = children.atomsync('snapshot-publisher', ['publish', '--db', url.clinic, '--host', '127.0.0.1', '--port', '0', '--users', o.users]);
  const origin = await publisherOrigin(pub);
  const rows = await snapshotPublished(clinic, pub, started + o.timeoutMs, o);
  const wallMs = Date.now() - started;
  const duringSnapshot = summarize(writer.take());
  await writer.stop();
  o.progress.end();
  o.say(`snapshot: ${rows} rows published in ${round(wallMs / 1000, 2)} s`);

  o.say('snapshot: HQ catches up from it (atomsync subscribe --once, empty HQ)');
  const hqCatchUp = await catchUpOnce(children, clinic, `${origin.replace('://', `://${o.users}@`)}/openmrs/ws/atomfeed/all/recent`, url.hq, o.timeoutMs);
  await children.stop(pub);
  const verify = await runVerify(children, url.clinic, url.hq, o.timeoutMs);
  return {
    schema: 'OpenMRS Reference Application 2.1 (../shared/fixtures)',
    patients: seeded.patients,
    rows,
    seedMs: Math.round(seeded.elapsedMs),
    chunkRows: SNAPSHOT_DEFAULTS.chunkRows,
    wallMs,
    rowsPerSecond: perSecond(rows, wallMs),
    clinicWrites: { quiet, duringSnapshot, rate: o.writeRate, failed: writer.failed },
    hqCatchUp,
    verify,
  };
}

/** The site's database (the fixture with history written before atomsync), migrated, and an empty migrated HQ. */
async function siteWithHistory(cleanup: Cleanup, o: SnapshotPhaseOptions) {
  const dbs = { clinic: `${o.name}_snap_clinic`, hq: `${o.name}_snap_hq` };
  const urlOf = (db: string) => `${o.dbServer}/${db}`;
  for (const db of Object.values(dbs)) {
    await ensureDatabase(urlOf(db));
    if (!o.keep) cleanup.add(`drop ${db}`, () => dropDatabase(urlOf(db)));
  }
  const url = { clinic: urlOf(dbs.clinic), hq: urlOf(dbs.hq) };
  const clinic = openPool(url.clinic, { connectionLimit: 6 });
  cleanup.add('close the snapshot clinic pool', () => clinic.end());

  o.say(`snapshot: loading the OpenMRS Reference Application schema (${FIXTURE_PATH})`);
  await loadFixture(url.clinic);
  o.say(`snapshot: writing ${o.patients} patients of history before atomsync is installed`);
  const seeded = await seedNode(clinic, {
    patients: o.patients,
    seed: 'bench-history',
    nodeId: 'site',
    onProgress: (done, total) => o.progress.update(`snapshot: history ${done}/${total} patients`),
  });
  o.progress.end();
  await migrate(clinic, 'site');
  const hq = openPool(url.hq, { connectionLimit: 2 });
  await migrate(hq, 'hq');
  await hq.end();
  return { url, clinic, seeded };
}

/** Waits until every resource's snapshot is done and the relay has numbered it; returns the rows published. */
async function snapshotPublished(clinic: Pool, pub: Parameters<typeof assertRunning>[0], deadline: number, o: SnapshotPhaseOptions): Promise<number> {
  let rows = 0;
  for (;;) {
    assertRunning(pub);
    const [{ pending, done, total }] = await queryRows<{ pending: number; done: number; total: number }>(
      clinic,
      `SELECT SUM(status <> 'done') AS pending, COALESCE(SUM(rows_done), 0) AS done, COALESCE(SUM(rows_total), 0) AS total FROM atomsync_snapshot`,
    );
    rows = Number(done);
    o.progress.update(`snapshot: ${rows}/${Number(total)} rows published`);
    if (Number(pending) === 0) break;
    if (Date.now() > deadline) throw new PhaseTimeoutError('the snapshot', o.timeoutMs, `${rows} rows published so far`);
    await sleep(50);
  }
  // ...and numbered: no outbox row written up to now is left (the clinic's live ones go on).
  const lastRow = await num(clinic, 'SELECT MAX(id) AS n FROM atomsync_outbox');
  while ((await num(clinic, `SELECT COUNT(*) AS n FROM atomsync_outbox WHERE id <= ${lastRow}`)) > 0) {
    if (Date.now() > deadline) throw new PhaseTimeoutError('the snapshot', o.timeoutMs, 'the relay did not number its events');
    await sleep(50);
  }
  return rows;
}

/** `atomsync subscribe --once` into the empty HQ, timed; killed after timeoutMs. */
async function catchUpOnce(children: Children, clinic: Pool, feed: string, hqUrl: string, timeoutMs: number): Promise<SnapshotPhaseResult['hqCatchUp']> {
  const events = await num(clinic, 'SELECT MAX(seq) AS n FROM atomsync_event');
  const t0 = Date.now();
  const sub = children.atomsync('snapshot-subscriber', ['subscribe', '--once', '--db', hqUrl, '--node-id', 'hq', '--feed', feed], true);
  const timer = setTimeout(() => sub.proc.kill('SIGKILL'), timeoutMs);
  const code = await sub.exited;
  clearTimeout(timer);
  const catchUpMs = Date.now() - t0;
  if (code !== 0) throw new Error(`the snapshot phase's subscriber exited ${code}:\n${sub.tail()}`);
  return { events, wallMs: catchUpMs, eventsPerSecond: perSecond(events, catchUpMs) };
}
