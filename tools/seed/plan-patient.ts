// Plans one patient's registration: person, names, addresses and identifiers,
// with the edits and voids a real register accumulates (a corrected spelling,
// a married name, a move, a duplicate record voided). Pure: all chance comes
// from the Draw, all ids from the PlanEnv.
import { DIAGNOSIS_KEYS } from './concepts.ts';
import { FAMILY_NAMES, FEMALE_GIVEN_NAMES, LANDMARKS, MALE_GIVEN_NAMES, STREET_PREFIXES, VILLAGES } from './names.ts';
import type { AddressPlan, AuditPlan, Draw, IdentifierPlan, NamePlan, PatientPlan, PlanEnv } from './plan-types.ts';
import { registerNumber } from './identifier.ts';
import type { Rng } from './rng.ts';
import { SITE_COUNTRY } from './site.ts';
import { MS_PER_DAY, addDays, parseSqlDatetime, sqlDate, sqlDatetime, timeBetween } from './sql-time.ts';

/** How often the register's imperfections occur, per patient. */
export const PATIENT_RATES = {
  female: 0.52,
  middleName: 0.35,
  birthdateEstimated: 0.12,
  nameCorrected: 0.06,
  marriedNameChange: 0.04,
  moved: 0.05,
  registerNumber: 0.35,
  dead: 0.01,
  voidedDuplicate: 0.005,
  noKnownAllergies: 0.2,
} as const;

/** [lowest age, highest age, weight]: a young clinic population, as in most OpenMRS sites. */
const AGE_BANDS: ReadonlyArray<readonly [readonly [number, number], number]> = [
  [[0, 4], 12],
  [[5, 14], 13],
  [[15, 49], 50],
  [[50, 85], 25],
];

export const DUPLICATE_VOID_REASON = 'Duplicate patient record';

/** A time after `from`, at most `maxDays` later and never after `endAt`. */
function laterThan(rng: Rng, from: Date, maxDays: number, endAt: Date): Date {
  const to = new Date(Math.min(endAt.getTime(), addDays(from, maxDays).getTime()));
  return to <= from ? from : timeBetween(rng, from, to);
}

function givenName(rng: Rng, gender: 'M' | 'F'): string {
  return rng.pick(gender === 'F' ? FEMALE_GIVEN_NAMES : MALE_GIVEN_NAMES);
}

function planNames(env: PlanEnv, { rng, uuid }: Draw, gender: 'M' | 'F', age: number, registeredAt: Date): NamePlan[] {
  const created = sqlDatetime(registeredAt);
  const name: NamePlan = {
    uuid: uuid(),
    preferred: true,
    prefix: null,
    given: givenName(rng, gender),
    middle: rng.chance(PATIENT_RATES.middleName) ? givenName(rng, gender) : null,
    family: rng.pick(FAMILY_NAMES),
    audit: { createdAt: created },
  };
  if (rng.chance(PATIENT_RATES.nameCorrected)) name.audit.changedAt = sqlDatetime(laterThan(rng, registeredAt, 90, env.endAt));
  if (gender !== 'F' || age < 18 || !rng.chance(PATIENT_RATES.marriedNameChange)) return [name];
  // OpenMRS keeps the old name, voided, and adds the new one as preferred.
  const at = sqlDatetime(laterThan(rng, registeredAt, 365, env.endAt));
  const married: NamePlan = { ...name, uuid: uuid(), family: rng.pick(FAMILY_NAMES), audit: { createdAt: at } };
  name.preferred = false;
  name.audit = { createdAt: created, changedAt: at, voided: { at, reason: 'Name changed after marriage' } };
  return [name, married];
}

function planAddress(env: PlanEnv, { rng, uuid }: Draw, from: Date): AddressPlan {
  const { site } = env;
  return {
    uuid: uuid(),
    preferred: true,
    address1: `${rng.pick(STREET_PREFIXES)} ${rng.int(1, 400)}`,
    address2: rng.chance(0.6) ? rng.pick(LANDMARKS) : null,
    cityVillage: rng.chance(0.6) ? site.town : rng.pick(VILLAGES),
    countyDistrict: site.district,
    stateProvince: site.province,
    country: SITE_COUNTRY,
    postalCode: rng.chance(0.3) ? String(rng.int(10, 99) * 1000 + rng.int(0, 999)).padStart(5, '0') : null,
    latitude: (site.latitude + rng.float(-0.15, 0.15, 4)).toFixed(4),
    longitude: (site.longitude + rng.float(-0.15, 0.15, 4)).toFixed(4),
    startDate: sqlDatetime(from),
    endDate: null,
    audit: { createdAt: sqlDatetime(from) },
  };
}

function planAddresses(env: PlanEnv, draw: Draw, registeredAt: Date): AddressPlan[] {
  const first = planAddress(env, draw, registeredAt);
  if (!draw.rng.chance(PATIENT_RATES.moved)) return [first];
  const movedAt = laterThan(draw.rng, registeredAt, 540, env.endAt);
  const next = planAddress(env, draw, movedAt);
  first.preferred = false;
  first.endDate = sqlDatetime(movedAt);
  first.audit.changedAt = sqlDatetime(movedAt);
  return [first, next];
}

function planIdentifiers(env: PlanEnv, { rng, uuid }: Draw, age: number, registeredAt: Date): IdentifierPlan[] {
  const { meta, site } = env;
  const audit = { createdAt: sqlDatetime(registeredAt) };
  const ids: IdentifierPlan[] = [
    { uuid: uuid(), identifierTypeId: meta.identifierType.openmrsId, value: null, preferred: true, locationId: site.healthCentreId, audit },
  ];
  if (rng.chance(PATIENT_RATES.registerNumber)) {
    const [register, ward] = age < 5 ? (['MCH', site.wards.mch] as const) : (['OPD', site.wards.opd] as const);
    ids.push({
      uuid: uuid(),
      identifierTypeId: meta.identifierType.registerNumber,
      value: registerNumber(register, registeredAt.getUTCFullYear(), rng.int(1, 4000)),
      preferred: false,
      locationId: ward,
      audit: { ...audit },
    });
  }
  return ids;
}

/** Voids every row of a duplicate record, as OpenMRS's voidPatient does. */
function voidAll(rows: Array<{ audit: AuditPlan }>, voided: AuditPlan['voided']): void {
  for (const r of rows) if (!r.audit.voided) r.audit.voided = voided;
}

/**
 * Plans a patient registered at `registeredAt`, without visits. The first uuid
 * drawn is the person's: seedNode relies on that to skip batches already written.
 */
export function planPatient(env: PlanEnv, draw: Draw, registeredAt: Date): PatientPlan {
  const { rng } = draw;
  const uuid = draw.uuid();
  const gender = rng.chance(PATIENT_RATES.female) ? 'F' : 'M';
  const [minAge, maxAge] = rng.weighted(AGE_BANDS);
  const age = rng.int(minAge, maxAge);
  const birth = new Date(registeredAt.getTime() - (age * 365.25 + rng.int(0, 364)) * MS_PER_DAY);
  const estimated = age >= 5 && rng.chance(PATIENT_RATES.birthdateEstimated);
  const audit: AuditPlan = { createdAt: sqlDatetime(registeredAt) };
  const plan: PatientPlan = {
    uuid,
    gender,
    // An estimated birthdate is recorded as 1 January of the estimated year.
    birthdate: estimated ? `${birth.getUTCFullYear()}-01-01` : sqlDate(birth),
    birthdateEstimated: estimated,
    dead: false,
    deathDate: null,
    causeOfDeathConceptId: null,
    allergyStatus: rng.chance(PATIENT_RATES.noKnownAllergies) ? 'No known allergies' : 'Unknown',
    audit,
    names: planNames(env, draw, gender, age, registeredAt),
    addresses: planAddresses(env, draw, registeredAt),
    identifiers: planIdentifiers(env, draw, age, registeredAt),
    visits: [],
  };
  if (rng.chance(PATIENT_RATES.dead) && env.endAt.getTime() - registeredAt.getTime() > 30 * MS_PER_DAY) {
    const died = timeBetween(rng, addDays(registeredAt, 30), env.endAt);
    plan.dead = true;
    plan.deathDate = sqlDatetime(died);
    plan.causeOfDeathConceptId = env.meta.concept[rng.pick(DIAGNOSIS_KEYS.slice(0, 4))];
    audit.changedAt = sqlDatetime(laterThan(rng, died, 7, env.endAt));
  } else if (rng.chance(PATIENT_RATES.voidedDuplicate)) {
    const at = sqlDatetime(laterThan(rng, registeredAt, 60, env.endAt));
    audit.voided = { at, reason: DUPLICATE_VOID_REASON };
    voidAll([...plan.names, ...plan.addresses, ...plan.identifiers], audit.voided);
  }
  return plan;
}

/** The latest time a patient's history may reach: death, or the end of the seeded period. */
export function historyEnd(plan: PatientPlan, env: PlanEnv): Date {
  return plan.deathDate ? parseSqlDatetime(plan.deathDate) : env.endAt;
}
