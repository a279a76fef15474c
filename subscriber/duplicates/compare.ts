// Field-by-field comparison of two patients and their Fellegi-Sunter score. Pure: records in,
// levels and a score out. The levels (not the values) are what a candidate pair records, so the
// reasons stored and shown in lists name no patient's name or identifier.
import { areNicknames } from './nicknames.ts';
import type { MatchName, MatchRecord } from './record.ts';
import { jaroWinkler, levenshtein } from './strings.ts';
import type { FieldName, Level, WeightTable } from './weights.ts';

export interface Comparison {
  score: number;
  levels: Record<FieldName, Level>;
  /** The given and family names matched crosswise (one clinic wrote them the other way round). */
  swappedNames: boolean;
  /** Identifier types (ids) on which the two hold the same value: a certain match. */
  sharedIdentifierTypes: number[];
}

export function nameLevel(a: string, b: string, nicknames: boolean): Level {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  if (nicknames && areNicknames(a, b)) return 'nickname';
  const jw = jaroWinkler(a, b);
  return jw >= 0.92 ? 'close' : jw >= 0.85 ? 'fuzzy' : 'disagree';
}

const digits = (d: string) => d.replace(/-/g, '');

/** Two equal-length digit strings that differ by one adjacent transposition ("1985" / "1958"). */
function adjacentSwap(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

export function birthdateLevel(a: string, aEstimated: boolean, b: string, bEstimated: boolean): Level {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  const [ya, ma, da] = a.split('-');
  const [yb, mb, db] = b.split('-');
  if (ya === yb && ma === db && da === mb) return 'swapped';
  const x = digits(a);
  const y = digits(b);
  if (levenshtein(x, y) <= 1 || adjacentSwap(x, y)) return 'near';
  if ((aEstimated || bEstimated) && Math.abs(Number(ya) - Number(yb)) <= 2) return 'estimated';
  return ya === yb ? 'year' : 'disagree';
}

function simpleLevel(a: string, b: string, agree: (a: string, b: string) => boolean): Level {
  if (!a || !b) return 'missing';
  return agree(a, b) ? 'agree' : 'disagree';
}

function phoneLevel(a: string[], b: string[]): Level {
  if (a.length === 0 || b.length === 0) return 'missing';
  return a.some((p) => b.includes(p)) ? 'agree' : 'disagree';
}

const w = (t: WeightTable, f: FieldName, l: Level) => (l === 'missing' ? 0 : (t[f][l] ?? 0));

/** The best agreement of two names, straight or with given and family crossed. */
function bestNames(a: MatchName, b: MatchName, t: WeightTable): { given: Level; family: Level; weight: number; swapped: boolean } {
  const g = nameLevel(a.given, b.given, true);
  const f = nameLevel(a.family, b.family, false);
  const straight = w(t, 'given', g) + w(t, 'family', f);
  const sg = nameLevel(a.given, b.family, true);
  const sf = nameLevel(a.family, b.given, false);
  const crossed = w(t, 'given', sg) + w(t, 'family', sf);
  // Crossed only when it explains strictly more: two people both called "Kato Kato" stay straight.
  if (crossed > straight + 1) return { given: sg, family: sf, weight: crossed, swapped: true };
  return { given: g, family: f, weight: straight, swapped: false };
}

export function sharedIdentifierTypes(a: MatchRecord, b: MatchRecord): number[] {
  if (a.identifiers.length === 0 || b.identifiers.length === 0) return [];
  const types = new Set<number>();
  for (const k of a.identifiers) if (b.identifiers.includes(k)) types.add(parseInt(k, 10));
  return [...types].sort((x, y) => x - y);
}

export function comparePair(a: MatchRecord, b: MatchRecord, t: WeightTable): Comparison {
  let names = { given: 'missing' as Level, family: 'missing' as Level, weight: 0, swapped: false };
  let first = true;
  for (const na of a.names.slice(0, 3)) {
    for (const nb of b.names.slice(0, 3)) {
      const n = bestNames(na, nb, t);
      if (first || n.weight > names.weight) names = n;
      first = false;
    }
  }
  const city = simpleLevel(a.city, b.city, (x, y) => x === y || jaroWinkler(x, y) >= 0.9);
  const levels: Record<FieldName, Level> = {
    given: names.given,
    family: names.family,
    birthdate: birthdateLevel(a.birthdate, a.birthdateEstimated, b.birthdate, b.birthdateEstimated),
    gender: simpleLevel(a.gender, b.gender, (x, y) => x === y),
    city,
    // "Plot 12" says nothing in another town: address1 counts only where the cities do not
    // disagree, and only equal (a house number one digit off is another house).
    address1: city === 'disagree' ? 'missing' : simpleLevel(a.address1, b.address1, (x, y) => x === y),
    phone: phoneLevel(a.phones, b.phones),
  };
  let score = names.weight;
  for (const f of ['birthdate', 'gender', 'city', 'address1', 'phone'] as const) score += w(t, f, levels[f]);
  return { score: Math.round(score * 100) / 100, levels, swappedNames: names.swapped, sharedIdentifierTypes: sharedIdentifierTypes(a, b) };
}
