// Plans the obs of one encounter: 10 to 30 rows made of blocks a clinician would
// record together (a Vitals set, a diagnosis group, lab results, symptoms,
// notes), with values drawn around the patient's clinical profile. Some values
// are corrected afterwards the OpenMRS way: the old obs voided, a new one
// pointing at it through previous_version.
import { CONCEPTS, DIAGNOSIS_KEYS, SYMPTOM_KEYS } from './concepts.ts';
import type { ConceptKey } from './concepts.ts';
import { NOTE_COMPLAINTS, NOTE_FINDINGS, NOTE_OPENINGS, PLANS } from './names.ts';
import type { Draw, ObsPlan, PlanEnv } from './plan-types.ts';
import { ageYears } from './profile.ts';
import type { ClinicalProfile } from './profile.ts';
import { round } from './rng.ts';
import { addDays, sqlDate, sqlDatetime } from './sql-time.ts';
import { numericValue } from './vitals.ts';

export type EncounterKind = 'vitals' | 'visitNote' | 'labResults';

/** Rows of obs per encounter, group parents and corrections included. */
export const OBS_PER_ENCOUNTER = { min: 10, max: 30 } as const;
/** [min, max] rows per kind, within OBS_PER_ENCOUNTER: a Visit Note records far more than a Vitals check. */
export const OBS_TARGET: Record<EncounterKind, readonly [number, number]> = {
  vitals: [10, 16],
  visitNote: [16, 30],
  labResults: [10, 14],
};
/** A clinician records a few symptoms and diagnoses, not the whole list. */
const MAX_SYMPTOMS = 4;
const MAX_DIAGNOSES = 3;
/** Share of encounters (with room left) in which one value is corrected. */
export const OBS_CORRECTION_RATE = 0.06;
export const OBS_CORRECTION_REASON = 'Corrected value';

export interface ObsContext {
  env: PlanEnv;
  draw: Draw;
  profile: ClinicalProfile;
  at: Date;
  locationId: number;
  createdAt: string;
  /** When the encounter is voided, all its obs are voided with it. */
  voided?: { at: string; reason: string };
}

/** Per-encounter state: what was already recorded, so blocks do not repeat. */
interface Encounter extends ObsContext {
  age: number;
  febrile: boolean;
  used: Set<string>;
  diagnoses: Set<ConceptKey>;
  symptoms: Set<ConceptKey>;
}

type Value = { coded?: ConceptKey; numeric?: number; text?: string; datetime?: string };

/** OpenMRS's Obs.Interpretation for a value outside the concept's normal range; null inside it. */
function interpret(concept: ConceptKey, value: number | undefined): string | null {
  const range = CONCEPTS[concept].numeric;
  if (!range || value === undefined) return null;
  if (value < range.lowNormal) return 'LOW';
  return value > range.hiNormal ? 'HIGH' : null;
}

function obs(e: Encounter, concept: ConceptKey, v: Value, members: ObsPlan[] = []): ObsPlan {
  return {
    uuid: e.draw.uuid(),
    conceptId: e.env.meta.concept[concept],
    at: sqlDatetime(e.at),
    locationId: e.locationId,
    valueCoded: v.coded ? e.env.meta.concept[v.coded] : null,
    valueNumeric: v.numeric ?? null,
    valueText: v.text ?? null,
    valueDatetime: v.datetime ?? null,
    interpretation: interpret(concept, v.numeric),
    comments: null,
    audit: { createdAt: e.createdAt },
    members,
    correction: null,
  };
}

const num = (e: Encounter, concept: ConceptKey) => obs(e, concept, { numeric: numericValue(e.draw.rng, e.profile, concept, e.age, e.febrile) });
const size = (o: ObsPlan): number => 1 + o.members.reduce((s, m) => s + size(m), 0);

/** A block returns the obs it adds, or null when it does not fit in `room` rows or was already recorded. */
type Block = (e: Encounter, room: number) => ObsPlan[] | null;

function once(name: string, block: Block): Block {
  return (e, room) => {
    if (e.used.has(name)) return null;
    const out = block(e, room);
    if (out) e.used.add(name);
    return out;
  };
}

const vitalsSet: Block = (e, room) => {
  if (room < 4) return null;
  const child = e.age < 5;
  const keys: ConceptKey[] = child
    ? ['weight', 'height', 'temperature', 'pulse', 'respiratoryRate', 'muac', 'oxygenSaturation']
    : ['weight', 'temperature', 'systolic', 'diastolic', 'pulse', 'respiratoryRate', 'oxygenSaturation'];
  if (!child && e.draw.rng.chance(0.3)) keys.push('height');
  if (!child && e.draw.rng.chance(0.1)) keys.push('muac');
  const members = keys.slice(0, room - 1).map((k) => num(e, k));
  return [obs(e, 'vitals', {}, members)];
};

function pickDiagnosis(e: Encounter): ConceptKey | null {
  const p = e.profile;
  const weights: Array<[ConceptKey, number]> = DIAGNOSIS_KEYS.filter((k) => !e.diagnoses.has(k)).map((k) => {
    let w = 1;
    if (k === 'malaria' && e.febrile) w += 4;
    if ((k === 'urti' || k === 'pneumonia' || k === 'gastroenteritis') && e.age < 5) w += 3;
    if (k === 'hivDisease' && p.hivPositive) w += 8;
    if (k === 'hypertension' && p.hypertensive) w += 8;
    if (k === 'diabetes' && p.diabetic) w += 8;
    if (k === 'anaemia' && p.anaemic) w += 4;
    if (k === 'asthma' && p.asthmatic) w += 6;
    if ((k === 'hivDisease' && !p.hivPositive) || (k === 'diabetes' && !p.diabetic)) w = 0.1;
    return [k, w];
  });
  return weights.length === 0 ? null : e.draw.rng.weighted(weights);
}

const diagnosisGroup: Block = (e, room) => {
  if (room < 4 || e.diagnoses.size >= MAX_DIAGNOSES) return null;
  const dx = pickDiagnosis(e);
  if (!dx) return null;
  const members = [
    obs(e, 'codedDiagnosis', { coded: dx }),
    obs(e, 'diagnosisCertainty', { coded: e.draw.rng.chance(0.6) ? 'confirmed' : 'presumed' }),
    obs(e, 'diagnosisOrder', { coded: e.diagnoses.size === 0 ? 'primary' : 'secondary' }),
  ];
  e.diagnoses.add(dx);
  return [obs(e, 'visitDiagnoses', {}, members)];
};

function malariaResult(e: Encounter): ConceptKey {
  return e.draw.rng.chance(e.febrile ? 0.35 : 0.05) ? 'positive' : 'negative';
}

/** A lab panel (a set concept) with the members that fit; each panel once per encounter. */
function panel(set: 'haematology' | 'chemistry' | 'hivMonitoring'): Block {
  return once(set, (e, room) => {
    if (room < 2 || (set === 'hivMonitoring' && !e.profile.hivPositive)) return null;
    const { rng } = e.draw;
    const keys = CONCEPTS[set].setMembers as readonly ConceptKey[];
    const picked = keys.filter(() => rng.chance(0.8)).slice(0, room - 1);
    return [obs(e, set, {}, (picked.length > 0 ? picked : keys.slice(0, 1)).map((k) => num(e, k)))];
  });
}
const haematology = panel('haematology');
const chemistry = panel('chemistry');
const hivMonitoring = panel('hivMonitoring');

const symptom: Block = (e) => {
  // Fever is reported only in febrile encounters, so symptoms agree with the temperature.
  const left = SYMPTOM_KEYS.filter((k) => !e.symptoms.has(k) && (k !== 'fever' || e.febrile));
  if (left.length === 0 || e.symptoms.size >= MAX_SYMPTOMS) return null;
  const k = left.includes('fever') ? 'fever' : e.draw.rng.pick(left);
  e.symptoms.add(k);
  return [obs(e, 'symptom', { coded: k })];
};

const generalCondition = once('generalCondition', (e) => [
  obs(e, 'generalCondition', { coded: e.draw.rng.weighted<ConceptKey>([['good', 6], ['fair', 3], ['poor', 1]]) }),
]);

const hivTest = once('hivTest', (e) => {
  const r: ConceptKey = e.profile.hivPositive ? 'positive' : e.draw.rng.chance(0.01) ? 'indeterminate' : 'negative';
  return [obs(e, 'hivTest', { coded: r })];
});

const malariaTest = once('malariaTest', (e) => [obs(e, 'malariaTest', { coded: malariaResult(e) })]);

const pregnancy = once('pregnancy', (e) => {
  if (e.profile.gender !== 'F' || e.age < 15 || e.age > 49) return null;
  return [obs(e, 'pregnancyStatus', { coded: e.draw.rng.weighted<ConceptKey>([['no', 7], ['yes', 2], ['unknown', 1]]) })];
});

const clinicalNotes = once('clinicalNotes', (e) => {
  const { rng } = e.draw;
  const findings = rng.sample(NOTE_FINDINGS, rng.int(1, 3)).join(' ');
  const text = `${rng.pick(NOTE_OPENINGS)} ${rng.pick(NOTE_COMPLAINTS)} for ${rng.int(1, 14)} days. ${findings}`;
  return [obs(e, 'clinicalNotes', { text })];
});

const treatmentPlan = once('treatmentPlan', (e) => [obs(e, 'treatmentPlan', { text: e.draw.rng.pick(PLANS) })]);

const returnVisit = once('returnVisit', (e) => [
  obs(e, 'returnVisitDate', { datetime: `${sqlDate(addDays(e.at, e.draw.rng.pick([7, 14, 14, 28, 28, 30, 56, 90])))} 00:00:00` }),
]);

/** Always fits: a reading taken again, recorded outside any set (the padding when nothing else is left). */
function repeated(comment: string, keys: (e: Encounter) => ConceptKey[]): Block {
  return (e) => {
    const o = num(e, e.draw.rng.pick(keys(e)));
    o.comments = comment;
    return [o];
  };
}
const repeatReading = repeated('Repeat reading', (e) => (e.age < 5 ? ['temperature', 'pulse', 'respiratoryRate'] : ['temperature', 'systolic', 'pulse']));
const repeatTest = repeated('Repeat test', () => ['haemoglobin', 'glucose']);

const vitalsOnce = once('vitals', vitalsSet);

const MANDATORY: Record<EncounterKind, Block[]> = {
  vitals: [vitalsOnce],
  visitNote: [diagnosisGroup, clinicalNotes, treatmentPlan],
  labResults: [haematology, chemistry],
};

const FILL: Record<EncounterKind, ReadonlyArray<readonly [Block, number]>> = {
  vitals: [[symptom, 4], [generalCondition, 2], [pregnancy, 1], [clinicalNotes, 1], [repeatReading, 1]],
  visitNote: [[vitalsOnce, 3], [diagnosisGroup, 3], [symptom, 4], [generalCondition, 1], [returnVisit, 2], [hivTest, 1], [malariaTest, 1], [haematology, 1], [chemistry, 1], [pregnancy, 1]],
  labResults: [[hivMonitoring, 4], [hivTest, 2], [malariaTest, 2], [clinicalNotes, 1], [repeatTest, 1]],
};

/** What pads an encounter when its fill blocks are used up. */
const PADDING: Record<EncounterKind, Block> = { vitals: repeatReading, visitNote: repeatReading, labResults: repeatTest };

function conceptKeyOf(e: Encounter, conceptId: number): ConceptKey {
  const keys = Object.keys(CONCEPTS) as ConceptKey[];
  return keys.find((k) => e.env.meta.concept[k] === conceptId) as ConceptKey;
}

function leaves(list: ObsPlan[]): ObsPlan[] {
  return list.flatMap((o) => (o.members.length > 0 ? leaves(o.members) : [o]));
}

/** Voids one numeric value and records its corrected value, as OpenMRS's obs edit does. */
function correctOne(e: Encounter, list: ObsPlan[]): void {
  const numeric = leaves(list).filter((o) => o.valueNumeric !== null);
  if (numeric.length === 0) return;
  const { rng } = e.draw;
  const original = rng.pick(numeric);
  const at = sqlDatetime(new Date(Math.min(e.env.endAt.getTime(), e.at.getTime() + rng.int(10, 2880) * 60_000)));
  original.audit.voided = { at, reason: OBS_CORRECTION_REASON };
  // A misread or mistyped value: off by a few units of its last digit.
  const value = original.valueNumeric as number;
  const unit = Number.isInteger(value) ? Math.max(1, Math.round(value * 0.02)) : 0.1;
  const delta = rng.int(1, 4) * unit;
  const corrected = round(value >= delta && rng.chance(0.5) ? value - delta : value + delta, 1);
  original.correction = {
    ...original,
    uuid: e.draw.uuid(),
    valueNumeric: corrected,
    interpretation: interpret(conceptKeyOf(e, original.conceptId), corrected),
    comments: null,
    audit: { createdAt: at },
    members: [],
    correction: null,
  };
}

function voidAll(list: ObsPlan[], voided: NonNullable<ObsContext['voided']>): void {
  for (const o of list) {
    if (!o.audit.voided) o.audit.voided = voided;
    voidAll(o.members, voided);
    if (o.correction) voidAll([o.correction], voided);
  }
}

export function planEncounterObs(ctx: ObsContext, kind: EncounterKind): ObsPlan[] {
  const { rng } = ctx.draw;
  const e: Encounter = { ...ctx, age: ageYears(ctx.profile.birthdate, ctx.at), febrile: rng.chance(0.25), used: new Set(), diagnoses: new Set(), symptoms: new Set() };
  const target = rng.int(...OBS_TARGET[kind]);
  const out: ObsPlan[] = [];
  let room = target;
  const add = (list: ObsPlan[]) => {
    out.push(...list);
    room -= list.reduce((s, o) => s + size(o), 0);
  };
  for (const block of MANDATORY[kind]) add(block(e, room) ?? []);
  while (room > 0) add(rng.weighted(FILL[kind])(e, room) ?? (PADDING[kind](e, room) as ObsPlan[]));
  if (ctx.voided) voidAll(out, ctx.voided);
  else if (target < OBS_PER_ENCOUNTER.max && rng.chance(OBS_CORRECTION_RATE)) correctOne(e, out);
  return out;
}
