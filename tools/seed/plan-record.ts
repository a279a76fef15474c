// Plans the rest of one patient's record, in the proportions of a primary-care
// clinic: person attributes (phone, home health centre, civil status), family
// and caregivers (relatives who are not patients, mothers who are), program
// enrolments with their state changes, conditions from the clinical profile,
// allergies, visit attributes, and each visit's orders and diagnoses. Its own
// random streams: the rest of the patient is what it was without it.
import type { ConceptKey } from './concepts.ts';
import { FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES } from './names.ts';
import { planVisitOrders } from './plan-orders.ts';
import type {
  AllergyPlan, ConditionPlan, PatientRecordPlan, PersonAttributePlan, ProgramPlan, RelationshipPlan, RelativePlan,
} from './plan-record-types.ts';
import type { AuditPlan, Draw, PatientPlan, PlanEnv } from './plan-types.ts';
import type { ClinicalProfile } from './profile.ts';
import { ageYears } from './profile.ts';
import type { RelationshipTypeKey } from './record-metadata.ts';
import type { Rng } from './rng.ts';
import { MS_PER_DAY, addDays, parseSqlDatetime, sqlDate, sqlDatetime, timeBetween } from './sql-time.ts';

export const RECORD_RATES = {
  phoneAdult: 0.75,
  phoneChild: 0.4,
  phoneChanged: 0.05,
  healthCenter: 0.6,
  civilStatus: 0.5,
  mothersName: 0.2,
  /** A child whose mother is a patient of the clinic too. */
  motherIsPatient: 0.35,
  childCaregiver: 0.5,
  treatmentSupporter: 0.5,
  elderlyCaregiver: 0.4,
  sibling: 0.1,
  hivEnrolled: 0.9,
  /** A confirmed tuberculosis diagnosis starts treatment in the TB program this often (others are referred). */
  tbEnrolled: 0.3,
  pastTb: 0.05,
  allergies: 0.1,
  paymentMethod: 0.6,
} as const;

/** What the planner may know of another seeded patient (its registration, not its history). */
export interface PersonSketch {
  uuid: string;
  gender: 'M' | 'F';
  birthdate: string;
  registeredAt: string;
  voided: boolean;
}

export interface RecordContext {
  env: PlanEnv;
  draw: Draw;
  profile: ClinicalProfile;
  /** Seeded patients this one may be family of (earlier ones, nearest first); empty for a live patient. */
  neighbours: () => PersonSketch[];
  orderNumber: () => string;
}

const at = (d: Date, env: PlanEnv) => sqlDatetime(d > env.endAt ? env.endAt : d);
const later = (rng: Rng, from: Date, maxDays: number, until: Date) =>
  from >= until ? from : timeBetween(rng, from, new Date(Math.min(until.getTime(), addDays(from, maxDays).getTime())));
const phone = (rng: Rng) => `+2547${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;

function attributes(ctx: RecordContext, p: PatientPlan, age: number, created: Date, until: Date): PersonAttributePlan[] {
  const { rng, uuid } = ctx.draw;
  const { env } = ctx;
  const audit = (): AuditPlan => ({ createdAt: sqlDatetime(created) });
  const out: PersonAttributePlan[] = [];
  if (rng.chance(age >= 15 ? RECORD_RATES.phoneAdult : RECORD_RATES.phoneChild)) {
    const first: PersonAttributePlan = { uuid: uuid(), type: 'telephone', value: phone(rng), audit: audit() };
    out.push(first);
    if (rng.chance(RECORD_RATES.phoneChanged)) {
      // OpenMRS keeps the old value, voided, and adds the new one.
      const when = sqlDatetime(later(rng, created, 365, until));
      first.audit.voided = { at: when, reason: 'New phone number' };
      out.push({ uuid: uuid(), type: 'telephone', value: phone(rng), audit: { createdAt: when } });
    }
  }
  if (rng.chance(RECORD_RATES.healthCenter)) {
    // Format org.openmrs.Location: the location_id, as text.
    const home = rng.chance(0.8) ? env.site.healthCentreId : env.site.dispensaryId;
    out.push({ uuid: uuid(), type: 'healthCenter', value: String(home), audit: audit() });
  }
  if (age >= 18 && rng.chance(RECORD_RATES.civilStatus)) {
    // Format org.openmrs.Concept: the concept_id, as text.
    const status = rng.weighted<ConceptKey>([['married', 5], ['single', 3], ['widowed', 1], ['divorced', 1]]);
    out.push({ uuid: uuid(), type: 'civilStatus', value: String(env.meta.concept[status]), audit: audit() });
  }
  if (age < 15 && rng.chance(RECORD_RATES.mothersName)) out.push({ uuid: uuid(), type: 'mothersName', value: rng.pick(FEMALE_GIVEN_NAMES), audit: audit() });
  return out;
}

/** A relative or caregiver who is not a patient: a person with a name and the patient's address. */
function relative(ctx: RecordContext, p: PatientPlan, gender: 'M' | 'F', minAge: number, maxAge: number, created: Date): RelativePlan {
  const { rng, uuid } = ctx.draw;
  const id = uuid();
  const birth = addDays(created, -(rng.int(minAge, maxAge) * 365.25 + rng.int(0, 364)));
  const audit = { createdAt: sqlDatetime(created) };
  const home = p.addresses.find((a) => a.preferred) ?? p.addresses[0];
  return {
    uuid: id,
    gender,
    birthdate: `${birth.getUTCFullYear()}-01-01`,
    birthdateEstimated: true,
    audit,
    names: [{ uuid: uuid(), preferred: true, prefix: null, given: rng.pick(gender === 'F' ? FEMALE_GIVEN_NAMES : MALE_GIVEN_NAMES), middle: null, family: rng.chance(0.6) ? p.names[0].family : rng.pick(FAMILY_NAMES), audit: { ...audit } }],
    addresses: home ? [{ ...home, uuid: uuid(), preferred: true, endDate: null, startDate: audit.createdAt, audit: { ...audit } }] : [],
    attributes: rng.chance(0.8) ? [{ uuid: uuid(), type: 'telephone', value: phone(rng), audit: { ...audit } }] : [],
  };
}

function family(ctx: RecordContext, p: PatientPlan, age: number, created: Date, rec: PatientRecordPlan): void {
  const { rng, uuid } = ctx.draw;
  const link = (type: RelationshipTypeKey, a: string, b: string, start: Date) =>
    rec.relationships.push({ uuid: uuid(), type, personA: a, personB: b, startDate: sqlDatetime(start), endDate: null, audit: { createdAt: sqlDatetime(created) } } as RelationshipPlan);
  const born = parseSqlDatetime(`${p.birthdate} 00:00:00`);
  if (age < 15) {
    const near = ctx.neighbours().filter((n) => !n.voided);
    const mother = rng.chance(RECORD_RATES.motherIsPatient)
      ? near.find((n) => n.gender === 'F' && (born.getTime() - parseSqlDatetime(`${n.birthdate} 00:00:00`).getTime()) / (365.25 * MS_PER_DAY) >= 16)
      : undefined;
    if (mother) link('parent', mother.uuid, p.uuid, born);
    else if (rng.chance(RECORD_RATES.childCaregiver)) {
      const type = rng.weighted<RelationshipTypeKey>([['parent', 6], ['auntUncle', 2], ['caregiver', 2]]);
      const r = relative(ctx, p, rng.chance(0.8) ? 'F' : 'M', age + 17, age + 45, created);
      rec.relatives.push(r);
      link(type, r.uuid, p.uuid, type === 'parent' ? born : created);
    }
    const sibling = rng.chance(RECORD_RATES.sibling) ? near.find((n) => n.birthdate > sqlDate(addDays(created, -15 * 365))) : undefined;
    if (sibling) link('sibling', sibling.uuid, p.uuid, created);
  } else if ((ctx.profile.hivPositive && rng.chance(RECORD_RATES.treatmentSupporter)) || (age >= 70 && rng.chance(RECORD_RATES.elderlyCaregiver))) {
    const r = relative(ctx, p, rng.chance(0.6) ? 'F' : 'M', 20, 60, created);
    rec.relatives.push(r);
    link('caregiver', r.uuid, p.uuid, created);
    // A treatment supporter who stepped down: the relationship ended.
    if (rng.chance(0.1)) rec.relationships[rec.relationships.length - 1].endDate = sqlDatetime(later(rng, created, 540, ctx.env.endAt));
  }
}

/** A program enrolment from `start`, moving through `path` (state keys, each [key, days in it before the next]). */
function enrol(ctx: RecordContext, program: 'hiv' | 'tb', start: Date, until: Date, path: Array<[string, number]>, locationId: number): ProgramPlan {
  const { uuid } = ctx.draw;
  const plan: ProgramPlan = {
    uuid: uuid(), program, locationId, enrolledAt: sqlDatetime(start), completedAt: null, outcomeConceptId: null,
    audit: { createdAt: sqlDatetime(start) }, states: [],
  };
  let from = start;
  for (const [state, days] of path) {
    if (from > until) break;
    const prev = plan.states[plan.states.length - 1];
    if (prev) {
      // Changing state ends the previous one on the same day, as OpenMRS's transitionToState does.
      prev.endDate = sqlDate(from);
      prev.audit.changedAt = at(from, ctx.env);
    }
    plan.states.push({ uuid: uuid(), state, startDate: sqlDate(from), endDate: null, audit: { createdAt: at(from, ctx.env) } });
    from = addDays(from, days);
  }
  return plan;
}

function programs(ctx: RecordContext, p: PatientPlan, until: Date, rec: PatientRecordPlan, tbAt: Date | null): void {
  const { rng } = ctx.draw;
  const { site, meta } = ctx.env;
  const first = p.visits[0] ? parseSqlDatetime(p.visits[0].startedAt) : parseSqlDatetime(p.audit.createdAt);
  const close = (plan: ProgramPlan, outcome: ConceptKey, when: Date) => {
    plan.completedAt = at(when, ctx.env);
    plan.outcomeConceptId = meta.concept[outcome];
    plan.audit.changedAt = at(when, ctx.env);
  };
  if (ctx.profile.hivPositive && rng.chance(RECORD_RATES.hivEnrolled)) {
    const path: Array<[string, number]> = rng.chance(0.6) ? [['onArt', 0]] : [['preArt', rng.int(7, 90)], ['onArt', 0]];
    const ending = rng.weighted<string | null>([[null, 18], ['transferredOut', 1], ['defaulted', 1]]);
    if (ending) {
      path[path.length - 1][1] = rng.int(60, 500);
      path.push([ending, 0]);
    }
    const plan = enrol(ctx, 'hiv', first, until, path, site.wards.ccc);
    const last = plan.states[plan.states.length - 1];
    if (last.state === 'transferredOut') close(plan, 'transferredOut', parseSqlDatetime(`${last.startDate} 12:00:00`));
    else if (p.dead && p.deathDate && p.deathDate.slice(0, 10) >= last.startDate) {
      const died = parseSqlDatetime(p.deathDate);
      last.endDate = sqlDate(died);
      last.audit.changedAt = p.deathDate;
      plan.states.push({ uuid: ctx.draw.uuid(), state: 'died', startDate: sqlDate(died), endDate: null, audit: { createdAt: p.deathDate } });
      close(plan, 'patientDied', died);
    }
    rec.programs.push(plan);
  }
  if (tbAt) {
    const plan = enrol(ctx, 'tb', tbAt, until, [['intensive', 56], ['continuation', 112], [rng.chance(0.6) ? 'cured' : 'completed', 0]], site.wards.opd);
    const last = plan.states[plan.states.length - 1];
    if (last.state === 'cured' || last.state === 'completed') close(plan, last.state === 'cured' ? 'cured' : 'treatmentComplete', parseSqlDatetime(`${last.startDate} 12:00:00`));
    rec.programs.push(plan);
  }
}

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

function conditions(ctx: RecordContext, p: PatientPlan, until: Date, rec: PatientRecordPlan, tbAt: Date | null, tbEncounter: string | null): void {
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

const ALLERGENS: ReadonlyArray<readonly [['DRUG' | 'FOOD' | 'ENVIRONMENT', ConceptKey], number]> = [
  [['DRUG', 'penicillin'], 4], [['DRUG', 'cotrimoxazole'], 2], [['DRUG', 'amoxicillin'], 1],
  [['FOOD', 'peanuts'], 1], [['FOOD', 'eggs'], 1], [['FOOD', 'shellfish'], 1],
  [['ENVIRONMENT', 'dust'], 1], [['ENVIRONMENT', 'pollen'], 1], [['ENVIRONMENT', 'beeSting'], 1],
];
const REACTIONS: readonly ConceptKey[] = ['rash', 'urticaria', 'itching', 'angioedema', 'wheezing', 'vomiting', 'diarrhoea'];

function allergies(ctx: RecordContext, p: PatientPlan, created: Date): AllergyPlan[] {
  const { rng, uuid } = ctx.draw;
  const c = ctx.env.meta.concept;
  if (p.allergyStatus !== 'Unknown' || !rng.chance(RECORD_RATES.allergies)) return [];
  p.allergyStatus = 'See list';
  const picked = new Set<ConceptKey>();
  const out: AllergyPlan[] = [];
  for (let n = rng.weighted([[1, 4], [2, 1]]); n > 0; n--) {
    const [type, allergen] = rng.weighted(ALLERGENS);
    if (picked.has(allergen)) continue;
    picked.add(allergen);
    const severity = rng.weighted<ConceptKey>([['mild', 5], ['moderate', 3], ['severe', 1]]);
    const reactions = rng.sample(REACTIONS, rng.int(1, 2));
    if (severity === 'severe' && type !== 'ENVIRONMENT') reactions.push('anaphylaxis');
    out.push({
      uuid: uuid(), allergenType: type, allergenConceptId: c[allergen], severityConceptId: c[severity],
      comments: rng.chance(0.3) ? 'Reported by patient' : null, audit: { createdAt: sqlDatetime(created) },
      reactions: reactions.map((r) => ({ uuid: uuid(), conceptId: c[r] })),
    });
  }
  return out;
}

function visitAttributes(ctx: RecordContext, p: PatientPlan): void {
  const { rng, uuid } = ctx.draw;
  for (const v of p.visits) {
    if (v.visitTypeId !== ctx.env.meta.visitType.facility || !rng.chance(RECORD_RATES.paymentMethod)) continue;
    const method = rng.weighted([['Cash', 6], ['Insurance', 3], ['Waiver', 1]] as const);
    const audit = () => ({ createdAt: v.audit.createdAt, voided: v.audit.voided });
    v.attributes = [{ uuid: uuid(), type: 'paymentMethod', value: method, audit: audit() }];
    if (method === 'Insurance') v.attributes.push({ uuid: uuid(), type: 'insuranceNumber', value: String(rng.int(10_000_000, 99_999_999)), audit: audit() });
  }
}

/** Voids every row of a voided patient's record with it, as OpenMRS's voidPatient does. */
function voidAll(rec: PatientRecordPlan, voided: AuditPlan['voided']): void {
  const rows: Array<{ audit: AuditPlan }> = [...rec.attributes, ...rec.relationships, ...rec.conditions, ...rec.allergies, ...rec.programs, ...rec.programs.flatMap((x) => x.states)];
  for (const r of rows) if (!r.audit.voided) r.audit.voided = voided;
}

/** Adds the record to a planned patient (visits included): mutates `p`, its visits and encounters. */
export function planRecord(ctx: RecordContext, p: PatientPlan, until: Date): void {
  const registered = parseSqlDatetime(p.audit.createdAt);
  const age = ageYears(ctx.profile.birthdate, registered);
  const rec: PatientRecordPlan = { attributes: [], relatives: [], relationships: [], programs: [], conditions: [], allergies: [] };
  rec.attributes = attributes(ctx, p, age, registered, until);
  family(ctx, p, age, registered, rec);
  for (const v of p.visits) planVisitOrders({ env: ctx.env, draw: ctx.draw, ageYears: ageYears(ctx.profile.birthdate, parseSqlDatetime(v.startedAt)), orderNumber: ctx.orderNumber }, v);
  // Tuberculosis confirmed in a Visit Note may start treatment there.
  const tbNote = p.visits
    .flatMap((v) => v.encounters)
    .find((e) => !e.audit.voided && e.record?.diagnoses.some((d) => d.conceptId === ctx.env.meta.concept.tuberculosis && d.certainty === 'CONFIRMED'));
  const tbAt = tbNote && ctx.draw.rng.chance(RECORD_RATES.tbEnrolled) ? parseSqlDatetime(tbNote.at) : null;
  programs(ctx, p, until, rec, tbAt);
  conditions(ctx, p, until, rec, tbAt, tbAt ? (tbNote?.uuid ?? null) : null);
  // An encounter diagnosis of a condition the patient has points at it.
  for (const e of p.visits.flatMap((v) => v.encounters)) {
    for (const d of e.record?.diagnoses ?? []) d.conditionUuid = rec.conditions.find((c) => c.conceptId === d.conceptId && !c.audit.voided)?.uuid ?? null;
  }
  rec.allergies = allergies(ctx, p, registered);
  visitAttributes(ctx, p);
  if (p.audit.voided) voidAll(rec, p.audit.voided);
  p.record = rec;
}
