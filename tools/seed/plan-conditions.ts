// Plans a patient's conditions from the clinical profile (and a tuberculosis
// diagnosis), with the edits OpenMRS records as a voided row and a new one.
import type { ConceptKey } from './concepts.ts';
import type { ConditionPlan, PatientRecordPlan } from './plan-record-types.ts';
import type { PatientPlan } from './plan-types.ts';
import { RECORD_RATES, at, later } from './record-context.ts';
import type { RecordContext } from './record-context.ts';
import { addDays, parseSqlDatetime, sqlDatetime } from './sql-time.ts';

/** A condition, and sometimes its later edit: OpenMRS voids the edited row and adds one pointing at it. */
function condition(ctx: RecordContext, concept: ConceptKey, onset: Date, encounterUuid: string | null, until: Date, edit: 'confirm' | 'resolve' | null): ConditionPlan[] {
  const { rng, uuid } = ctx.draw;
  const created = at(onset, ctx.env);
  const first: ConditionPlan = {
    uuid: uuid(), conceptId: ctx.env.meta.concept[concept], clinicalStatus: 'ACTIVE', verificationStatus: edit === 'confirm' ? 'PROVISIONAL' : 'CONFIRMED',
    onsetDate: sqlDatetime(onset), endDate: null, additionalDetail: null, encounterUuid, previousUuid: null, audit: { createdAt: created },
  };
  const editedAt = later(rng, onset, 180, until);
  if (!edit || editedAt <= onset) return [first];
  const when = sqlDatetime(editedAt);
  first.audit.voided = { at: when, reason: 'Condition edited' };
  const next: ConditionPlan = { ...first, uuid: uuid(), previousUuid: first.uuid, audit: { createdAt: when } };
  if (edit === 'confirm') next.verificationStatus = 'CONFIRMED';
  else {
    next.clinicalStatus = 'INACTIVE';
    next.endDate = when;
    next.additionalDetail = 'Resolved on treatment';
  }
  return [first, next];
}

export function conditions(ctx: RecordContext, p: PatientPlan, until: Date, rec: PatientRecordPlan, tbAt: Date | null, tbEncounter: string | null): void {
  const { rng } = ctx.draw;
  const pr = ctx.profile;
  const note = p.visits.flatMap((v) => v.encounters).find((e) => e.encounterTypeId === ctx.env.meta.encounterType.visitNote);
  const seen = note ? parseSqlDatetime(note.at) : parseSqlDatetime(p.audit.createdAt);
  const enc = note?.uuid ?? null;
  if (pr.hivPositive) rec.conditions.push(...condition(ctx, 'hivDisease', seen, enc, until, null));
  if (pr.hypertensive) rec.conditions.push(...condition(ctx, 'hypertension', seen, enc, until, rng.chance(0.2) ? 'confirm' : null));
  if (pr.diabetic) rec.conditions.push(...condition(ctx, 'diabetes', seen, enc, until, null));
  if (pr.asthmatic) rec.conditions.push(...condition(ctx, 'asthma', seen, enc, until, null));
  if (pr.anaemic) rec.conditions.push(...condition(ctx, 'anaemia', seen, enc, until, rng.chance(0.5) ? 'resolve' : null));
  if (tbAt) rec.conditions.push(...condition(ctx, 'tuberculosis', tbAt, tbEncounter, until, null));
  else if (rng.chance(RECORD_RATES.pastTb)) {
    const [c] = condition(ctx, 'tuberculosis', addDays(seen, -rng.int(400, 3000)), null, until, null);
    c.clinicalStatus = 'HISTORY_OF';
    c.audit.createdAt = sqlDatetime(seen);
    rec.conditions.push(c);
  }
}
