// The care record's part of a merge, as OpenMRS's mergePatients moves it: visits and
// encounters (voided ones too), the orders and diagnoses in them, program enrolments,
// conditions and allergies not voided; observations as new versions (see mergeObs).
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows } from '../../shared/db.ts';
import { copyRow, has, moveRows, voidRows } from './merge-rows.ts';
import type { MergeContext } from './merge-rows.ts';

export interface RecordMoved {
  visits: string[];
  encounters: string[];
  orders: string[];
  diagnoses: string[];
  programs: string[];
  conditions: string[];
  allergies: string[];
  /** Allergies left with the dropped patient: the kept one records the same allergen. */
  allergiesSkipped: number;
  /** New versions of observations in the moved encounters, and of those outside any encounter. */
  encounterObs: number;
  independentObs: string[];
  /** Voided observations of the moved encounters, whose person was changed in place. */
  voidedObs: number;
}

/**
 * OpenMRS refuses a merge when both patients have an active order of the same order type
 * (requireNoActiveOrderOfSameType): the merged record would hold two. Returns how many such
 * pairs there are.
 */
export async function activeOrderClashes(ctx: MergeContext): Promise<number> {
  if (!has(ctx, 'orders', 'order_type_id')) return 0;
  const active = (o: string) =>
    `${o}.voided = 0 AND ${o}.date_stopped IS NULL AND ${o}.order_action <> 'DISCONTINUE'
     AND (${o}.auto_expire_date IS NULL OR ${o}.auto_expire_date > ?) AND (${o}.date_activated IS NULL OR ${o}.date_activated <= ?)`;
  const [r] = await queryRows<{ n: number }>(
    ctx.conn,
    `SELECT COUNT(*) AS n FROM orders a JOIN orders b ON b.order_type_id = a.order_type_id
     WHERE a.patient_id = ? AND b.patient_id = ? AND ${active('a')} AND ${active('b')}`,
    [ctx.keep.personId, ctx.drop.personId, ctx.now, ctx.now, ctx.now, ctx.now],
  );
  return Number(r.n);
}

export async function mergeRecord(ctx: MergeContext): Promise<RecordMoved> {
  const visits = await moveRows(ctx, 'visit', 'patient_id');
  const encounters = await moveRows(ctx, 'encounter', 'patient_id');
  // Orders have no date_changed in OpenMRS (never edited): moved in place, as saveEncounter does.
  const orders = await moveRows(ctx, 'orders', 'patient_id');
  const diagnoses = await moveRows(ctx, 'encounter_diagnosis', 'patient_id');
  const programs = await moveRows(ctx, 'patient_program', 'patient_id', 'voided = 0');
  const conditions = await moveRows(ctx, 'conditions', 'patient_id', 'voided = 0');
  const { moved: allergies, skipped: allergiesSkipped } = await mergeAllergies(ctx);
  const obs = await mergeObs(ctx);
  return { visits, encounters, orders, diagnoses, programs, conditions, allergies, allergiesSkipped, ...obs };
}

/** Allergies not voided, except one whose allergen the kept patient records already (OpenMRS skips those). */
async function mergeAllergies(ctx: MergeContext): Promise<{ moved: string[]; skipped: number }> {
  if (!has(ctx, 'allergy')) return { moved: [], skipped: 0 };
  const [all] = await queryRows<{ n: number }>(ctx.conn, 'SELECT COUNT(*) AS n FROM allergy WHERE patient_id = ? AND voided = 0', [ctx.drop.personId]);
  // MariaDB cannot read the table an UPDATE writes in a subquery: the kept patient's allergens are read first.
  const kept = await queryRows<{ c: number | null; n: string | null }>(ctx.conn, 'SELECT coded_allergen AS c, non_coded_allergen AS n FROM allergy WHERE patient_id = ? AND voided = 0', [
    ctx.keep.personId,
  ]);
  const clause = kept.length ? `NOT (${kept.map(() => '(coded_allergen <=> ? AND non_coded_allergen <=> ?)').join(' OR ')})` : '';
  const moved = await moveRowsWith(ctx, clause, kept.flatMap((k) => [k.c, k.n]));
  return { moved, skipped: Number(all.n) - moved.length };
}

async function moveRowsWith(ctx: MergeContext, clause: string, params: unknown[]): Promise<string[]> {
  const where = `patient_id = ? AND voided = 0${clause ? ` AND ${clause}` : ''}`;
  const rows = await queryRows<{ uuid: string }>(ctx.conn, `SELECT uuid FROM allergy WHERE ${where} FOR UPDATE`, [ctx.drop.personId, ...params]);
  if (rows.length === 0) return [];
  const changed = has(ctx, 'allergy', 'date_changed') ? ', changed_by = ?, date_changed = ?' : '';
  await ctx.conn.query(`UPDATE allergy SET patient_id = ?${changed} WHERE ${where}`, [
    ctx.keep.personId, ...(changed ? [ctx.userId, ctx.now] : []), ctx.drop.personId, ...params,
  ]);
  return rows.map((r) => r.uuid);
}

interface ObsRow {
  obs_id: number;
  obs_group_id: number | null;
  encounter_id: number | null;
}

/**
 * Observations, as OpenMRS saves an obs whose person changed: a new version (a copy with a new
 * uuid, previous_version pointing at the old one, status AMENDED where it was FINAL) and the old
 * one voided. Obs have no date_changed, so moving one in place would leave its audit date as it
 * was, and the node that made it would hold its own version as just as new. Group members are
 * copied after their group and point at its copy. Obs in the moved encounters, and those outside
 * any encounter (mergeObservationsNotContainedInEncounters), not voided; voided obs of the moved
 * encounters get the kept person in place (saveObs does not version a voided obs).
 */
async function mergeObs(ctx: MergeContext): Promise<{ encounterObs: number; independentObs: string[]; voidedObs: number }> {
  const rows = await queryRows<ObsRow>(ctx.conn, 'SELECT obs_id, obs_group_id, encounter_id FROM obs WHERE person_id = ? AND voided = 0 FOR UPDATE', [ctx.drop.personId]);
  const pending = new Map(rows.map((r) => [r.obs_id, r]));
  const copies = new Map<number, number>();
  const independentObs: string[] = [];
  while (pending.size > 0) {
    const free = [...pending.values()].filter((r) => r.obs_group_id === null || !pending.has(r.obs_group_id));
    const ready = free.length ? free : [...pending.values()]; // a cycle of groups (never made by OpenMRS) is copied as it is
    for (const r of ready) {
      const group = r.obs_group_id === null ? null : (copies.get(r.obs_group_id) ?? r.obs_group_id);
      const status: Record<string, { sql: string }> = has(ctx, 'obs', 'status') ? { status: { sql: "IF(status = 'FINAL', 'AMENDED', status)" } } : {};
      const copy = await copyRow(ctx, 'obs', 'obs_id', r.obs_id, { person_id: ctx.keep.personId, obs_group_id: group, previous_version: r.obs_id, ...status });
      copies.set(r.obs_id, copy.id);
      if (r.encounter_id === null) independentObs.push(copy.uuid);
      pending.delete(r.obs_id);
    }
  }
  if (rows.length) await voidRows(ctx, 'obs', 'obs_id IN (?)', [rows.map((r) => r.obs_id)], `Merged from patient ${ctx.drop.uuid}`);
  const [res] = await ctx.conn.query<ResultSetHeader>(
    'UPDATE obs SET person_id = ? WHERE person_id = ? AND voided = 1 AND encounter_id IN (SELECT encounter_id FROM encounter WHERE patient_id = ?) AND obs_id NOT IN (?)',
    [ctx.keep.personId, ctx.drop.personId, ctx.keep.personId, rows.length ? rows.map((r) => r.obs_id) : [0]],
  );
  return { encounterObs: rows.length - independentObs.length, independentObs, voidedObs: res.affectedRows };
}
