// Merging two records of one patient (issue 20), as OpenMRS core's PatientServiceImpl.mergePatients
// does, in one transaction: the dropped patient's care record moves to the kept one
// (merge-record.ts), its names, identifiers and addresses the kept one lacks are copied, the
// dropped patient is voided (merge-person.ts), a person_merge_log row records it where the table
// exists, and the duplicate pair is marked merged. Every change is an ordinary UPDATE or INSERT of
// the OpenMRS tables, so atomsync's triggers publish it and every node converges on the result.
// Not done, unlike OpenMRS: user accounts of the dropped person are not moved (users belong to
// their node), medication dispenses (a newer OpenMRS table) are not handled.
import { randomUUID } from 'node:crypto';
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import { mergeDemographics, mergePerson, voidDropped } from './merge-person.ts';
import type { PersonMerged, PriorDemographics } from './merge-person.ts';
import { activeOrderClashes, mergeRecord } from './merge-record.ts';
import type { RecordMoved } from './merge-record.ts';
import { has, readColumns } from './merge-rows.ts';
import type { MergeContext, MergeSide } from './merge-rows.ts';
import { ensureDuplicateTable, orderPair } from './store.ts';

export interface MergeOptions {
  /** Person uuid of the patient kept (OpenMRS's preferred). */
  keep: string;
  /** Person uuid of the patient merged into it and voided. */
  drop: string;
  /** users.user_id recorded as creator, changed_by and voided_by. */
  userId: number;
  /** The duplicate pair being merged; without it, the pair of these two patients, if there is one. */
  pairId?: number;
  /** The merge's audit time; default now. */
  now?: Date;
}

export type MergeRefusal = 'same-patient' | 'unknown-patient' | 'voided-patient' | 'unknown-user' | 'active-orders' | 'unknown-pair' | 'not-the-pair' | 'pair-reviewed';

/** A merge that was not done, and why; nothing was changed. */
export class MergeRefused extends Error {
  override name = 'MergeRefused';
  constructor(
    readonly reason: MergeRefusal,
    message: string,
    readonly uuid?: string,
  ) {
    super(message);
  }
}

export interface MergeResult extends RecordMoved, PersonMerged {
  keep: string;
  drop: string;
  /** Rows voided with the dropped patient (its patient and person rows, identifiers, names, addresses, attributes). */
  voidedRows: number;
  /** The person_merge_log row's uuid, or null where this database has no such table. */
  logUuid: string | null;
  /** The duplicate pair marked merged, or null when there was none. */
  pairId: number | null;
}

export async function mergePatients(pool: Pool, o: MergeOptions): Promise<MergeResult> {
  if (o.keep.toLowerCase() === o.drop.toLowerCase()) throw new MergeRefused('same-patient', `--keep and --drop name the same patient (${o.keep}): nothing to merge`, o.keep);
  await ensureDuplicateTable(pool);
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const ctx: MergeContext = { conn, userId: o.userId, now: o.now ?? new Date(Math.floor(Date.now() / 1000) * 1000), columns: await readColumns(conn), ...(await lockPatients(conn, o)) };
    await checkUser(ctx);
    const pairId = await checkPair(ctx, o.pairId);
    if ((await activeOrderClashes(ctx)) > 0) throw new MergeRefused('active-orders', 'both patients have an active order of the same order type: stop one first (OpenMRS refuses this merge too)');
    const record = await mergeRecord(ctx);
    const person = await mergePerson(ctx);
    const prior = await mergeDemographics(ctx);
    const voidedRows = await voidDropped(ctx);
    const logUuid = await writeMergeLog(ctx, record, person, prior);
    if (pairId !== null) await markMerged(ctx, pairId);
    await conn.commit();
    return { keep: ctx.keep.uuid, drop: ctx.drop.uuid, ...record, ...person, voidedRows, logUuid, pairId };
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

/** Both patients, locked for the merge; refused when either is unknown, not a patient, or voided (merged already). */
async function lockPatients(conn: MergeContext['conn'], o: MergeOptions): Promise<{ keep: MergeSide; drop: MergeSide }> {
  const rows = await queryRows<{ id: number; uuid: string; pv: number; qv: number | null }>(
    conn,
    `SELECT pe.person_id AS id, pe.uuid, pe.voided AS pv, pa.voided AS qv FROM person pe LEFT JOIN patient pa ON pa.patient_id = pe.person_id
     WHERE pe.uuid IN (?, ?) ORDER BY pe.person_id FOR UPDATE`,
    [o.keep, o.drop],
  );
  const side = (uuid: string, role: string): MergeSide => {
    const r = rows.find((x) => x.uuid.toLowerCase() === uuid.toLowerCase());
    if (!r || r.qv === null) throw new MergeRefused('unknown-patient', `no patient with uuid ${uuid} here (the ${role} patient)`, uuid);
    if (r.pv || r.qv) throw new MergeRefused('voided-patient', `the ${role} patient ${uuid} is voided (merged already?): nothing is merged into or out of a voided patient`, uuid);
    return { personId: Number(r.id), uuid: r.uuid };
  };
  return { keep: side(o.keep, 'kept'), drop: side(o.drop, 'dropped') };
}

async function checkUser(ctx: MergeContext): Promise<void> {
  const rows = await queryRows(ctx.conn, 'SELECT 1 FROM users WHERE user_id = ?', [ctx.userId]);
  if (rows.length === 0) throw new MergeRefused('unknown-user', `user ${ctx.userId} does not exist here (--audit-user-id): the merge's changes must name a user`);
}

/**
 * The pair to mark merged. With an id: it must exist, hold both patients and be open. Without:
 * the pair of these two patients if one was found (open), or none: two patients the scan did
 * not pair may still be merged by an operator who knows them to be one person, as in OpenMRS.
 * A pair rejected as "not the same person" is refused either way: reopening it is a decision of
 * its own.
 */
async function checkPair(ctx: MergeContext, pairId?: number): Promise<number | null> {
  const [a, b] = orderPair(ctx.keep.uuid, ctx.drop.uuid);
  const rows = await queryRows<{ id: number; a: string; b: string; status: string }>(
    ctx.conn,
    pairId === undefined
      ? 'SELECT id, patient_a AS a, patient_b AS b, status FROM atomsync_duplicate WHERE patient_a = ? AND patient_b = ? FOR UPDATE'
      : 'SELECT id, patient_a AS a, patient_b AS b, status FROM atomsync_duplicate WHERE id = ? FOR UPDATE',
    pairId === undefined ? [a, b] : [pairId],
  );
  if (pairId !== undefined && rows.length === 0) throw new MergeRefused('unknown-pair', `no duplicate pair #${pairId}: see atomsync duplicates list`);
  if (rows.length === 0) return null;
  const r = rows[0];
  if (r.a !== a || r.b !== b) throw new MergeRefused('not-the-pair', `pair #${r.id} is not these two patients: --keep must be one of its two patients`);
  if (r.status !== 'open') throw new MergeRefused('pair-reviewed', `pair #${r.id} was ${r.status} already: nothing done`);
  return Number(r.id);
}

async function markMerged(ctx: MergeContext, id: number): Promise<void> {
  await ctx.conn.query<ResultSetHeader>(
    "UPDATE atomsync_duplicate SET status = 'merged', reviewed_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
    [id],
  );
}

/**
 * person_merge_log, as OpenMRS's savePersonMergeLog writes it: winner, loser, and merged_data
 * naming what moved and what was created by uuid, with PersonMergeLogData's property names (as
 * JSON: OpenMRS serializes it as XML). Uuids and prior demographics only, no names or identifiers.
 */
async function writeMergeLog(ctx: MergeContext, r: RecordMoved, p: PersonMerged, prior: PriorDemographics): Promise<string | null> {
  if (!has(ctx, 'person_merge_log')) return null;
  const data = {
    winner: ctx.keep.uuid, loser: ctx.drop.uuid,
    movedVisits: r.visits, movedEncounters: r.encounters, movedOrders: r.orders, movedDiagnoses: r.diagnoses, movedPrograms: r.programs,
    movedConditions: r.conditions, movedAllergies: r.allergies, movedIndependentObservations: r.independentObs, newEncounterObservationVersions: r.encounterObs,
    createdRelationships: p.createdRelationships, voidedRelationships: p.voidedRelationships, createdIdentifiers: p.createdIdentifiers,
    createdNames: p.createdNames, createdAddresses: p.createdAddresses, createdAttributes: p.createdAttributes, ...prior,
  };
  const uuid = randomUUID();
  await ctx.conn.query('INSERT INTO person_merge_log (winner_person_id, loser_person_id, merged_data, creator, date_created, uuid) VALUES (?, ?, ?, ?, ?, ?)', [
    ctx.keep.personId, ctx.drop.personId, JSON.stringify(data), ctx.userId, ctx.now, uuid,
  ]);
  return uuid;
}
