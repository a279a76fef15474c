// The person's part of a merge, as OpenMRS's mergePatients does it: relationships copied (or
// voided where the kept patient has them), identifiers, names and addresses the kept patient
// lacks copied as not preferred, attributes of a type it lacks copied, gender, birth date and
// death filled where the kept patient's are missing, and the dropped patient voided with all it
// holds.
import { queryRows } from '../../shared/db.ts';
import { contentColumns, contentKey, copyRow, has, voidRows } from './merge-rows.ts';
import type { MergeContext } from './merge-rows.ts';

export interface PersonMerged {
  createdRelationships: string[];
  voidedRelationships: string[];
  createdIdentifiers: string[];
  createdNames: string[];
  createdAddresses: string[];
  createdAttributes: string[];
}

export async function mergePerson(ctx: MergeContext): Promise<PersonMerged> {
  const rel = await mergeRelationships(ctx);
  const createdIdentifiers = await copyMissing(ctx, 'patient_identifier', 'patient_identifier_id', 'patient_id', ['identifier', 'identifier_type']);
  const createdNames = await copyMissing(ctx, 'person_name', 'person_name_id', 'person_id');
  const createdAddresses = await copyMissing(ctx, 'person_address', 'person_address_id', 'person_id');
  const createdAttributes = await copyMissing(ctx, 'person_attribute', 'person_attribute_id', 'person_id', ['person_attribute_type_id'], true);
  return { ...rel, createdIdentifiers, createdNames, createdAddresses, createdAttributes };
}

/**
 * Copies the dropped patient's rows (not voided) that the kept one lacks, as not preferred so
 * the kept patient's preferred name, identifier and address stay so. "Lacks": no row of the kept
 * patient (voided or not, as OpenMRS compares) with the same `same` columns, or the same
 * content when none are given. Attributes (activeOnly): copied only for a type the kept patient
 * has no active value of; OpenMRS would void the kept patient's value and take the dropped one's,
 * but the preferred record's value is the one the operator chose to keep.
 */
async function copyMissing(ctx: MergeContext, table: string, key: string, owner: string, same?: string[], activeOnly = false): Promise<string[]> {
  if (!has(ctx, table)) return [];
  const cols = same ?? contentColumns(ctx, table, key, owner);
  const read = (id: number, onlyActive: boolean) =>
    queryRows<Record<string, unknown>>(ctx.conn, `SELECT * FROM ${table} WHERE ${owner} = ?${onlyActive ? ' AND voided = 0' : ''} ORDER BY ${key}`, [id]);
  const kept = new Set((await read(ctx.keep.personId, activeOnly)).map((r) => contentKey(r, cols)));
  const created: string[] = [];
  for (const row of await read(ctx.drop.personId, true)) {
    const k = contentKey(row, cols);
    if (kept.has(k)) continue;
    kept.add(k);
    const overrides = has(ctx, table, 'preferred') ? { [owner]: ctx.keep.personId, preferred: 0 } : { [owner]: ctx.keep.personId };
    created.push((await copyRow(ctx, table, key, Number(row[key]), overrides)).uuid);
  }
  return created;
}

interface RelRow {
  relationship_id: number;
  person_a: number;
  relationship: number;
  person_b: number;
}

/** OpenMRS's relationship hash: the type, which side the person is on, and the other person. */
function relHash(r: RelRow, person: number, other?: number): string {
  const isA = r.person_a === person;
  return `${r.relationship}${isA ? 'A' : 'B'}${other ?? (isA ? r.person_b : r.person_a)}`;
}

/**
 * The dropped patient's relationships (not voided): one between the two patients is voided; one
 * the kept patient has already (same type, side and relative) is voided; any other is copied
 * with the kept patient in the dropped one's place, and the original voided.
 */
async function mergeRelationships(ctx: MergeContext): Promise<{ createdRelationships: string[]; voidedRelationships: string[] }> {
  const out = { createdRelationships: [] as string[], voidedRelationships: [] as string[] };
  if (!has(ctx, 'relationship')) return out;
  const read = (id: number, active: boolean) =>
    queryRows<RelRow & { uuid: string }>(
      ctx.conn,
      `SELECT relationship_id, person_a, relationship, person_b, uuid FROM relationship WHERE (person_a = ? OR person_b = ?)${active ? ' AND voided = 0' : ''} FOR UPDATE`,
      [id, id],
    );
  const K = ctx.keep.personId;
  const D = ctx.drop.personId;
  const existing = new Set((await read(K, false)).map((r) => relHash(r, K)));
  for (const r of await read(D, true)) {
    const side = r.person_a === D ? 'A' : 'B';
    const hash = relHash(r, D);
    let reason: string;
    if ((r.person_a === K && r.person_b === D) || (r.person_a === D && r.person_b === K)) reason = `person ${side} was merged to person ${side === 'A' ? 'B' : 'A'}`;
    else if (existing.has(hash)) reason = `person ${side} was merged and a relationship already exists`;
    else {
      const copy = await copyRow(ctx, 'relationship', 'relationship_id', r.relationship_id, side === 'A' ? { person_a: K } : { person_b: K });
      out.createdRelationships.push(copy.uuid);
      existing.add(hash);
      reason = `person ${side} was merged, relationship copied to ${copy.uuid}`;
    }
    await voidRows(ctx, 'relationship', 'relationship_id = ?', [r.relationship_id], reason);
    out.voidedRelationships.push(r.uuid);
  }
  return out;
}

export interface PriorDemographics {
  priorGender: string | null;
  priorDateOfBirth: string | null;
  priorDateOfBirthEstimated: boolean;
  priorDateOfDeath: string | null;
  priorCauseOfDeath: string | null;
}

/**
 * Gender where the kept patient's is neither M nor F, birth date where it has none or only an
 * estimated one and the dropped one's is exact, death date and cause where it has none; the kept
 * person and patient saved (changed_by, date_changed), as savePatient does. Returns the prior values.
 */
export async function mergeDemographics(ctx: MergeContext): Promise<PriorDemographics> {
  const [p] = await queryRows<{ gender: string | null; birthdate: string | null; est: number; death: string | null; cause: string | null }>(
    ctx.conn,
    `SELECT gender, DATE_FORMAT(birthdate, '%Y-%m-%d') AS birthdate, birthdate_estimated AS est, DATE_FORMAT(death_date, '%Y-%m-%d %H:%i:%s') AS death,
       (SELECT c.uuid FROM concept c WHERE c.concept_id = person.cause_of_death) AS cause FROM person WHERE person_id = ?`,
    [ctx.keep.personId],
  );
  await ctx.conn.query(
    `UPDATE person k JOIN person d ON d.person_id = ? SET
       k.gender = IF(k.gender IN ('M', 'F'), k.gender, d.gender),
       k.birthdate_estimated = IF(k.birthdate IS NULL OR (k.birthdate_estimated <> 0 AND d.birthdate_estimated = 0), d.birthdate_estimated, k.birthdate_estimated),
       k.birthdate = IF(k.birthdate IS NULL OR (k.birthdate_estimated <> 0 AND d.birthdate_estimated = 0), d.birthdate, k.birthdate),
       k.death_date = COALESCE(k.death_date, d.death_date), k.cause_of_death = COALESCE(k.cause_of_death, d.cause_of_death),
       k.changed_by = ?, k.date_changed = ?
     WHERE k.person_id = ?`,
    [ctx.drop.personId, ctx.userId, ctx.now, ctx.keep.personId],
  );
  if (has(ctx, 'patient', 'date_changed')) await ctx.conn.query('UPDATE patient SET changed_by = ?, date_changed = ? WHERE patient_id = ?', [ctx.userId, ctx.now, ctx.keep.personId]);
  return { priorGender: p.gender, priorDateOfBirth: p.birthdate, priorDateOfBirthEstimated: Boolean(p.est), priorDateOfDeath: p.death, priorCauseOfDeath: p.cause };
}

/**
 * Voids the dropped patient as voidPatient and voidPerson do, with everything they cascade to
 * (identifiers, names, addresses, attributes), each with the reason "Merged with <kept uuid>"
 * (OpenMRS writes the kept patient's id, which differs between nodes). Returns the rows voided.
 */
export async function voidDropped(ctx: MergeContext): Promise<number> {
  const reason = `Merged with ${ctx.keep.uuid}`;
  const D = [ctx.drop.personId];
  let n = 0;
  n += await voidRows(ctx, 'patient_identifier', 'patient_id = ?', D, reason);
  for (const t of ['person_name', 'person_address', 'person_attribute']) n += await voidRows(ctx, t, 'person_id = ?', D, reason);
  // The person row first: the relay labels a resource changed twice in a batch by its last change, so the patient row's VOIDED comes last.
  n += await voidRows(ctx, 'person', 'person_id = ?', D, reason);
  n += await voidRows(ctx, 'patient', 'patient_id = ?', D, reason);
  return n;
}
