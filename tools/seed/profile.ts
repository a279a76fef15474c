// A patient's clinical baseline: build, blood pressure, chronic conditions.
// Derived from the person's uuid alone, so every encounter of a patient, seeded
// or live, draws vitals and labs around the same values, and an existing
// patient's next encounter needs no more than gender, birthdate and uuid.
import { Rng, clamp } from './rng.ts';
import { MS_PER_DAY } from './sql-time.ts';

export interface ClinicalProfile {
  gender: 'M' | 'F';
  birthdate: Date;
  /** Adult height; children grow towards it. */
  adultHeightCm: number;
  bmi: number;
  hivPositive: boolean;
  hypertensive: boolean;
  diabetic: boolean;
  anaemic: boolean;
  asthmatic: boolean;
}

const DAYS_PER_YEAR = 365.25;

export function ageYears(birthdate: Date, at: Date): number {
  return Math.max(0, (at.getTime() - birthdate.getTime()) / (MS_PER_DAY * DAYS_PER_YEAR));
}

export function profileOf(person: { uuid: string; gender: 'M' | 'F'; birthdate: Date }): ClinicalProfile {
  const rng = Rng.from('clinical-profile', person.uuid);
  const female = person.gender === 'F';
  return {
    gender: person.gender,
    birthdate: person.birthdate,
    adultHeightCm: rng.normal(female ? 159 : 170, female ? 6 : 7),
    bmi: clamp(rng.normal(23, 4), 15, 40),
    hivPositive: rng.chance(0.12),
    hypertensive: rng.chance(0.15),
    diabetic: rng.chance(0.06),
    anaemic: rng.chance(female ? 0.2 : 0.08),
    asthmatic: rng.chance(0.05),
  };
}

/** Expected height at an age: roughly linear growth to adult height by 18. */
export function heightAt(p: ClinicalProfile, age: number): number {
  if (age >= 18) return p.adultHeightCm;
  const birthLength = 50;
  if (age < 2) return birthLength + age * 18;
  return Math.min(p.adultHeightCm, 86 + (age - 2) * ((p.adultHeightCm - 86) / 16));
}

/** Expected weight at an age: from BMI for adults, a growth curve for children. */
export function weightAt(p: ClinicalProfile, age: number): number {
  if (age >= 18) return p.bmi * (p.adultHeightCm / 100) ** 2;
  if (age < 1) return 3.3 + age * 6.5;
  if (age < 10) return 9.5 + (age - 1) * 2.6;
  return 33 + (age - 10) * ((p.bmi * (p.adultHeightCm / 100) ** 2 - 33) / 8);
}
