// Change capture and the relay, against the real MariaDB.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { Relay, collapseBatch } from '../publisher/relay.ts';
import { EventStore } from '../publisher/event-store.ts';
import { silentLogger } from '../shared/logger.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { drainOutbox, insertLocationSql } from './helpers/relay.ts';

async function events(db: TestDb) {
  return queryRows<{ seq: number; resource: string; position: number; uuid: string; action: string; origin: string }>(
    db.pool,
    'SELECT seq, resource, position, uuid, action, origin FROM atomsync_event ORDER BY seq',
  );
}

async function reset(db: TestDb) {
  await db.pool.query('DELETE FROM atomsync_event');
  await db.pool.query('DELETE FROM atomsync_outbox');
}

describe('outbox and relay', () => {
  let db: TestDb;
  before(async () => {
    db = await freshDatabase('outbox');
    await migrate(db.pool, 'field-a');
  });
  after(async () => db.drop());

  test('migrate twice changes nothing the second time', async () => {
    const again = await migrate(db.pool, 'field-a');
    assert.deepEqual(again.changes, []);
    await assert.rejects(migrate(db.pool, 'field-b'), /belongs to node "field-a"/);
  });

  test('a rolled-back transaction publishes nothing', async () => {
    await reset(db);
    const conn = await db.pool.getConnection();
    await conn.beginTransaction();
    await conn.query(insertLocationSql, ['rolled back']);
    await conn.rollback();
    conn.release();
    assert.equal(await drainOutbox(db.pool), 0);
    assert.equal((await events(db)).length, 0);
  });

  test('insert, update, retire and delete are captured with their actions', async () => {
    await reset(db);
    await db.pool.query(insertLocationSql, ['Ward 1']);
    await drainOutbox(db.pool);
    const [{ uuid }] = await queryRows<{ uuid: string }>(db.pool, `SELECT uuid FROM location WHERE name = 'Ward 1'`);
    for (const sql of [
      `UPDATE location SET description = 'x' WHERE uuid = ?`,
      `UPDATE location SET retired = 1, retired_by = 1, date_retired = UTC_TIMESTAMP(), retire_reason = 'closed' WHERE uuid = ?`,
      `DELETE FROM location WHERE uuid = ?`,
    ]) {
      await db.pool.query(sql, [uuid]);
      await drainOutbox(db.pool); // one batch per change, so none is collapsed
    }
    const ev = await events(db);
    assert.deepEqual(
      ev.map((e) => [e.resource, e.uuid, e.action, e.origin]),
      [
        ['location', uuid, 'CREATED', 'field-a'],
        ['location', uuid, 'UPDATED', 'field-a'],
        ['location', uuid, 'RETIRED', 'field-a'],
        ['location', uuid, 'DELETED', 'field-a'],
      ],
    );
    assert.deepEqual(ev.map((e) => e.seq), [1, 2, 3, 4]);
    assert.deepEqual(ev.map((e) => e.position), [1, 2, 3, 4]);
  });

  test('a writer that sets the origin in its session is recorded with that origin', async () => {
    await reset(db);
    const conn = await db.pool.getConnection();
    await conn.query(`SET @atomsync_origin = 'field-b'`);
    await conn.query(insertLocationSql, ['From B']);
    await conn.query('SET @atomsync_origin = NULL');
    await conn.query(insertLocationSql, ['Local']);
    conn.release();
    await drainOutbox(db.pool);
    assert.deepEqual((await events(db)).map((e) => e.origin), ['field-b', 'field-a']);
  });

  test("change times are UTC whatever the writer's session time zone", async () => {
    await reset(db);
    const conn = await db.pool.getConnection();
    await conn.query(`SET time_zone = '+05:30'`);
    await conn.query(insertLocationSql, ['in Kolkata time']);
    await conn.query(`SET time_zone = '+00:00'`);
    conn.release();
    await drainOutbox(db.pool);
    const [{ skew }] = await queryRows<{ skew: number }>(
      db.pool, 'SELECT ABS(TIMESTAMPDIFF(SECOND, changed_at, UTC_TIMESTAMP())) AS skew FROM atomsync_event ORDER BY seq DESC LIMIT 1');
    assert.ok(Number(skew) < 60, `changed_at is UTC (off by ${skew} s)`);
  });

  test('sync tables and global properties are never published; a person who is not a patient is, as a person', async () => {
    await reset(db);
    await db.pool.query(`INSERT INTO global_property (property, property_value, uuid) VALUES ('x', 'y', UUID())`);
    await db.pool.query(`INSERT INTO atomsync_meta (name, value) VALUES ('test_only', '1')`);
    assert.equal(await drainOutbox(db.pool), 0);
    const uuid = crypto.randomUUID();
    await db.pool.query(`INSERT INTO person (gender, creator, date_created, uuid) VALUES ('F', 1, UTC_TIMESTAMP(), ?)`, [uuid]);
    assert.equal(await drainOutbox(db.pool), 1);
    const events = await queryRows<{ resource: string; uuid: string; action: string }>(db.pool, 'SELECT resource, uuid, action FROM atomsync_event WHERE uuid = ?', [uuid]);
    assert.deepEqual(events.map((e) => [e.resource, e.action]), [['person', 'CREATED']]);
    // The person behind a user account (the admin) stays with its node: a change to it publishes nothing.
    await db.pool.query(`UPDATE person SET gender = 'M', date_changed = UTC_TIMESTAMP() WHERE person_id = 1`);
    assert.equal(await drainOutbox(db.pool), 1, 'the change was recorded');
    assert.equal((await queryRows(db.pool, 'SELECT 1 FROM atomsync_event WHERE uuid = (SELECT uuid FROM person WHERE person_id = 1)')).length, 0, 'and not published');
  });

  test('every table of the patient aggregate publishes the patient, by its person uuid', async () => {
    await reset(db);
    const conn = await db.pool.getConnection();
    await conn.beginTransaction();
    const [p] = await conn.query<any>(`INSERT INTO person (gender, creator, date_created, uuid) VALUES ('F', 1, UTC_TIMESTAMP(), UUID())`);
    const id = p.insertId;
    await conn.query(`INSERT INTO patient (patient_id, creator, date_created) VALUES (?, 1, UTC_TIMESTAMP())`, [id]);
    await conn.query(
      `INSERT INTO person_name (person_id, given_name, family_name, creator, date_created, uuid) VALUES (?, 'A', 'B', 1, UTC_TIMESTAMP(), UUID())`,
      [id],
    );
    await conn.commit();
    conn.release();
    await drainOutbox(db.pool);
    await db.pool.query(`UPDATE person_name SET given_name = 'C' WHERE person_id = ?`, [id]);
    await drainOutbox(db.pool);
    await db.pool.query(`UPDATE patient SET voided = 1, voided_by = 1, date_voided = UTC_TIMESTAMP() WHERE patient_id = ?`, [id]);
    await drainOutbox(db.pool);
    const [{ uuid }] = await queryRows<{ uuid: string }>(db.pool, 'SELECT uuid FROM person WHERE person_id = ?', [id]);
    const ev = await events(db);
    // The first transaction wrote three rows of one aggregate: the relay collapses them into one CREATED.
    assert.deepEqual(ev.map((e) => [e.resource, e.uuid, e.action]), [
      ['patient', uuid, 'CREATED'],
      ['patient', uuid, 'UPDATED'],
      ['patient', uuid, 'VOIDED'],
    ]);
  });

  test('a transaction that starts first but commits last is published after, with no gap', async () => {
    await reset(db);
    const early = await db.pool.getConnection();
    const late = await db.pool.getConnection();
    await early.beginTransaction();
    await early.query(insertLocationSql, ['early']); // takes the lower outbox id
    await late.query(insertLocationSql, ['late']); // autocommit: commits first
    await drainOutbox(db.pool);
    const store = new EventStore(db.pool);
    const firstRead = await store.range('location', 1, 100);
    assert.equal(firstRead.length, 1);
    const marker = firstRead[0].position; // a reader has now passed position 1
    await early.commit();
    early.release();
    late.release();
    await drainOutbox(db.pool);
    const next = await store.range('location', marker + 1, marker + 100);
    assert.equal(next.length, 1, 'the late commit is delivered after the marker');
    const all = await store.range('location', 1, 100);
    assert.deepEqual(all.map((e) => e.position), [1, 2]);
    assert.deepEqual(all.map((e) => e.seq), [1, 2]);
  });

  test('concurrent writers on many connections: one event per change, numbered without gaps', async () => {
    await reset(db);
    const writers = 8;
    const perWriter = 400;
    const relay = new Relay(db.pool, silentLogger, { nodeId: 'field-a', batchSize: 300, pollMs: 5 });
    const running = relay.run();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const conn = await db.pool.getConnection();
        try {
          for (let i = 0; i < perWriter; i += 4) {
            await conn.beginTransaction();
            for (let j = 0; j < 4; j++) await conn.query(insertLocationSql, [`w${w}-${i + j}`]);
            await conn.commit();
          }
        } finally {
          conn.release();
        }
      }),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const [{ n }] = await queryRows<{ n: number }>(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
      if (Number(n) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    relay.stop();
    await running;
    const ev = await events(db);
    assert.equal(ev.length, writers * perWriter);
    assert.deepEqual(ev.map((e) => e.seq), Array.from({ length: ev.length }, (_, i) => i + 1));
    assert.equal(new Set(ev.map((e) => e.uuid)).size, ev.length, 'no change published twice');
    const [{ n }] = await queryRows<{ n: number }>(db.pool, `SELECT COUNT(*) AS n FROM location WHERE name LIKE 'w%'`);
    assert.equal(Number(n), ev.length);
  });

  test('two relays on one database: only one assigns numbers at a time', async () => {
    await reset(db);
    const published: number[] = [0, 0];
    const relays = [0, 1].map(
      (i) => new Relay(db.pool, silentLogger, { nodeId: 'field-a', batchSize: 50, pollMs: 5, onPublished: (n) => (published[i] += n) }),
    );
    const runs = relays.map((r) => r.run());
    for (let i = 0; i < 500; i++) await db.pool.query(insertLocationSql, [`two-${i}`]);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const [{ n }] = await queryRows<{ n: number }>(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
      if (Number(n) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Stop whichever holds the lock; the other must take over and keep numbering where it left off.
    const holder = published[0] > 0 ? 0 : 1;
    assert.equal(published[1 - holder], 0, 'the waiting relay published nothing');
    relays[holder].stop();
    await runs[holder];
    for (let i = 0; i < 50; i++) await db.pool.query(insertLocationSql, [`after-${i}`]);
    while (Date.now() < deadline + 10_000) {
      const [{ n }] = await queryRows<{ n: number }>(db.pool, 'SELECT COUNT(*) AS n FROM atomsync_outbox');
      if (Number(n) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    relays[1 - holder].stop();
    await runs[1 - holder];
    assert.equal(published[1 - holder], 50, 'the second relay took over');
    const ev = await events(db);
    assert.equal(ev.length, 550);
    assert.deepEqual(ev.map((e) => e.seq), Array.from({ length: 550 }, (_, i) => i + 1));
  });
});

test('collapseBatch keeps one event per resource at its first place, CREATED wins over later edits', () => {
  const row = (id: number, resource: string, uuid: string, action: any, origin: string | null = null) => ({
    id,
    resource,
    uuid,
    action,
    origin,
    changed_at: `2026-01-01 00:00:0${id}.000`,
  });
  const out = collapseBatch(
    [
      row(1, 'encounter', 'e1', 'CREATED'),
      row(2, 'obs', 'o1', 'CREATED'),
      row(3, 'encounter', 'e1', 'UPDATED'),
      row(4, 'obs', 'o2', 'UPDATED'),
      row(5, 'obs', 'o2', 'VOIDED'),
      row(6, 'obs', 'o1', 'DELETED'),
      row(7, 'obs', 'o3', 'UPDATED', 'hq'),
      row(8, 'obs', 'o3', 'UPDATED'),
    ],
    'field-a',
  );
  assert.deepEqual(
    out.map((e) => [e.resource, e.uuid, e.action, e.origin]),
    [
      ['encounter', 'e1', 'CREATED', 'field-a'],
      ['obs', 'o1', 'DELETED', 'field-a'],
      ['obs', 'o2', 'VOIDED', 'field-a'],
      ['obs', 'o3', 'UPDATED', 'hq'],
      ['obs', 'o3', 'UPDATED', 'field-a'],
    ],
  );
  assert.equal(out[0].changedAt, '2026-01-01 00:00:03.000');
});

test('on a database that already has the OpenMRS tables, migrate adds only the sync parts', async () => {
  const { OPENMRS_TABLES } = await import('../shared/schema/openmrs-core.ts');
  const { SYNC_TABLES } = await import('../shared/schema/sync-tables.ts');
  const { DUPLICATE_TABLES } = await import('../shared/schema/duplicate-tables.ts');
  const db = await freshDatabase('existing');
  try {
    for (const t of OPENMRS_TABLES) await db.pool.query(t.ddl);
    await db.pool.query(`SET FOREIGN_KEY_CHECKS = 0`);
    await db.pool.query(`INSERT INTO users (user_id, system_id, person_id, creator, date_created, uuid) VALUES (7, 'daemon', 1, 7, UTC_TIMESTAMP(), UUID())`);
    const report = await migrate(db.pool, 'site-x');
    const created = report.changes.filter((c) => c.startsWith('created table')).map((c) => c.slice('created table '.length));
    assert.deepEqual(created.sort(), [...SYNC_TABLES, ...DUPLICATE_TABLES].map((t) => t.table).sort());
    assert.ok(report.changes.some((c) => c.startsWith('created trigger atomsync_obs_ai')));
    assert.ok(!report.changes.some((c) => c.startsWith('added key') || c === 'created admin user'), 'their keys and users are left alone');
    assert.deepEqual((await migrate(db.pool, 'site-x')).changes, []);
  } finally {
    await db.drop();
  }
});
