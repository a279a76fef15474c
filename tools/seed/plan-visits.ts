// Plans a patient's visits over time: about three encounters per patient,
// grouped into visits (a Vitals encounter then a Visit Note on the same day, or
// a Visit Note then Lab Results), each with its providers and obs.
import { SYMPTOM_KEYS } from './concepts.ts';
import type { EncounterRoleKey } from './metadata.ts';
import { VOID_REASONS } from './names.ts';
import { planEncounterObs } from './plan-obs.ts';
import type { EncounterKind } from './plan-obs.ts';
import type { AuditPlan, Draw, EncounterPlan, EncounterProviderPlan, PlanEnv, VisitPlan } from './plan-types.ts';
import type { ClinicalProfile } from './profile.ts';
import { ageYears } from './profile.ts';
import type { Rng } from './rng.ts';
import { MS_PER_DAY, addDays, addMinutes, clinicTime, sqlDatetime, startOfDay } from './sql-time.ts';

/** [encounters, weight]: averages 3 encounters per patient. */
export const ENCOUNTERS_PER_PATIENT: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [2, 2],
  [3, 4],
  [4, 2],
  [5, 1],
];

export const VISIT_RATES = {
  /** A visit holds two encounters (e.g. Vitals then Visit Note) this often. */
  twoEncounters: 0.4,
  outreach: 0.08,
  indication: 0.1,
  encounterEdited: 0.05,
  encounterVoided: 0.02,
} as const;

const SINGLE: ReadonlyArray<readonly [EncounterKind[], number]> = [
  [['visitNote'], 7],
  [['vitals'], 2],
  [['labResults'], 1],
];
const DOUBLE: ReadonlyArray<readonly [EncounterKind[], number]> = [
  [['vitals', 'visitNote'], 3],
  [['visitNote', 'labResults'], 1],
];

/** Who takes part in each kind of encounter: [role, how often]. */
const CARE_TEAM: Record<EncounterKind, ReadonlyArray<readonly [EncounterRoleKey, number]>> = {
  vitals: [['nurse', 1]],
  visitNote: [['clinician', 1], ['nurse', 0.3]],
  labResults: [['labTechnician', 1], ['clinician', 0.2]],
};

export interface VisitOptions {
  /** Set when the patient record is voided: everything it holds is voided with it. */
  voided?: AuditPlan['voided'];
  /** Latest time the visit's audit dates may carry. */
  endAt: Date;
}

function providersFor(env: PlanEnv, { rng, uuid }: Draw, kind: EncounterKind, createdAt: string): EncounterProviderPlan[] {
  const out: EncounterProviderPlan[] = [];
  for (const [role, p] of CARE_TEAM[kind]) {
    if (!rng.chance(p)) continue;
    const staff = env.site.providers.filter((x) => x.role === role);
    // A database whose providers have other roles still gets a provider, in the Unknown role.
    const chosen = staff.length > 0 ? rng.pick(staff) : env.site.providers.length > 0 ? rng.pick(env.site.providers) : null;
    if (!chosen) continue;
    out.push({
      uuid: uuid(),
      providerId: chosen.id,
      encounterRoleId: env.meta.encounterRole[staff.length > 0 ? role : 'unknown'],
      audit: { createdAt },
    });
  }
  return out;
}

function visitLocation(env: PlanEnv, rng: Rng, profile: ClinicalProfile, at: Date, outreach: boolean): number {
  const { site } = env;
  if (outreach) return site.dispensaryId;
  if (ageYears(profile.birthdate, at) < 5) return site.wards.mch;
  if (profile.hivPositive && rng.chance(0.7)) return site.wards.ccc;
  return rng.chance(0.15) ? site.dispensaryId : site.wards.opd;
}

const earliest = (a: Date, b: Date) => (a < b ? a : b);
const latest = (a: Date, b: Date) => (a > b ? a : b);

/** One visit starting at `start`, holding one encounter per kind, in order. */
export function planVisit(env: PlanEnv, draw: Draw, profile: ClinicalProfile, start: Date, kinds: EncounterKind[], opts: VisitOptions): VisitPlan {
  const { rng, uuid } = draw;
  const outreach = rng.chance(VISIT_RATES.outreach);
  const locationId = visitLocation(env, rng, profile, start, outreach);
  const visit: VisitPlan = {
    uuid: uuid(),
    visitTypeId: env.meta.visitType[outreach ? 'outreach' : 'facility'],
    startedAt: sqlDatetime(start),
    stoppedAt: null,
    locationId,
    indicationConceptId: rng.chance(VISIT_RATES.indication) ? env.meta.concept[rng.pick(SYMPTOM_KEYS)] : null,
    audit: { createdAt: sqlDatetime(start), voided: opts.voided },
    encounters: [],
  };
  let at = addMinutes(start, rng.int(5, 20));
  for (const kind of kinds) {
    const created = earliest(addMinutes(at, rng.int(0, 120)), opts.endAt);
    const audit: AuditPlan = { createdAt: sqlDatetime(created), voided: opts.voided };
    if (rng.chance(VISIT_RATES.encounterEdited)) audit.changedAt = sqlDatetime(earliest(addDays(created, rng.int(1, 20)), opts.endAt));
    if (!audit.voided && rng.chance(VISIT_RATES.encounterVoided)) {
      audit.voided = { at: sqlDatetime(earliest(addMinutes(created, rng.int(5, 4320)), opts.endAt)), reason: rng.pick(VOID_REASONS) };
    }
    const encounterLocation = kind === 'labResults' && !outreach ? env.site.wards.lab : locationId;
    const encounter: EncounterPlan = {
      uuid: uuid(),
      encounterTypeId: env.meta.encounterType[kind],
      locationId: encounterLocation,
      at: sqlDatetime(at),
      audit,
      providers: providersFor(env, draw, kind, audit.createdAt),
      obs: planEncounterObs({ env, draw, profile, at, locationId: encounterLocation, createdAt: audit.createdAt, voided: audit.voided }, kind),
    };
    visit.encounters.push(encounter);
    at = addMinutes(at, rng.int(15, 90));
  }
  // OpenMRS writes a visit at check-in and stops it at check-out: an update.
  const stopped = earliest(addMinutes(at, rng.int(5, 60)), opts.endAt);
  visit.stoppedAt = sqlDatetime(stopped);
  visit.audit.changedAt = sqlDatetime(stopped);
  return visit;
}

/** Splits `encounters` into visits of one or two encounters and picks their kinds. */
function visitKinds(rng: Rng, encounters: number): EncounterKind[][] {
  const out: EncounterKind[][] = [];
  for (let left = encounters; left > 0; ) {
    const two = left >= 2 && rng.chance(VISIT_RATES.twoEncounters);
    out.push(rng.weighted(two ? DOUBLE : SINGLE));
    left -= two ? 2 : 1;
  }
  return out;
}

/**
 * A patient's visits from registration (the first visit) to `until`. Later
 * visits fall on random days in between, in order, during clinic hours.
 */
export function planHistory(env: PlanEnv, draw: Draw, profile: ClinicalProfile, registeredAt: Date, until: Date, opts: { voided?: AuditPlan['voided'] } = {}): VisitPlan[] {
  const { rng } = draw;
  const kinds = visitKinds(rng, rng.weighted(ENCOUNTERS_PER_PATIENT));
  const firstDay = startOfDay(registeredAt).getTime() / MS_PER_DAY;
  const lastDay = Math.max(firstDay, Math.floor(until.getTime() / MS_PER_DAY) - 1);
  const days = [firstDay, ...kinds.slice(1).map(() => rng.int(Math.min(firstDay + 1, lastDay), lastDay))].sort((a, b) => a - b);
  return kinds.map((k, i) => {
    // A later visit on the registration day (registered just before `until`) still comes after registration.
    const start = i === 0 ? registeredAt : latest(clinicTime(rng, new Date(days[i] * MS_PER_DAY)), addMinutes(registeredAt, 180 * i));
    return planVisit(env, draw, profile, start, k, { voided: opts.voided, endAt: env.endAt });
  });
}
