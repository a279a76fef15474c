// Plans the rest of one patient's record, in the proportions of a primary-care
// clinic: person attributes (phone, home health centre, civil status), family
// and caregivers (relatives who are not patients, mothers who are), program
// enrolments with their state changes, conditions from the clinical profile,
// allergies, visit attributes, and each visit's orders and diagnoses (programs in
// plan-programs.ts, conditions in plan-conditions.ts). Its own
// random streams: the rest of the patient is what it was without it.
import type { ConceptKey } from './concepts.ts';
import { FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES } from './names.ts';
import { conditions } from './plan-conditions.ts';
import { planVisitOrders } from './plan-orders.ts';
import { programs } from './plan-programs.ts';
import type { AllergyPlan, PatientRecordPlan, PersonAttributePlan, RelationshipPlan, RelativePlan } from './plan-record-types.ts';
import type { AuditPlan, PatientPlan } from './plan-types.ts';
import { ageYears } from './profile.ts';
import { RECORD_RATES, later } from './record-context.ts';
import type { RecordContext } from './record-context.ts';
import type { RelationshipTypeKey } from './record-metadata.ts';
import type { Rng } from './rng.ts';
import { MS_PER_DAY, addDays, parseSqlDatetime, sqlDate, sqlDatetime } from './sql-time.ts';

// The rates and the planner's context live in record-context.ts; seed-node.ts and index.ts import them from here.
export { RECORD_RATES } from './record-context.ts';
export type { PersonSketch, RecordContext } from './record-context.ts';

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
