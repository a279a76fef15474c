// HQ's MySQL sink against the real MariaDB: idempotence, "new is the best",
// conflicts kept, superseded events recorded, deletes, origins, bad values.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isTransientDbError, queryRows, retryingTransaction } from '../shared/db.ts';
import { silentLogger } from '../shared/logger.ts';
import { loadRepresentation } from '../shared/representation.ts';
import { RESOURCES } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { CommitStage } from '../subscriber/commit-stage.ts';
import { DependencyResolver } from '../subscriber/dependency-resolver.ts';
import type { FetchedBatch } from '../subscriber/fetch-stage.ts';
import { Inbox } from '../subscriber/inbox.ts';
import type { MarkerAdvance } from '../subscriber/marker-store.ts';
import { newStats } from '../subscriber/outcomes.ts';
import { RETRY_DEFAULTS } from '../subscriber/backoff.ts';
import { InvalidResourceError } from '../subscriber/errors.ts';
import { MysqlSink } from '../subscriber/mysql/mysql-sink.ts';
import { contentHash } from '../subscriber/content-hash.ts';
import { referencesOf, toRowTree } from '../subscriber/row-tree.ts';
import type { SinkEvent, SinkItem } from '../subscriber/sink.ts';
import { freshDatabase } from './helpers/db.ts';
import { run } from './helpers/processes.ts';
import type { TestDb } from './helpers/db.ts';

describe('MySQL sink', () => {
  let a: TestDb, hq: TestDb;
  let sink: MysqlSink;
  const ev = (resource: ResourceName, uuid: string, action: SinkEvent['action'] = 'UPDATED'): SinkEvent => ({
    resource, uuid, action, origin: 'field-a', feedUrl: 'http://a/feed', entryId: `tag:test:${Math.random()}`,
  });
  const rep = async (resource: ResourceName, uuid: string) => (await loadRepresentation(a.pool, RESOURCES[resource], uuid, 'http://a'))!;
  /** Applies the current state at A, dependencies first (the subscriber's applier does this over HTTP). */
  async function applyFromA(resource: ResourceName, uuid: string, seen = new Set<string>()): Promise<string> {
    const r = await rep(resource, uuid);
    const tree = toRowTree(RESOURCES[resource], r, uuid);
    const { referencesOf } = await import('../subscriber/row-tree.ts');
    for (const ref of referencesOf(tree, { resource, uuid })) {
      const k = `${ref.resource}/${ref.uuid}`;
      if (seen.has(k) || (await sink.has(ref))) continue;
      seen.add(k);
      await applyFromA(ref.resource, ref.uuid, seen);
    }
    return sink.apply(ev(resource, uuid), tree, r);
  }
  /** A batch written in a transaction of its own, as the commit stage writes one. */
  const batch = (items: SinkItem[]) => sink.transaction((conn) => sink.applyBatch(conn, items));
  const count = async (sql: string, p: unknown[] = []) => Number((await queryRows<{ n: number }>(hq.pool, sql, p))[0].n);

  before(async () => {
    [a, hq] = await Promise.all([freshDatabase('sink_a'), freshDatabase('sink_hq')]);
    await migrate(a.pool, 'field-a');
    await migrate(hq.pool, 'hq');
    await seedNode(a.pool, { patients: 3, seed: 'sink' });
    sink = await MysqlSink.create(hq.pool, silentLogger);
  });
  after(async () => Promise.all([a.drop(), hq.drop()]));

  test('an obs with all its references, then the same state again changes nothing', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, 'SELECT uuid FROM obs WHERE obs_group_id IS NOT NULL AND voided = 0 LIMIT 1');
    assert.equal(await applyFromA('obs', uuid), 'applied');
    const outbox = await count('SELECT COUNT(*) AS n FROM atomsync_outbox');
    assert.equal(await applyFromA('obs', uuid), 'unchanged');
    assert.equal(await count('SELECT COUNT(*) AS n FROM atomsync_outbox'), outbox, 'no write when nothing changed');
    const local = await loadRepresentation(hq.pool, RESOURCES.obs, uuid);
    assert.equal(contentHash(toRowTree(RESOURCES.obs, local, uuid)), contentHash(toRowTree(RESOURCES.obs, await rep('obs', uuid), uuid)));
  });

  /** New locations at A (no references), as the batch path gets them: events with their trees. */
  async function newLocations(n: number, tag: string) {
    const uuids = Array.from({ length: n }, () => crypto.randomUUID());
    for (const [i, u] of uuids.entries()) {
      await a.pool.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), ?)`, [`${tag}-${i}`, u]);
    }
    const items = await Promise.all(uuids.map(async (u) => {
      const r = await rep('location', u);
      return { ev: ev('location', u), tree: toRowTree(RESOURCES.location, r, u), rep: r };
    }));
    return { uuids, items };
  }

  test("a batch runs the subscriber's bookkeeping last in its own transaction, and fails with it", async () => {
    const { uuids, items } = await newLocations(3, 'batch-tx');
    const atHq = () => count('SELECT COUNT(*) AS n FROM location WHERE uuid IN (?)', [uuids]);
    await assert.rejects(sink.transaction(async (conn) => {
      await sink.applyBatch(conn, items);
      throw new Error('the marker could not move');
    }), /the marker could not move/);
    assert.equal(await atHq(), 0, 'bookkeeping that fails undoes the batch');
    let inside = -1, outside = -1;
    const outcomes = await sink.transaction(async (conn) => {
      const written = await sink.applyBatch(conn, items);
      inside = Number((await queryRows<{ n: number }>(conn, 'SELECT COUNT(*) AS n FROM location WHERE uuid IN (?)', [uuids]))[0].n);
      outside = await atHq();
      return written;
    });
    assert.deepEqual(outcomes, ['applied', 'applied', 'applied']);
    assert.equal(inside, 3, 'the bookkeeping sees the batch it covers');
    assert.equal(outside, 0, 'nobody else sees it before the one commit');
    assert.equal(await atHq(), 3);
  });

  test('the commit stage moves the marker in the batch only when every event is in it', async () => {
    const single = { calls: 0, async apply() {
      single.calls++;
      return { outcome: 'applied' as const, dependencies: 0 };
    } };
    // Records each marker move, and whether it ran in the batch's transaction (given its connection).
    const moves: boolean[] = [];
    const markers = {
      async advance(_feed: string, _to: MarkerAdvance, _from: unknown, conn?: unknown) {
        moves.push(conn !== undefined);
        return true;
      },
      async recordPoll() {},
    };
    const stage = new CommitStage({
      sink, resolver: new DependencyResolver(sink, {} as never), careful: single as never, inbox: new Inbox(hq.pool), markers: markers as never,
      policy: RETRY_DEFAULTS, stats: newStats(), log: silentLogger, onParked: () => undefined,
    });
    const fetched = (items: Awaited<ReturnType<typeof newLocations>>['items']): FetchedBatch => ({
      source: {} as never,
      settled: [],
      ready: items.map((it, i) => ({ resource: 'location', uuid: it.ev.uuid, feedUrl: it.ev.feedUrl, entryId: it.ev.entryId,
        contentPath: `/location/${it.ev.uuid}`, action: 'UPDATED', origin: it.ev.origin, position: i + 1 })),
      graph: { nodes: new Map(items.map((it) => [`location/${it.ev.uuid}`, { ...it, own: true, refs: referencesOf(it.tree, it.ev) }])), unavailable: new Map() },
      careful: new Set(),
      errors: new Map(),
      failed: false,
    });
    const to: MarkerAdvance = { lastEntryId: 'e', lastPageUrl: 'http://a/feed/1', lastPosition: 3, lastSeq: null, nextPageUrl: null, consumed: 3, newestChangedAt: null };
    const whole = fetched((await newLocations(2, 'whole')).items);
    const results = await stage.commit(whole, { feed: 'http://a/feed', from: null, to });
    assert.deepEqual(moves, [true], 'moved once, in the transaction');
    assert.deepEqual(results.outcomes, ['applied', 'applied']);

    const partial = fetched((await newLocations(3, 'partial')).items);
    partial.careful.add(1); // say its resource was absent from the list: it goes one by one, after the batch
    const { outcomes } = await stage.commit(partial, { feed: 'http://a/feed', from: null, to });
    assert.deepEqual(moves, [true, false], 'not in a batch that leaves an event to the one-by-one path');
    assert.equal(single.calls, 1);
    assert.equal(outcomes.length, 3);
  });

  test('writes carry the origin of the change, and the connection forgets it afterwards', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, 'SELECT uuid FROM location ORDER BY location_id DESC LIMIT 1');
    await applyFromA('location', uuid);
    assert.equal(await count(`SELECT COUNT(*) AS n FROM atomsync_outbox WHERE origin IS NULL`), 0);
    // Every pooled connection now writes as HQ itself again.
    await Promise.all(Array.from({ length: 30 }, (_, i) =>
      hq.pool.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES (?, 1, UTC_TIMESTAMP(), UUID())`, [`hq-local-${i}`])));
    assert.equal(await count(`SELECT COUNT(*) AS n FROM atomsync_outbox WHERE origin IS NULL`), 30);
  });

  test('an older state arriving late is superseded and recorded, not applied', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM location WHERE parent_location IS NULL LIMIT 1`);
    await applyFromA('location', uuid);
    const old = await rep('location', uuid);
    await a.pool.query(`UPDATE location SET description = 'renovated', changed_by = 1, date_changed = '2030-01-01 00:00:00' WHERE uuid = ?`, [uuid]);
    assert.equal(await applyFromA('location', uuid), 'applied');
    const outcome = await sink.apply(ev('location', uuid), toRowTree(RESOURCES.location, old, uuid), old);
    assert.equal(outcome, 'superseded');
    assert.equal(await count('SELECT COUNT(*) AS n FROM location WHERE uuid = ? AND description = ?', [uuid, 'renovated']), 1);
    assert.equal(await count('SELECT COUNT(*) AS n FROM atomsync_superseded WHERE uuid = ?', [uuid]), 1);
  });

  test('changed on both sides: the newer wins and the loser is kept in the conflicts table', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM provider LIMIT 1`);
    await applyFromA('provider', uuid);
    await hq.pool.query(`UPDATE provider SET name = 'Edited at HQ', changed_by = 1, date_changed = '2031-01-01 00:00:00' WHERE uuid = ?`, [uuid]);
    await a.pool.query(`UPDATE provider SET name = 'Edited at A', changed_by = 1, date_changed = '2032-01-01 00:00:00' WHERE uuid = ?`, [uuid]);
    assert.equal(await applyFromA('provider', uuid), 'conflict-remote-won');
    const [row] = await queryRows<{ name: string }>(hq.pool, 'SELECT name FROM provider WHERE uuid = ?', [uuid]);
    assert.equal(row.name, 'Edited at A');
    const [c] = await queryRows<{ winner: string; local_version: string; remote_version: string }>(
      hq.pool, 'SELECT winner, local_version, remote_version FROM atomsync_conflict WHERE uuid = ?', [uuid]);
    assert.equal(c.winner, 'remote');
    assert.equal(JSON.parse(c.local_version).name, 'Edited at HQ', 'the losing version is kept');
    assert.equal(JSON.parse(c.remote_version).name, 'Edited at A');

    // Now HQ's edit is the newer one: it stays, and the clinic's older edit is kept as the loser.
    await hq.pool.query(`UPDATE provider SET name = 'HQ again', changed_by = 1, date_changed = '2034-01-01 00:00:00' WHERE uuid = ?`, [uuid]);
    await a.pool.query(`UPDATE provider SET name = 'A again', changed_by = 1, date_changed = '2033-01-01 00:00:00' WHERE uuid = ?`, [uuid]);
    assert.equal(await applyFromA('provider', uuid), 'superseded');
    const [kept] = await queryRows<{ name: string }>(hq.pool, 'SELECT name FROM provider WHERE uuid = ?', [uuid]);
    assert.equal(kept.name, 'HQ again');
    const conflicts = await queryRows<{ winner: string; remote_version: string }>(hq.pool, 'SELECT winner, remote_version FROM atomsync_conflict WHERE uuid = ? ORDER BY id', [uuid]);
    assert.equal(conflicts.length, 2);
    assert.equal(conflicts[1].winner, 'local');
    assert.equal(JSON.parse(conflicts[1].remote_version).name, 'A again');
  });

  test('changed on both sides in the same second: both nodes keep the same version, each keeps the other as the loser', async () => {
    const [, { uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM provider ORDER BY provider_id LIMIT 2`);
    await applyFromA('provider', uuid);
    // OpenMRS keeps audit dates to the second: two edits in one second at two nodes tie.
    const at = '2035-06-01 12:00:00';
    await hq.pool.query(`UPDATE provider SET name = 'Tie edited at HQ', changed_by = 1, date_changed = ? WHERE uuid = ?`, [at, uuid]);
    await a.pool.query(`UPDATE provider SET name = 'Tie edited at A', changed_by = 1, date_changed = ? WHERE uuid = ?`, [at, uuid]);
    const atHq = (await loadRepresentation(hq.pool, RESOURCES.provider, uuid))!;
    const atA = await rep('provider', uuid);
    // Each node receives the other's version: HQ from A, and A (a sink of its own) from HQ.
    const sinkAtA = await MysqlSink.create(a.pool, silentLogger);
    await sink.apply(ev('provider', uuid), toRowTree(RESOURCES.provider, atA, uuid), atA);
    await sinkAtA.apply({ ...ev('provider', uuid), origin: 'hq' }, toRowTree(RESOURCES.provider, atHq, uuid), atHq);
    const name = async (db: TestDb) => (await queryRows<{ name: string }>(db.pool, 'SELECT name FROM provider WHERE uuid = ?', [uuid]))[0].name;
    const [kept, keptAtA] = [await name(hq), await name(a)];
    assert.equal(kept, keptAtA, 'the same version at both nodes');
    const hashOf = (r: unknown) => contentHash(toRowTree(RESOURCES.provider, r as never, uuid));
    const greater = hashOf(atHq) > hashOf(atA) ? 'Tie edited at HQ' : 'Tie edited at A';
    assert.equal(kept, greater, 'the greater content hash wins a tie');
    for (const db of [hq, a]) {
      const [c] = await queryRows<{ local_version: string; remote_version: string }>(db.pool, 'SELECT local_version, remote_version FROM atomsync_conflict WHERE uuid = ?', [uuid]);
      assert.ok(c, 'the conflict is recorded at each node');
      const both = [JSON.parse(c.local_version).name, JSON.parse(c.remote_version).name].sort();
      assert.deepEqual(both, ['Tie edited at A', 'Tie edited at HQ'], 'with both versions');
    }
  });

  test("this node's own older state, come back from a parent under another entry, is not taken again: no false conflict", async () => {
    const [, , { uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM provider ORDER BY provider_id LIMIT 3`);
    // A holds a provider it received from HQ, then edits it twice; HQ meanwhile has A's first edit
    // and serves it back to A as its current state, on an entry that announced someone else's change.
    await applyFromA('provider', uuid);
    const sinkAtA = await MysqlSink.create(a.pool, silentLogger, { nodeId: 'field-a' });
    await a.pool.query(`UPDATE provider SET name = 'First edit at A', changed_by = 1, date_changed = '2036-01-01 00:00:00' WHERE uuid = ?`, [uuid]);
    const firstEdit = await rep('provider', uuid);
    await a.pool.query(`UPDATE provider SET name = 'Second edit at A', changed_by = 1, date_changed = '2036-01-02 00:00:00' WHERE uuid = ?`, [uuid]);
    const before = await count('SELECT COUNT(*) AS n FROM atomsync_conflict');
    const countAtA = async (sql: string) => Number((await queryRows<{ n: number }>(a.pool, sql, [uuid]))[0].n);
    const outcome = await sinkAtA.apply({ ...ev('provider', uuid), origin: 'field-a' }, toRowTree(RESOURCES.provider, firstEdit, uuid), firstEdit);
    assert.equal(outcome, 'unchanged');
    assert.equal((await queryRows<{ name: string }>(a.pool, 'SELECT name FROM provider WHERE uuid = ?', [uuid]))[0].name, 'Second edit at A');
    assert.equal(await countAtA('SELECT COUNT(*) AS n FROM atomsync_conflict WHERE uuid = ?'), 0, 'no conflict with its own edit');
    assert.equal(await countAtA('SELECT COUNT(*) AS n FROM atomsync_superseded WHERE uuid = ?'), 0, 'nothing superseded');
    assert.equal(await count('SELECT COUNT(*) AS n FROM atomsync_conflict'), before);
    // Another node's state still meets the usual rule there.
    const other = { ...firstEdit, name: 'Edited at HQ' };
    assert.equal(await sinkAtA.apply({ ...ev('provider', uuid), origin: 'hq' }, toRowTree(RESOURCES.provider, other, uuid), other), 'superseded');
  });

  test('atomsync conflicts list and show: each conflict, and its two versions side by side with the differing fields marked', async () => {
    const [c] = await queryRows<{ id: number; uuid: string; winner: string }>(hq.pool, `SELECT id, uuid, winner FROM atomsync_conflict WHERE local_version LIKE '%Tie edited%'`);
    assert.ok(c, 'the tie above left a conflict');
    const list = await run(['conflicts', 'list', '--db', hq.url]);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /\d+ conflicts?:/);
    assert.match(list.out, new RegExp(`#${c.id}  provider ${c.uuid}  .* kept (this node's|the incoming) version  \\(\\d+ fields? differ\\)`));
    const show = await run(['conflicts', 'show', String(c.id), '--db', hq.url]);
    assert.equal(show.code, 0, show.out);
    const nameLine = show.out.split('\n').find((l) => /^\* name /.test(l));
    assert.ok(nameLine, `the name is marked as differing:\n${show.out}`);
    assert.match(nameLine!, /Tie edited at (A|HQ).*Tie edited at (A|HQ)/);
    assert.ok(show.out.split('\n').some((l) => /^  uuid /.test(l)), 'fields that agree are shown unmarked');
    const missing = await run(['conflicts', 'show', '999999', '--db', hq.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /no conflict #999999/);
    const bad = await run(['conflicts', 'settle', '--db', hq.url]);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /expected "list", "show" or "resolve"/);
    const noKeep = await run(['conflicts', 'resolve', String(c.id), '--db', hq.url]);
    assert.equal(noKeep.code, 2);
    assert.match(noKeep.out, /--keep kept .* or --keep other/);
  });

  test('atomsync conflicts resolve --keep other: the other version becomes this node\'s newest change, published as its own', async () => {
    const [c] = await queryRows<{ id: number; uuid: string; winner: string; local_version: string; remote_version: string }>(
      hq.pool, `SELECT id, uuid, winner, local_version, remote_version FROM atomsync_conflict WHERE local_version LIKE '%Tie edited%'`,
    );
    const other = JSON.parse(c.winner === 'local' ? c.remote_version : c.local_version).name as string;
    const before = await count(`SELECT COUNT(*) AS n FROM atomsync_outbox WHERE uuid = ? AND origin IS NULL`, [c.uuid]);
    const r = await run(['conflicts', 'resolve', String(c.id), '--keep', 'other', '--db', hq.url]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /resolved: the other version is now this node's/);
    const [row] = await queryRows<{ name: string; fresh: number }>(
      hq.pool, 'SELECT name, date_changed > UTC_TIMESTAMP() - INTERVAL 1 MINUTE AS fresh FROM provider WHERE uuid = ?', [c.uuid],
    );
    assert.equal(row.name, other, 'the other version is the state here');
    assert.equal(Number(row.fresh), 1, 'dated now, so it is the newest wherever it goes');
    assert.ok((await count(`SELECT COUNT(*) AS n FROM atomsync_outbox WHERE uuid = ? AND origin IS NULL`, [c.uuid])) > before, 'published as this node\'s own change');
    const list = await run(['conflicts', 'list', '--db', hq.url]);
    assert.match(list.out, new RegExp(`#${c.id} .* resolved .*the other version chosen`));
    const again = await run(['conflicts', 'resolve', String(c.id), '--keep', 'kept', '--db', hq.url]);
    assert.equal(again.code, 0);
    assert.match(again.out, /resolved already/);
  });

  test('a patient aggregate: names, addresses and identifiers in one transaction; voids propagate', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT p.uuid FROM person p JOIN patient t ON t.patient_id = p.person_id LIMIT 1`);
    await applyFromA('patient', uuid);
    for (const t of ['person_name', 'person_address', 'patient_identifier']) {
      const atA = Number((await queryRows<{ n: number }>(a.pool, `SELECT COUNT(*) AS n FROM ${t} x JOIN person p ON p.person_id = x.${t === 'patient_identifier' ? 'patient_id' : 'person_id'} WHERE p.uuid = ?`, [uuid]))[0].n);
      const atHq = await count(`SELECT COUNT(*) AS n FROM ${t} x JOIN person p ON p.person_id = x.${t === 'patient_identifier' ? 'patient_id' : 'person_id'} WHERE p.uuid = ?`, [uuid]);
      assert.equal(atHq, atA, t);
    }
    await a.pool.query(`UPDATE patient t JOIN person p ON p.person_id = t.patient_id SET t.voided = 1, t.voided_by = 1, t.date_voided = '2035-01-01 00:00:00', t.void_reason = 'duplicate' WHERE p.uuid = ?`, [uuid]);
    assert.equal(await applyFromA('patient', uuid), 'applied');
    assert.equal(await count(`SELECT COUNT(*) AS n FROM patient t JOIN person p ON p.person_id = t.patient_id WHERE p.uuid = ? AND t.voided = 1 AND t.void_reason = 'duplicate'`, [uuid]), 1);
  });

  test('new patients in one batch, a health centre (a location key) as one attribute value and text as another: one multi-row write', async () => {
    const patients = await queryRows<{ id: number; uuid: string }>(a.pool,
      'SELECT p.person_id AS id, p.uuid FROM person p JOIN patient t ON t.patient_id = p.person_id ORDER BY p.person_id DESC LIMIT 2');
    const type = async (format: string) => Number((await queryRows<{ id: number }>(a.pool,
      'SELECT person_attribute_type_id AS id FROM person_attribute_type WHERE format = ? LIMIT 1', [format]))[0].id);
    const [centre, text] = [await type('org.openmrs.Location'), await type('java.lang.String')];
    const location = Number((await queryRows<{ id: number }>(a.pool, 'SELECT MIN(location_id) AS id FROM location'))[0].id);
    await a.pool.query('DELETE FROM person_attribute WHERE person_id IN (?)', [patients.map((p) => p.id)]);
    await a.pool.query(`INSERT INTO person_attribute (person_id, value, person_attribute_type_id, creator, date_created, uuid) VALUES
      (?, ?, ?, 1, UTC_TIMESTAMP(), UUID()), (?, '+254 700 000 002', ?, 1, UTC_TIMESTAMP(), UUID())`, [patients[0].id, String(location), centre, patients[1].id, text]);
    const items = [];
    const { referencesOf } = await import('../subscriber/row-tree.ts');
    for (const p of patients) {
      const r = await rep('patient', p.uuid);
      const tree = toRowTree(RESOURCES.patient, r, p.uuid);
      for (const ref of referencesOf(tree, { resource: 'patient', uuid: p.uuid })) if (!(await sink.has(ref))) await applyFromA(ref.resource, ref.uuid);
      items.push({ ev: ev('patient', p.uuid, 'CREATED'), tree, rep: r });
    }
    // Before the rows were grouped by their columns, the value column sat elsewhere in the reference's
    // row and the multi-row INSERT failed ("Out of range value for column 'voided'").
    assert.deepEqual(await batch(items), ['applied', 'applied']);
    const atHq = await queryRows<{ v: string }>(hq.pool, `SELECT l.uuid AS v FROM person_attribute x JOIN person p USING (person_id)
      JOIN location l ON l.location_id = x.value WHERE p.uuid = ?`, [patients[0].uuid]);
    const atA = await queryRows<{ v: string }>(a.pool, 'SELECT uuid AS v FROM location WHERE location_id = ?', [location]);
    assert.deepEqual(atHq, atA, "the value names HQ's row of the same location");
  });

  test('DELETED removes the row, or voids it when other rows still point at it', async () => {
    const lone = crypto.randomUUID();
    await a.pool.query(`INSERT INTO location (name, creator, date_created, uuid) VALUES ('lone', 1, UTC_TIMESTAMP(), ?)`, [lone]);
    await applyFromA('location', lone);
    assert.equal(await sink.remove(ev('location', lone, 'DELETED')), 'deleted');
    assert.equal(await count('SELECT COUNT(*) AS n FROM location WHERE uuid = ?', [lone]), 0);
    assert.equal(await sink.remove(ev('location', lone, 'DELETED')), 'absent', 'deleting twice is harmless');
    const [{ uuid: used }] = await queryRows<{ uuid: string }>(hq.pool, `SELECT l.uuid FROM location l JOIN obs o ON o.location_id = l.location_id LIMIT 1`)
      .then((r) => (r.length ? r : queryRows<{ uuid: string }>(hq.pool, `SELECT l.uuid FROM location l JOIN patient_identifier i ON i.location_id = l.location_id LIMIT 1`)));
    assert.equal(await sink.remove(ev('location', used, 'DELETED')), 'voided');
    assert.equal(await count('SELECT COUNT(*) AS n FROM location WHERE uuid = ? AND retired = 1', [used]), 1);
  });

  test('bad values are refused with a clear error; SQL-looking text is stored verbatim', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM encounter_type LIMIT 1`);
    const r = await rep('encountertype', uuid);
    const long = { ...r, name: 'x'.repeat(51) };
    await assert.rejects(sink.apply(ev('encountertype', uuid), toRowTree(RESOURCES.encountertype, long, uuid), long),
      (e: unknown) => e instanceof InvalidResourceError && /encounter_type\.name is too long: 51 characters, the column holds 50/.test(e.message));
    assert.throws(() => toRowTree(RESOURCES.encountertype, { ...r, auditInfo: { ...(r.auditInfo as object), dateCreated: 'yesterday' } }, uuid),
      /not a valid OpenMRS datetime/);
    assert.throws(() => toRowTree(RESOURCES.encountertype, r, crypto.randomUUID()), /not the one requested/);
    // What cannot be an OpenMRS uuid: empty, over 38 characters, or other characters than letters, digits and '-'.
    for (const bad of ['', 'x'.repeat(39), 'not a uuid', "a'b", 'ä-1']) {
      assert.throws(() => toRowTree(RESOURCES.encountertype, { ...r, uuid: bad }, bad), /uuid is not a uuid/, JSON.stringify(bad));
    }
    const evil = { ...r, description: `'); DROP TABLE encounter_type; --` };
    await sink.apply(ev('encountertype', uuid), toRowTree(RESOURCES.encountertype, evil, uuid), evil);
    const [row] = await queryRows<{ description: string }>(hq.pool, 'SELECT description FROM encounter_type WHERE uuid = ?', [uuid]);
    assert.equal(row.description, evil.description);
  });

  test('audit users this database does not have map to the stand-in user', async () => {
    const [{ uuid }] = await queryRows<{ uuid: string }>(a.pool, `SELECT uuid FROM visit_type LIMIT 1`);
    const r = await rep('visittype', uuid);
    const stranger = { ...r, auditInfo: { ...(r.auditInfo as object), creator: { uuid: crypto.randomUUID(), display: 'someone' } } };
    await sink.apply(ev('visittype', uuid), toRowTree(RESOURCES.visittype, stranger, uuid), stranger);
    assert.equal(await count('SELECT COUNT(*) AS n FROM visit_type WHERE uuid = ? AND creator = 1', [uuid]), 1);
  });

  // Last: it makes a change at HQ itself, which the origin test above counts.
  test('resources that exist here arrive unchanged in a batch: found for the whole batch, nothing written; a changed one among them is applied', async () => {
    const { uuids, items } = await newLocations(3, 'again');
    assert.deepEqual(await batch(items), ['applied', 'applied', 'applied']);
    const outbox = await count('SELECT COUNT(*) AS n FROM atomsync_outbox');
    await a.pool.query(`UPDATE location SET name = 'again-renamed', changed_by = 1, date_changed = '2035-01-01 00:00:00' WHERE uuid = ?`, [uuids[1]]);
    const again = await Promise.all(uuids.map(async (u) => {
      const r = await rep('location', u);
      return { ev: ev('location', u), tree: toRowTree(RESOURCES.location, r, u), rep: r };
    }));
    assert.deepEqual(await batch(again), ['unchanged', 'applied', 'unchanged']);
    assert.equal(await count('SELECT COUNT(*) AS n FROM atomsync_outbox'), outbox + 1, 'only the changed one was written');
    assert.equal(await count(`SELECT COUNT(*) AS n FROM location WHERE uuid = ? AND name = 'again-renamed'`, [uuids[1]]), 1);
    // A sync state that lags behind a row already equal to the incoming state is brought up to date.
    await hq.pool.query('DELETE FROM atomsync_sync_state WHERE uuid IN (?)', [[uuids[0], uuids[2]]]);
    assert.deepEqual(await batch(again), ['unchanged', 'unchanged', 'unchanged']);
    assert.equal(await count('SELECT COUNT(*) AS n FROM atomsync_sync_state WHERE uuid IN (?)', [uuids]), 3);
    // Changed here as well as there: still the careful path's call (the newer wins, both kept).
    await hq.pool.query(`UPDATE location SET name = 'hq-side', changed_by = 1, date_changed = '2036-01-01 00:00:00' WHERE uuid = ?`, [uuids[2]]);
    await a.pool.query(`UPDATE location SET name = 'a-side', changed_by = 1, date_changed = '2035-06-01 00:00:00' WHERE uuid = ?`, [uuids[2]]);
    const third = await rep('location', uuids[2]);
    const outcomes = await batch([...again.slice(0, 2), { ev: ev('location', uuids[2]), tree: toRowTree(RESOURCES.location, third, uuids[2]), rep: third }]);
    assert.deepEqual(outcomes, ['unchanged', 'unchanged', 'superseded']);
    assert.equal(await count(`SELECT COUNT(*) AS n FROM atomsync_conflict WHERE uuid = ? AND winner = 'local'`, [uuids[2]]), 1);
  });
});

describe('retryingTransaction: the write path of HQ and of the ERP', () => {
  let db: TestDb;
  before(async () => {
    db = await freshDatabase('retrytx');
    await db.pool.query('CREATE TABLE t (uuid CHAR(36) PRIMARY KEY, n INT NOT NULL)');
  });
  after(async () => {
    await db?.drop();
  });
  const rows = async () => queryRows<{ uuid: string; n: number }>(db.pool, 'SELECT uuid, n FROM t ORDER BY uuid');

  test('a transaction whose connection is killed half way runs again on a fresh one, and its first writes are gone', async () => {
    const ids: number[] = [];
    const failures: unknown[] = [];
    const out = await retryingTransaction(db.pool, async (conn) => {
      const [[{ id }]] = (await conn.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      ids.push(Number(id));
      await conn.query('INSERT INTO t (uuid, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n)', ['a', ids.length]);
      if (ids.length === 1) await db.pool.query(`KILL CONNECTION ${Number(id)}`); // from another connection: as an operator would
      await conn.query('INSERT INTO t (uuid, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n)', ['b', ids.length]);
      return 'done';
    }, { onFailure: (err) => failures.push(err) });
    assert.equal(out, 'done');
    assert.equal(ids.length, 2, 'run twice');
    assert.notEqual(ids[0], ids[1], 'the second time on another connection');
    assert.equal(failures.length, 1);
    assert.equal(isTransientDbError(failures[0]), true, String(failures[0]));
    assert.deepEqual(await rows(), [{ uuid: 'a', n: 2 }, { uuid: 'b', n: 2 }], 'only the second run is kept');
    // The killed connection was not handed back to the pool: the pool still works on every connection.
    const alive = await Promise.all(Array.from({ length: 20 }, () => queryRows(db.pool, 'SELECT 1 AS one')));
    assert.equal(alive.length, 20);
  });

  test('any other error is thrown at once, after a rollback', async () => {
    let runs = 0;
    await assert.rejects(
      retryingTransaction(db.pool, async (conn) => {
        runs++;
        await conn.query('INSERT INTO t (uuid, n) VALUES (?, ?)', ['c', 1]);
        await conn.query('INSERT INTO t (uuid, n) VALUES (?, ?)', ['c', 2]); // duplicate key: not a transient error here
      }),
      (e: unknown) => (e as { errno?: number }).errno === 1062,
    );
    assert.equal(runs, 1);
    assert.equal((await rows()).some((r) => r.uuid === 'c'), false, 'rolled back');
  });

  test('it gives up after the attempts it was given', async () => {
    let runs = 0;
    const deadlock = Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });
    await assert.rejects(retryingTransaction(db.pool, async () => {
      runs++;
      throw deadlock;
    }, { attempts: 3 }), deadlock);
    assert.equal(runs, 3);
  });
});
