// Identifier values held by many patients are not anyone's identifier: "0", "N/A", "UNKNOWN", a
// clinic's default typed into every record. The same value on two patients is a certain match
// only if few patients hold it; a value held by more than maxIdentifierShare patients is dropped
// from the records before blocking and comparing (otherwise 500 records holding "0" would make
// 124,750 certain pairs), and reported as a count, never as the value.
import type { MatchRecord } from './record.ts';

/** Patients that may share one identifier value before it counts as a placeholder. Default 5. */
export const DEFAULT_MAX_IDENTIFIER_SHARE = 5;

/** How many patients hold each identifier key (type:value), over these records. */
export function identifierCounts(records: readonly MatchRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) for (const k of r.identifiers) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

/**
 * Removes placeholder identifier keys from the records (in place); returns how many distinct
 * values were dropped.
 */
export function dropPlaceholders(records: MatchRecord[], counts: ReadonlyMap<string, number>, maxShare: number): number {
  const dropped = new Set<string>();
  for (const r of records) {
    if (!r.identifiers.some((k) => (counts.get(k) ?? 0) > maxShare)) continue;
    r.identifiers = r.identifiers.filter((k) => {
      const many = (counts.get(k) ?? 0) > maxShare;
      if (many) dropped.add(k);
      return !many;
    });
  }
  return dropped.size;
}
