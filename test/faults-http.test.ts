// Faults survived: HQ's `atomsync subscribe` reads a clinic's feed through a
// proxy that breaks HTTP on purpose (test/helpers/fault-proxy.ts) while the
// clinic keeps working. Each fault is switched on for a few seconds in the
// middle of a catch-up, then off; afterwards HQ must hold exactly what the
// clinic holds (`atomsync verify`), with no dead letter and no sign of an event
// applied twice (no conflict, nothing superseded, the same row counts). Then a
// publisher killed and restarted on its port, and a publisher unreachable for a
// minute. Real MariaDB, Redis and processes, all on 127.0.0.1. The figures
// printed at the end are the ones in test/faults-http.table.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import {
  createPatient, createVisitWithEncounter, editPatientName, openLiveContext, PatientNotFoundError, pickEncounterId, pickPatientId, seedNode, voidEncounter,
} from '../tools/seed/index.ts';
import type { LiveContext } from '../tools/seed/index.ts';
import { diverges, formatReport, verify } from '../tools/verify.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startFaultProxy } from './helpers/fault-proxy.ts';
import type { FaultMode, FaultOptions, FaultProxy } from './helpers/fault-proxy.ts';
import { atomsync, eventually, killAll, run, startPublisher, waitForOutput } from './helpers/processes.ts';
import { ADMIN, statusJson } from './helpers/status-scenario.ts';
import type { Proc } from './helpers/processes.ts';

const REDIS = process.env.ATOMSYNC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const FEED_PATH = '/openmrs/ws/atomfeed/all/recent';
/** Patients seeded at a clinic: about 70 events each (and each live action adds about 30). */
const PATIENTS = { faults: 100, away: 40 };
/** How long each fault lasts. */
const FAULT_MS = 5_000;
/** How long the catch-up speed is measured before the first fault. */
const BASELINE_MS = 4_000;
const TIMEOUT_MS = 2_000;
/** How long the publisher is unreachable in the outage test (the issue says a minute). */
const OUTAGE_MS = 60_000;

type Publisher = Awaited<ReturnType<typeof startPublisher>>;

interface Clinic {
  db: TestDb;
  pub: Publisher;
  ctx: LiveContext;
}

async function startClinic(name: keyof typeof PATIENTS): Promise<Clinic> {
  const db = await freshDatabase(`fh_${name}`);
  await migrate(db.pool, `clinic-${name}`);
  await seedNode(db.pool, { patients: PATIENTS[name], seed: `faults-${name}` });
  const ctx = await openLiveContext(db.pool, { seed: `faults-${name}`, stream: `live-${Date.now()}` });
  return { db, ctx, pub: await startPublisher(db.url) };
}

/** HQs and proxies, closed (again) by the last hook in case a test timed out half way. */
const leftovers = new Set<{ close(): Promise<void> }>();

/** HQ: an empty database and a long-running subscriber with short timeouts and quick, patient retries. */
class Hq {
  readonly queue = `atomsync-faults-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  sub!: Proc;
  private constructor(readonly db: TestDb) {}

  static async start(name: string, feedOrigin: string, extra: string[] = []): Promise<Hq> {
    const hq = new Hq(await freshDatabase(`fh_${name}_hq`));
    await migrate(hq.db.pool, 'hq');
    hq.sub = atomsync([
      'subscribe', '--db', hq.db.url, '--node-id', 'hq', '--redis', REDIS, '--queue', hq.queue,
      '--feed', `${feedOrigin.replace('http://', 'http://hq:hq-secret@')}${FEED_PATH}`,
      '--poll-ms', '200', '--timeout-ms', String(TIMEOUT_MS),
      '--retry-base-ms', '200', '--retry-max-ms', '2000', '--max-attempts', '50', ...extra,
    ]);
    leftovers.add(hq); // closing twice is harmless
    return hq;
  }

  async close(): Promise<void> {
    await this.sub?.stop('SIGKILL');
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`bull:${this.queue}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await this.db.drop();
  }
}

async function startProxy(target: string, o: { latencyMs?: number } = {}): Promise<FaultProxy> {
  const proxy = await startFaultProxy(target, o);
  leftovers.add(proxy); // closing twice is harmless
  return proxy;
}

const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);

/**
 * The clinic at work: a patient registered, a visit recorded, now and then a name
 * corrected or an encounter voided, every 400 ms until stop() (which returns what was done).
 */
function keepWriting(c: Clinic): { stop: () => Promise<number> } {
  let stopped = false;
  let actions = 0;
  const loop = (async () => {
    while (!stopped) {
      const p = await createPatient(c.db.pool, c.ctx);
      // A new patient is now and then registered voided (as in the seeded history): no visit then.
      await createVisitWithEncounter(c.db.pool, c.ctx, p.patientId).catch((err) => {
        if (!(err instanceof PatientNotFoundError)) throw err;
      });
      if (actions % 3 === 0) {
        const id = await pickPatientId(c.db.pool, c.ctx.rng);
        if (id !== null) await editPatientName(c.db.pool, c.ctx, id);
      }
      if (actions % 5 === 0) {
        const id = await pickEncounterId(c.db.pool, c.ctx.rng);
        if (id !== null) await voidEncounter(c.db.pool, c.ctx, id);
      }
      actions++;
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  const failed = loop.then(() => null, (err: Error) => err); // reported by stop(), never unhandled
  return {
    stop: async () => {
      stopped = true;
      const err = await failed;
      if (err) throw err;
      return actions;
    },
  };
}

/** Waits until HQ holds what the clinic holds; returns how long that took. */
async function waitConverged(c: Clinic, hq: Hq, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  try {
    // Cheap first (the marker at the clinic's last event, nothing waiting), then row by row.
    await eventually(async () => (await marker(hq)).position >= (await clinicEvents(c)) && (await count(hq.db.pool, 'SELECT COUNT(*) AS n FROM atomsync_inbox')) === 0,
      timeoutMs, 'HQ to read the whole feed');
    await eventually(async () => !diverges(await verify([c.db.url], hq.db.url)), timeoutMs - (Date.now() - t0), 'HQ to converge');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${formatReport(await verify([c.db.url], hq.db.url))}\n${hq.sub.output().slice(-3000)}`);
  }
  return Date.now() - t0;
}

/** Converged, and nothing shows an event lost, failed for good or applied twice. */
async function assertClean(c: Clinic, hq: Hq): Promise<void> {
  const [v, failed] = await Promise.all([run(['verify', '--source', c.db.url, '--target', hq.db.url]), run(['failed', 'list', '--db', hq.db.url])]);
  assert.equal(v.code, 0, `verify found divergence:\n${v.out}`);
  assert.match(v.out, /OK: \d+ source rows checked/);
  assert.match(failed.out, /no dead letters/, failed.out);
  assert.equal(await count(hq.db.pool, 'SELECT COUNT(*) AS n FROM atomsync_inbox'), 0, 'nothing waits in the inbox');
  // An event applied twice over a newer state, or an old state applied late, would leave a row here.
  assert.equal(await count(hq.db.pool, 'SELECT COUNT(*) AS n FROM atomsync_conflict'), 0, 'no conflict');
  assert.equal(await count(hq.db.pool, 'SELECT COUNT(*) AS n FROM atomsync_superseded'), 0, 'nothing superseded');
  for (const table of ['person', 'person_name', 'patient', 'patient_identifier', 'visit', 'encounter', 'obs']) {
    const sql = `SELECT COUNT(*) AS n FROM ${table}`;
    assert.equal(await count(hq.db.pool, sql), await count(c.db.pool, sql), `${table} rows at HQ and at the clinic`);
  }
}

/** HQ's marker on its one feed: the position read up to, and the last error recorded. */
async function marker(hq: Hq): Promise<{ position: number; lastError: string | null }> {
  const [m] = await queryRows<{ last_position: number; last_error: string | null }>(hq.db.pool, 'SELECT last_position, last_error FROM atomsync_marker');
  return { position: Number(m?.last_position ?? 0), lastError: m?.last_error ?? null };
}

/** Events the clinic has published: the last position of its `all` feed. */
const clinicEvents = async (c: Clinic) => count(c.db.pool, 'SELECT COUNT(*) AS n FROM atomsync_event');
/** The subscriber's warnings during a fault, summed up: failed passes, parked events, the first error. */
function whatHappened(log: string): string {
  const lines = log.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg: string; error?: string }];
    } catch {
      return []; // not a log line, or one still being written
    }
  });
  const failed = lines.filter((l) => l.msg === 'reading the feed failed; backing off');
  const parked = lines.filter((l) => l.msg === 'event parked for retry').length;
  const first = failed[0]?.error?.replace(/http:\/\/\S+/g, '...').slice(0, 120);
  return `${failed.length} feed passes failed, ${parked} events parked${first ? ` (first: ${first})` : ''}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Measured figures, printed at the end (they go into test/faults-http.table.md). */
const measured: string[] = [];
function note(t: TestContext, line: string) {
  measured.push(`${t.name}: ${line}`);
  t.diagnostic(line);
}

describe('HTTP faults between a clinic and HQ', { timeout: 300_000, concurrency: true }, () => {
  // The two groups below run side by side (each with its own clinic), so that the minute of
  // outage does not add a minute to the file; the tests within a group run one at a time.
  after(async () => {
    killAll();
    await Promise.all([...leftovers].map((x) => x.close().catch(() => undefined)));
    console.log(`\nmeasured:\n  ${measured.join('\n  ')}`);
  });

  describe('each fault in turn during one catch-up, with live writes', () => {
    let clinic: Clinic;
    before(async () => {
      clinic = await startClinic('faults');
    });
    after(async () => {
      await clinic?.pub.stop('SIGKILL');
      await clinic?.db.drop();
    });

    // Faults on every request stop the catch-up; those on every n-th let it go on, slowed.
    const faults: Array<{ mode: FaultMode; o: FaultOptions; name: string }> = [
      { mode: 'status-500', o: { every: 1 }, name: 'every request answered 500' },
      { mode: 'status-429', o: { every: 1 }, name: 'every request answered 429 with Retry-After: 1' },
      { mode: 'reset-before', o: { every: 2 }, name: 'every 2nd connection reset before the response' },
      { mode: 'reset-after', o: { every: 2 }, name: 'every 2nd response reset after its first bytes' },
      { mode: 'cut-off', o: { every: 2 }, name: 'every 2nd body cut off half way (clean close)' },
      { mode: 'stall', o: { every: 3 }, name: 'every 3rd request never answered' },
      { mode: 'trickle', o: { every: 3, trickleBytes: 128 }, name: 'every 3rd body trickled, 128 bytes per 100 ms' },
    ];

    test('500s, 429s, resets, cut-off bodies, stalls and trickles', { timeout: 240_000 }, async (t) => {
      // 150 ms a request: the catch-up takes about as long on a fast machine as on a busy one,
      // so that every fault falls in the middle of it.
      const proxy = await startProxy(clinic.pub.url, { latencyMs: 150 });
      // Batches of 100 entries: the marker moves in smaller steps, so progress after a fault shows sooner.
      const hq = await Hq.start('faults', proxy.origin, ['--entry-batch', '100']);
      const writes = keepWriting(clinic);
      try {
        const t0 = Date.now();
        await eventually(async () => (await marker(hq)).position >= 300, 30_000, 'catch-up to be under way');
        const p0 = (await marker(hq)).position;
        await sleep(BASELINE_MS);
        note(t, `catch-up without faults: ${Math.round(((await marker(hq)).position - p0) / (BASELINE_MS / 1000))} events/s`);
        for (const f of faults) {
          const logFrom = hq.sub.output().length;
          const from = (await marker(hq)).position;
          const total = await clinicEvents(clinic);
          assert.ok(from < total - 300, `still catching up when "${f.name}" begins (${from} of ${total})`);
          const before = proxy.stats.requests;
          const startedAt = Date.now();
          proxy.setMode(f.mode, f.o);
          await sleep(FAULT_MS);
          // A slow machine may send fewer requests than n in the window: the fault lasts until one is hit.
          await eventually(async () => (proxy.stats.faulted[f.mode] ?? 0) > 0, 20_000, `"${f.name}" to be hit`);
          const faulted = proxy.stats.faulted[f.mode] ?? 0;
          const requests = proxy.stats.requests - before;
          proxy.setMode('pass');
          proxy.stats.faulted = {};
          const endedAt = Date.now();
          const to = (await marker(hq)).position;
          await eventually(async () => (await marker(hq)).position > to, 30_000, `progress after "${f.name}"`);
          note(t, `${f.name}: ${faulted} of ${requests} requests faulted in ${secs(endedAt - startedAt)}, marker ${from} -> ${to} of ${total}; ` +
            `moving again ${secs(Date.now() - endedAt)} after the fault ended; ${whatHappened(hq.sub.output().slice(logFrom))}`);
        }
        const endedAt = Date.now();
        const actions = await writes.stop();
        await waitConverged(clinic, hq, 120_000); // the rest of the catch-up: slow on a busy machine
        note(t, `converged ${secs(Date.now() - endedAt)} after the last fault, ${secs(Date.now() - t0)} in all; ` +
          `${await clinicEvents(clinic)} events, ${actions} live actions during the run`);
        await assertClean(clinic, hq);
      } finally {
        await writes.stop().catch(() => undefined);
        await hq.close();
        await proxy.close();
      }
    });
  });

  describe('a publisher that goes away, while the clinic keeps writing', { concurrency: 1 }, () => {
    let clinic: Clinic;
    before(async () => {
      clinic = await startClinic('away');
    });
    after(async () => {
      await clinic?.pub.stop('SIGKILL');
      await clinic?.db.drop();
    });

    test('killed with SIGKILL mid catch-up and restarted on the same port', { timeout: 90_000 }, async (t) => {
      const hq = await Hq.start('killed', clinic.pub.url);
      const writes = keepWriting(clinic);
      try {
        await eventually(async () => (await marker(hq)).position > 300, 30_000, 'catch-up to be under way');
        const port = clinic.pub.port;
        await clinic.pub.stop('SIGKILL');
        const killedAt = Date.now();
        // HQ meets a refused connection until the publisher is back.
        await eventually(async () => (await marker(hq)).lastError !== null, 20_000, 'the marker to record the error');
        const errorAfter = Date.now() - killedAt;
        clinic.pub = await startPublisher(clinic.db.url, { port });
        const restarted = Date.now();
        await sleep(2_000); // the clinic writes on, through the restart
        const actions = await writes.stop();
        await waitConverged(clinic, hq);
        note(t, `error recorded ${secs(errorAfter)} after the kill; restarted ${secs(restarted - killedAt)} after it; ` +
          `converged ${secs(Date.now() - restarted)} after the restart; ${actions} live actions`);
        assert.equal((await marker(hq)).lastError, null, 'the error is cleared');
        await assertClean(clinic, hq);
      } finally {
        await writes.stop().catch(() => undefined);
        await hq.close();
      }
    });

    test('unreachable for a minute (every request black-holed)', { timeout: 180_000 }, async (t) => {
      const proxy = await startProxy(clinic.pub.url);
      const hq = await Hq.start('outage', proxy.origin, ['--http-port', '0', '--admin-users', `${ADMIN.username}:${ADMIN.password}`]);
      const statusUrl = await waitForOutput(hq.sub, /^status page at (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m, 30_000);
      const writes = keepWriting(clinic);
      try {
        await eventually(async () => (await marker(hq)).position > 300, 30_000, 'catch-up to be under way');
        // The outage begins with a request for resources, that is in the middle of a batch: the case
        // that used to keep a reader busy for twenty minutes without a word (see FeedReader.prepare).
        proxy.setMode('stall', { startAt: /\/ws\/rest\// });
        await eventually(async () => (proxy.stats.faulted.stall ?? 0) > 0, 10_000, 'the outage to begin');
        const downAt = Date.now();
        await eventually(async () => (await marker(hq)).lastError !== null, 45_000, 'the marker to record the error');
        const errorAfter = Date.now() - downAt;
        const feed = (await statusJson(statusUrl)).feeds[0];
        assert.match(feed.lastError ?? '', /timeout|failed/i, 'the status page shows the error');
        assert.ok(feed.consecutiveErrors > 0);
        await sleep(OUTAGE_MS - (Date.now() - downAt));
        assert.notEqual((await marker(hq)).lastError, null, 'still recorded at the end of the outage');
        const faulted = proxy.stats.faulted.stall ?? 0;
        proxy.setMode('pass');
        const upAt = Date.now();
        const actions = await writes.stop();
        // The feed's backoff (doubling with each failed pass, up to a minute) decides when it asks again.
        await waitConverged(clinic, hq, 90_000);
        const ms = Date.now() - upAt;
        await eventually(async () => (await marker(hq)).lastError === null, 10_000, 'the marker to clear its error');
        const after = (await statusJson(statusUrl)).feeds[0];
        assert.equal(after.lastError, null, 'the status page shows no error');
        assert.equal(after.consecutiveErrors, 0);
        note(t, `${faulted} requests black-holed in ${secs(OUTAGE_MS)}; error recorded ${secs(errorAfter)} after the outage began; ` +
          `converged and cleared ${secs(ms)} after it ended; ${actions} live actions`);
        await assertClean(clinic, hq);
      } finally {
        await writes.stop().catch(() => undefined);
        await hq.close();
        await proxy.close();
      }
    });

    test('its feed answers but every resource request fails with 500 (a publisher out of database connections)', { timeout: 120_000 }, async (t) => {
      const proxy = await startProxy(clinic.pub.url);
      const hq = await Hq.start('rest500', proxy.origin, ['--http-port', '0', '--admin-users', `${ADMIN.username}:${ADMIN.password}`]);
      const statusUrl = await waitForOutput(hq.sub, /^status page at (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m, 30_000);
      const writes = keepWriting(clinic);
      try {
        await eventually(async () => (await marker(hq)).position > 300, 30_000, 'catch-up to be under way');
        const logFrom = hq.sub.output().length;
        // Feed pages pass (a publisher serves them from its page cache); REST requests fail.
        proxy.setMode('status-500', { only: /\/ws\/rest\// });
        await eventually(async () => (proxy.stats.faulted['status-500'] ?? 0) > 0, 10_000, 'the failures to begin');
        const downAt = Date.now();
        // Before: no error anywhere for minutes, each batch's events waiting out their retries one by one.
        await eventually(async () => /answered 500/.test((await marker(hq)).lastError ?? ''), 30_000, 'the marker to record the 500');
        const errorAfter = Date.now() - downAt;
        const feed = (await statusJson(statusUrl)).feeds[0];
        assert.match(feed.lastError ?? '', /answered 500/, 'the status page shows the error');
        assert.match(hq.sub.output().slice(logFrom), /reading the feed failed; backing off.*answered 500/, 'the log says so above debug');
        await sleep(10_000);
        proxy.setMode('pass');
        const upAt = Date.now();
        const actions = await writes.stop();
        await waitConverged(clinic, hq, 90_000);
        await eventually(async () => (await marker(hq)).lastError === null, 10_000, 'the marker to clear its error');
        note(t, `error recorded ${secs(errorAfter)} after the 500s began; converged ${secs(Date.now() - upAt)} after they ended; ${actions} live actions`);
        await assertClean(clinic, hq);
      } finally {
        await writes.stop().catch(() => undefined);
        await hq.close();
        await proxy.close();
      }
    });
  });
});
