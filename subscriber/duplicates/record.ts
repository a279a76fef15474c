// One patient as the matcher sees it: every field already normalised, so a comparison does no
// string clean-up of its own (a scan compares millions of pairs). Never logged: it holds names.
import { normaliseName, normalisePhone, normaliseText } from './strings.ts';

export interface MatchName {
  given: string;
  middle: string;
  family: string;
}

export interface MatchRecord {
  /** person_id of this database. */
  id: number;
  uuid: string;
  /** Non-voided names, the preferred one first. */
  names: MatchName[];
  /** 'M', 'F', another code as stored upper-cased, or '' when unknown (empty or 'U'). */
  gender: string;
  /** 'YYYY-MM-DD' or ''. */
  birthdate: string;
  birthdateEstimated: boolean;
  city: string;
  address1: string;
  /** Last 9 digits of each telephone number attribute. */
  phones: string[];
  /**
   * `${identifier_type}:${identifier}` of each non-voided identifier (trimmed, upper case); for a
   * type unique per location only, `${identifier_type}@${location_id}:${identifier}`.
   */
  identifiers: string[];
}

/** The raw columns one patient comes with, before normalisation. */
export interface RawPerson {
  id: number;
  uuid: string;
  gender: string | null;
  birthdate: string | null;
  birthdateEstimated: boolean;
  names: Array<{ given: string | null; middle: string | null; family: string | null }>;
  addresses: Array<{ city: string | null; address1: string | null }>;
  phones: string[];
  /** location: set for a type whose values are unique at one location only. */
  identifiers: Array<{ type: number; value: string; location?: number }>;
}

export function identifierKey(type: number, value: string, location?: number): string {
  return `${type}${location === undefined ? '' : `@${location}`}:${value.trim().toUpperCase()}`;
}

/** 'M', 'F', 'O'...; OpenMRS's 'U' (unknown) is no value, not a disagreement with 'M'. */
function genderOf(g: string | null): string {
  const v = (g ?? '').trim().toUpperCase().slice(0, 1);
  return v === 'U' ? '' : v;
}

export function toMatchRecord(p: RawPerson): MatchRecord {
  const names = p.names
    .map((n) => ({ given: normaliseName(n.given), middle: normaliseName(n.middle), family: normaliseName(n.family) }))
    .filter((n) => n.given || n.family);
  const address = p.addresses.find((a) => a.city || a.address1);
  return {
    id: p.id,
    uuid: p.uuid,
    names,
    gender: genderOf(p.gender),
    birthdate: p.birthdate ?? '',
    birthdateEstimated: p.birthdateEstimated,
    city: normaliseText(address?.city),
    address1: normaliseText(address?.address1),
    phones: [...new Set(p.phones.map(normalisePhone).filter(Boolean))],
    identifiers: [...new Set(p.identifiers.filter((i) => i.value.trim()).map((i) => identifierKey(i.type, i.value, i.location)))],
  };
}
