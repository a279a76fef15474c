// The snapshot survives its publisher being killed. A real OpenMRS database (the fixture)
// with 4,000 patients of history (about 255,000 rows, written before atomsync existed
// there) is adopted; its publisher is SIGKILLed three times while it publishes that
// history, and restarted each time. Every row must then have exactly one event (nothing
// published twice, nothing skipped), and an empty HQ must converge on the clinic.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import type { Pool } from '../shared/db.ts';
import { loadRegistry } from '../shared/registry.ts';
import { RESOURCES, ownRowsSql } from '../shared/resources.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { atomsync, eventually, killAll, run, waitForOutput } from './helpers/processes.ts';

const skip = fixtureSkipReason();
const PATIENTS = Number(process.env.ATOMSYNC_TEST_SNAPSHOT_PATIENTS ?? 4000);

const count = async (pool: Pool, sql: string, params: unknown[] = []) => Number((await queryRows<{ n: number }>(pool, sql, params))[0].n);

describe(`a snapshot of ${PATIENTS} patients with its publisher killed three times`, { skip, timeout: 900_000 }, () => {
  let clinic: TestDb, hq: TestDb;

  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('snapkill_clinic'), freshDatabase('snapkill_hq')]);
    await loadFixture(clinic.url);
    const seeded = await run(['seed', '--db', clinic.url, '--node-id', 'clinic', '--patients', String(PATIENTS), '--seed', 'kill'], 600_000);
    assert.equal(seeded.code, 0, seeded.out);
    for (const [db, node] of [[clinic, 'clinic'], [hq, 'hq']] as const) {
      const m = await run(['migrate', '--db', db.url, '--node-id', node]);
      assert.equal(m.code, 0, m.out);
    }
  });

  after(async () => {
    killAll();
    await Promise.all([clinic, hq].map((d) => d?.drop()));
  });

  test('every row is published exactly once and HQ converges', async () => {
    const total = await count(clinic.pool, 'SELECT SUM(rows_total) AS n FROM atomsync_snapshot').catch(() => 0);
    assert.equal(total, 0, 'no run has begun yet');
    const rowsDone = () => count(clinic.pool, 'SELECT COALESCE(SUM(rows_done), 0) AS n FROM atomsync_snapshot');
    // One event per row each resource publishes itself (a person who is a patient is published as the patient).
    const registry = await loadRegistry(clinic.pool);
    let expected = 0;
    for (const name of registry.names) {
      const def = registry.def(name);
      const r = def.root;
      const withUuid = r.uuidColumn ? ` AND r.${r.uuidColumn} IS NOT NULL` : '';
      expected += await count(clinic.pool, `SELECT COUNT(*) AS n FROM ${r.table} r WHERE 1 = 1${ownRowsSql(def, 'r')}${withUuid}`);
    }
    assert.ok(expected > 200_000 || PATIENTS < 4000, `history of ${expected} rows`);

    // Kill at a quarter, half and three quarters of the way, each time mid-run.
    const killedAt: number[] = [];
    for (const share of [0.25, 0.5, 0.75]) {
      const pub = atomsync(['publish', '--db', clinic.url, '--port', '0', '--users', 'hq:hq-secret']);
      await waitForOutput(pub, /publishing at (http:\/\/[^/\s]+)/, 30_000);
      await eventually(async () => (await rowsDone()) >= share * expected, 300_000, `the snapshot to pass ${share * 100}%`);
      await pub.stop('SIGKILL');
      killedAt.push(await rowsDone());
    }
    for (const k of killedAt) assert.ok(k < expected, `killed mid-snapshot (${k} of ${expected} rows published)`);

    const pub = atomsync(['publish', '--db', clinic.url, '--port', '0', '--users', 'hq:hq-secret']);
    const base = await waitForOutput(pub, /publishing at (http:\/\/[^/\s]+)/, 30_000);
    await eventually(async () => (await count(clinic.pool, `SELECT COUNT(*) AS n FROM atomsync_snapshot WHERE status <> 'done'`)) === 0, 300_000, 'the snapshot to finish');
    await eventually(async () => (await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox')) === 0, 120_000, 'the relay to drain the outbox');

    // Nothing else wrote to the clinic: every event is a snapshot event, one per row.
    assert.equal(await count(clinic.pool, 'SELECT COUNT(*) AS n FROM (SELECT resource, uuid FROM atomsync_event GROUP BY resource, uuid HAVING COUNT(*) > 1) d'), 0, 'no row published twice');
    assert.equal(await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_event'), expected, 'one event per existing row, none skipped');
    for (const name of ['patient', 'encounter', 'obs'] as const) {
      const root = RESOURCES[name].root;
      assert.equal(await count(clinic.pool, 'SELECT COUNT(*) AS n FROM atomsync_event WHERE resource = ?', [name]), await count(clinic.pool, `SELECT COUNT(*) AS n FROM ${root.table}`), name);
    }
    // The feed's numbers stay gap-free through the kills.
    const [{ lo, hi, n }] = await queryRows<{ lo: number; hi: number; n: number }>(clinic.pool, 'SELECT MIN(seq) AS lo, MAX(seq) AS hi, COUNT(*) AS n FROM atomsync_event');
    assert.deepEqual([Number(lo), Number(hi)], [1, Number(n)]);

    const feed = `http://hq:hq-secret@${base.replace('http://', '')}/openmrs/ws/atomfeed/all/recent`;
    const sub = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq', '--feed', feed], 600_000);
    assert.equal(sub.code, 0, sub.out);
    assert.match(sub.out, /caught up: \d+ applied, 0 waiting for a retry, 0 dead letters/);
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url]);
    assert.equal(v.code, 0, `verify found divergence:\n${v.out}`);
    await pub.stop();
  });
});
