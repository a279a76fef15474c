// One concept of the seed's dictionary, and the helpers that define them.
import type { ConceptClassKey, DatatypeKey } from './metadata.ts';
import { metadataUuid } from './uuid.ts';

export interface NumericRange {
  units: string;
  /** Normal range; values outside it get an obs interpretation of LOW or HIGH. */
  lowNormal: number;
  hiNormal: number;
  /** Places kept after the decimal point. */
  decimals: number;
}

export interface ConceptItem {
  /** Fixed forever: the uuid is derived from it. */
  key: string;
  uuid: string;
  name: string;
  shortName: string | null;
  description: string;
  datatype: DatatypeKey;
  conceptClass: ConceptClassKey;
  /** Property names (in CONCEPTS) of the members, for a set. */
  setMembers: readonly string[];
  /** Property names (in CONCEPTS) of the allowed answers, for a coded question. */
  answers: readonly string[];
  numeric: NumericRange | null;
}

export function concept(
  key: string,
  name: string,
  datatype: DatatypeKey,
  conceptClass: ConceptClassKey,
  more: Partial<Pick<ConceptItem, 'shortName' | 'description' | 'setMembers' | 'answers' | 'numeric'>> = {},
): ConceptItem {
  return {
    key,
    uuid: metadataUuid('concept', key),
    name,
    shortName: more.shortName ?? null,
    description: more.description ?? name,
    datatype,
    conceptClass,
    setMembers: more.setMembers ?? [],
    answers: more.answers ?? [],
    numeric: more.numeric ?? null,
  };
}

export const answer = (key: string, name: string, cls: ConceptClassKey = 'misc') => concept(key, name, 'na', cls);
export const num = (key: string, name: string, shortName: string, numeric: NumericRange) =>
  concept(key, name, 'numeric', 'test', { shortName, numeric });

