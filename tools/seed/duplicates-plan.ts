// Plans a population with known duplicates: people, some registered twice with realistic errors,
// and the truth (which pairs of patient uuids are one person, and which of them share an
// identifier). Pure: the same seed gives the same population.
import { Rng } from './rng.ts';
import { familyName, givenName } from './duplicates-names.ts';
import { digitSlip, estimatedDate, nickname, reformat, swapDayMonth, typo } from './duplicates-errors.ts';
import { VILLAGES, STREET_PREFIXES } from './names.ts';
import { nameUuid } from './uuid.ts';

export interface PlannedPatient {
  uuid: string;
  given: string;
  family: string;
  gender: 'M' | 'F' | null;
  birthdate: string | null;
  estimated: boolean;
  city: string | null;
  address1: string | null;
  phone: string | null;
  /** The registering clinic's own number: different at each registration. */
  clinicId: string;
  /** A national id, the same wherever the person shows it. */
  nationalId: string | null;
}

export interface TruePair {
  a: string;
  b: string;
  /** Both registrations carry the same national id: a certain match. */
  sameIdentifier: boolean;
}

export interface PopulationOptions {
  /** Distinct people. */
  people: number;
  /** Share of them registered a second time. Default 0.1. */
  duplicateShare?: number;
  /** Share of the duplicates whose two registrations carry the same national id. Default 0.2. */
  sameIdentifierShare?: number;
  seed?: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

function person(rng: Rng, seed: string, i: number): PlannedPatient {
  const gender = rng.chance(0.5) ? 'M' : 'F';
  const estimated = rng.chance(0.1);
  const year = rng.int(1935, 2024);
  const birthdate = estimated ? `${year}-01-01` : `${year}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
  return {
    uuid: nameUuid(`${seed}:person:${i}`),
    given: givenName(rng, gender),
    family: familyName(rng),
    gender,
    birthdate,
    estimated,
    city: rng.chance(0.9) ? rng.pick(VILLAGES) : null,
    address1: rng.chance(0.6) ? `${rng.pick(STREET_PREFIXES)} ${rng.int(1, 900)}` : null,
    phone: rng.chance(0.5) ? `07${String(rng.int(0, 99_999_999)).padStart(8, '0')}` : null,
    clinicId: `A${String(i).padStart(7, '0')}`,
    nationalId: rng.chance(0.3) ? String(20_000_000 + i) : null,
  };
}

function mutateNames(rng: Rng, p: PlannedPatient): void {
  const nick = rng.chance(0.08) ? nickname(rng, p.given) : null;
  if (nick) p.given = nick;
  if (rng.chance(0.15)) p.given = typo(rng, p.given);
  if (rng.chance(0.15)) p.family = typo(rng, p.family);
  if (rng.chance(0.05)) [p.given, p.family] = [p.family, p.given];
  if (rng.chance(0.1)) p.given = reformat(rng, p.given);
  if (rng.chance(0.1)) p.family = reformat(rng, p.family);
}

function mutateDetails(rng: Rng, p: PlannedPatient, original: PlannedPatient): void {
  const d = p.birthdate!;
  const r = rng.next();
  if (r < 0.05) p.birthdate = swapDayMonth(d) ?? d;
  else if (r < 0.1) p.birthdate = digitSlip(rng, d);
  else if (r < 0.15) [p.birthdate, p.estimated] = [estimatedDate(rng, d), true];
  else if (r < 0.18) p.birthdate = null;
  if (rng.chance(0.02)) p.gender = null;
  if (rng.chance(0.25)) p.city = rng.pick(VILLAGES);
  if (rng.chance(0.15)) [p.city, p.address1] = [null, null];
  else if (rng.chance(0.3)) p.address1 = null;
  const ph = rng.next();
  if (ph < 0.2) p.phone = original.phone ? `07${String(rng.int(0, 99_999_999)).padStart(8, '0')}` : null;
  else if (ph < 0.4) p.phone = null;
}

/** The second registration of `original` at another clinic, with its errors. */
export function duplicateOf(rng: Rng, original: PlannedPatient, uuid: string, clinicId: string, sameIdentifier: boolean): PlannedPatient {
  const p: PlannedPatient = { ...original, uuid, clinicId };
  mutateNames(rng, p);
  mutateDetails(rng, p, original);
  // The national id is the same when shown (a certain match); otherwise only one clinic took it.
  p.nationalId = sameIdentifier ? original.nationalId ?? String(60_000_000 + Number(clinicId.slice(1))) : null;
  return p;
}

export function planPopulation(o: PopulationOptions): { patients: PlannedPatient[]; truth: TruePair[] } {
  const seed = o.seed ?? 'duplicates';
  const patients: PlannedPatient[] = [];
  const truth: TruePair[] = [];
  for (let i = 0; i < o.people; i++) patients.push(person(Rng.from(seed, 'person', i), seed, i));
  const twice = Math.round(o.people * (o.duplicateShare ?? 0.1));
  const rng = Rng.from(seed, 'duplicates');
  for (const [k, idx] of rng.sample([...Array(o.people).keys()], twice).entries()) {
    const original = patients[idx];
    const same = rng.chance(o.sameIdentifierShare ?? 0.2);
    if (same && !original.nationalId) original.nationalId = String(60_000_000 + o.people + k);
    const dup = duplicateOf(rng.fork(k), original, nameUuid(`${seed}:duplicate:${k}`), `B${String(k).padStart(7, '0')}`, same);
    patients.push(dup);
    truth.push({ a: original.uuid, b: dup.uuid, sameIdentifier: same });
  }
  return { patients, truth };
}
