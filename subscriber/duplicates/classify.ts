// From a comparison to a candidate: certain, probable or nothing, with the reasons a reviewer
// (and the table) keeps. Certain is exact and needs no score: the same value of the same
// identifier type on two different patients. Probable is a score at or above the threshold.
import type { Comparison } from './compare.ts';

export type MatchClass = 'certain' | 'probable';

export interface MatchSettings {
  /** Score at or above which a pair is probable (default weights.ts autoProbableAt). */
  probableAt: number;
}

/** What a candidate records about why: field levels, never values. */
export interface Reasons {
  levels: Comparison['levels'];
  swappedNames: boolean;
  /** patient_identifier_type ids shared with the same value (certain matches only). */
  identifierTypes: number[];
}

export function classify(c: Comparison, s: MatchSettings): MatchClass | null {
  if (c.sharedIdentifierTypes.length > 0) return 'certain';
  return c.score >= s.probableAt ? 'probable' : null;
}

export function reasonsOf(c: Comparison): Reasons {
  return { levels: c.levels, swappedNames: c.swappedNames, identifierTypes: c.sharedIdentifierTypes };
}

/** One line for a terminal: "given exact, family close, birthdate swapped, ..." (levels only). */
export function describeReasons(r: Reasons): string {
  const parts = Object.entries(r.levels).filter(([, l]) => l !== 'missing').map(([f, l]) => `${f} ${l}`);
  if (r.swappedNames) parts.push('names swapped');
  if (r.identifierTypes.length > 0) parts.push(`same identifier (type ${r.identifierTypes.join(', ')})`);
  return parts.join(', ');
}
