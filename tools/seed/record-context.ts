// What planning a patient's record (plan-record.ts and the planners it calls) shares:
// how often each part of a record occurs, what the planner may know, and its time helpers.
import type { Draw, PlanEnv } from './plan-types.ts';
import type { ClinicalProfile } from './profile.ts';
import type { Rng } from './rng.ts';
import { addDays, sqlDatetime, timeBetween } from './sql-time.ts';

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

/** A time as SQL, no later than the end of the seeded history. */
export const at = (d: Date, env: PlanEnv) => sqlDatetime(d > env.endAt ? env.endAt : d);
/** A random time within `maxDays` after `from`, and not after `until`. */
export const later = (rng: Rng, from: Date, maxDays: number, until: Date) =>
  from >= until ? from : timeBetween(rng, from, new Date(Math.min(until.getTime(), addDays(from, maxDays).getTime())));
