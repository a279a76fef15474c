// Numeric values for vitals and labs, drawn around a patient's clinical
// profile, so a hypertensive adult's blood pressure runs high at every visit
// and a child's pulse is faster than an adult's. Rounded to each concept's
// precision (concepts.ts).
import { CONCEPTS } from './concepts.ts';
import type { ConceptKey } from './concepts.ts';
import { heightAt, weightAt } from './profile.ts';
import type { ClinicalProfile } from './profile.ts';
import { clamp, round } from './rng.ts';
import type { Rng } from './rng.ts';

type Draw = (rng: Rng, p: ClinicalProfile, age: number, febrile: boolean) => number;

/** Log-uniform: viral loads and counts spread over orders of magnitude. */
function logUniform(rng: Rng, min: number, max: number): number {
  return Math.exp(Math.log(min) + rng.next() * (Math.log(max) - Math.log(min)));
}

function systolic(rng: Rng, p: ClinicalProfile, age: number): number {
  const base = age < 13 ? 100 : 112 + Math.max(0, age - 30) * 0.5 + (p.hypertensive ? 30 : 0);
  return clamp(rng.normal(base, 11), 70, 230);
}

const DRAWS: Partial<Record<ConceptKey, Draw>> = {
  weight: (rng, p, age) => clamp(weightAt(p, age) * rng.normal(1, 0.03), 1.5, 200),
  height: (rng, p, age) => clamp(heightAt(p, age) + rng.normal(0, 1), 45, 210),
  temperature: (rng, _p, _age, febrile) => (febrile ? rng.float(37.8, 40.2) : clamp(rng.normal(36.7, 0.3), 35.5, 37.6)),
  systolic: (rng, p, age) => systolic(rng, p, age),
  diastolic: (rng, p, age) => clamp(systolic(rng, p, age) * 0.64 + rng.normal(0, 5), 40, 140),
  pulse: (rng, _p, age, febrile) => clamp(rng.normal(age < 5 ? 115 : age < 13 ? 95 : 76, 10) + (febrile ? 15 : 0), 40, 190),
  respiratoryRate: (rng, _p, age, febrile) => clamp(rng.normal(age < 5 ? 30 : age < 13 ? 22 : 16, 3) + (febrile ? 4 : 0), 8, 60),
  oxygenSaturation: (rng) => clamp(rng.normal(97.5, 1.5), 82, 100),
  muac: (rng, p, age) => clamp(age < 5 ? rng.normal(14.5, 1.3) : rng.normal(22 + p.bmi * 0.25, 2), 9, 45),
  cd4: (rng, p) => (p.hivPositive ? logUniform(rng, 40, 1100) : rng.normal(850, 200)),
  haemoglobin: (rng, p) => clamp(p.anaemic ? rng.normal(8.8, 1.2) : rng.normal(p.gender === 'F' ? 12.8 : 14.2, 1.1), 3.5, 19),
  glucose: (rng, p) => clamp(p.diabetic ? rng.normal(10.5, 3) : rng.normal(5.3, 0.8), 2.2, 30),
  wbc: (rng, _p, _age, febrile) => clamp(febrile ? rng.normal(12, 3) : rng.normal(6.8, 1.6), 1.5, 35),
  platelets: (rng) => clamp(rng.normal(260, 60), 40, 700),
  creatinine: (rng, p, age) => clamp(rng.normal(age < 13 ? 40 : p.gender === 'F' ? 70 : 85, 14) + (p.diabetic || p.hypertensive ? 20 : 0), 15, 600),
  alt: (rng) => clamp(logUniform(rng, 10, 80), 4, 900),
  esr: (rng, _p, _age, febrile) => clamp(logUniform(rng, 2, febrile ? 90 : 30), 1, 140),
  sodium: (rng) => clamp(rng.normal(139, 3), 120, 160),
  potassium: (rng) => clamp(rng.normal(4.2, 0.4), 2.5, 6.5),
  // Most treated patients are suppressed; labs report those as below 50 copies/mL.
  viralLoad: (rng) => (rng.chance(0.65) ? rng.int(0, 49) : logUniform(rng, 50, 250_000)),
};

export function numericValue(rng: Rng, profile: ClinicalProfile, concept: ConceptKey, age: number, febrile: boolean): number {
  const draw = DRAWS[concept];
  const range = CONCEPTS[concept].numeric;
  if (!draw || !range) throw new Error(`concept ${concept} has no numeric values`);
  return round(draw(rng, profile, age, febrile), range.decimals);
}
