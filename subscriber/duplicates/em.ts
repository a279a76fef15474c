// Estimating u (and the share of matches) from the data by expectation-maximisation over the
// pairs the blocks produce (Fellegi-Sunter with conditional independence, as OpenMRS's
// patientmatching module does). Opt-in (`scan --estimate`). m is held at the defaults (or
// --weights): estimated too, EM settled on another split than "same person or not" on the
// generated population (a match share of 0.16 of the blocked pairs where 0.12 were, weights that
// reward a different birth year; precision 0.68 at 6,600 patients). With m held, the share comes
// out right (0.0063 of 2.3 million blocked pairs at 150,000 patients, 0.0059 true), but recall
// there is 0.898 (precision 0.973), under the defaults' 0.962: hence opt-in. The estimate is
// printed so it can be checked and kept as a --weights file. Pairs are counted by their pattern of
// levels (a few hundred to a few thousand patterns for millions of pairs): iterations are cheap.
import type { Blocks } from './blocking.ts';
import { forEachCandidatePair } from './blocking.ts';
import { comparePair } from './compare.ts';
import type { MatchRecord } from './record.ts';
import type { FieldName, Level, MuTable, WeightTable } from './weights.ts';

export const FIELDS: readonly FieldName[] = ['given', 'family', 'birthdate', 'gender', 'city', 'address1', 'phone'];

export interface Estimate {
  mu: MuTable;
  /** The estimated share of compared pairs that are one person. */
  matchShare: number;
  iterations: number;
  /** Distinct patterns of levels the pairs showed. */
  patterns: number;
}

/** Counts the compared pairs by their pattern of levels ('exact,close,swapped,agree,missing,...'). */
export function countPatterns(records: readonly MatchRecord[], blocks: Blocks, weights: WeightTable): Map<string, number> {
  const counts = new Map<string, number>();
  forEachCandidatePair(blocks, (i, j) => {
    const c = comparePair(records[i], records[j], weights);
    const key = FIELDS.map((f) => c.levels[f]).join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return counts;
}

type Probabilities = Record<FieldName, Map<Level, number>>;

const SMOOTHING = 1e-4;

function fromTable(mu: MuTable, side: 0 | 1): Probabilities {
  const out = {} as Probabilities;
  for (const f of FIELDS) {
    const entries = Object.entries(mu[f]) as Array<[Level, readonly [number, number]]>;
    const total = entries.reduce((s, [, p]) => s + p[side], 0);
    out[f] = new Map(entries.map(([l, p]) => [l, p[side] / total]));
  }
  return out;
}

/** One EM iteration: the new m, u and match share from the current ones. */
function iterate(patterns: Array<[Level[], number]>, m: Probabilities, u: Probabilities, p: number): { m: Probabilities; u: Probabilities; p: number } {
  const am = {} as Record<FieldName, Map<Level, number>>;
  const au = {} as Record<FieldName, Map<Level, number>>;
  for (const f of FIELDS) [am[f], au[f]] = [new Map([...m[f].keys()].map((l) => [l, SMOOTHING])), new Map([...u[f].keys()].map((l) => [l, SMOOTHING]))];
  let matched = 0;
  let total = 0;
  for (const [levels, count] of patterns) {
    let lm = p;
    let lu = 1 - p;
    levels.forEach((l, k) => {
      if (l === 'missing') return;
      lm *= m[FIELDS[k]].get(l) ?? SMOOTHING;
      lu *= u[FIELDS[k]].get(l) ?? SMOOTHING;
    });
    const g = lm / (lm + lu);
    matched += g * count;
    total += count;
    levels.forEach((l, k) => {
      if (l === 'missing' || !am[FIELDS[k]].has(l)) return;
      am[FIELDS[k]].set(l, am[FIELDS[k]].get(l)! + g * count);
      au[FIELDS[k]].set(l, au[FIELDS[k]].get(l)! + (1 - g) * count);
    });
  }
  const normalise = (a: Map<Level, number>) => {
    const s = [...a.values()].reduce((x, y) => x + y, 0);
    return new Map([...a].map(([l, v]) => [l, v / s]));
  };
  for (const f of FIELDS) [am[f], au[f]] = [normalise(am[f]), normalise(au[f])];
  // m stays as given: estimated too, it drifts to another split than same-or-not (see estimateMu).
  return { m, u: au, p: Math.min(0.5, Math.max(1e-7, matched / Math.max(1, total))) };
}

/** EM from `init` (m held, u as the starting point), until the match share settles. */
export function estimateMu(counts: ReadonlyMap<string, number>, init: MuTable, maxIterations = 200): Estimate {
  const patterns = [...counts].map(([k, n]) => [k.split(',') as Level[], n] as [Level[], number]);
  let m = fromTable(init, 0);
  let u = fromTable(init, 1);
  let p = 0.01;
  let i = 0;
  for (; i < maxIterations; i++) {
    const next = iterate(patterns, m, u, p);
    const settled = Math.abs(next.p - p) < 1e-9;
    [m, u, p] = [next.m, next.u, next.p];
    if (settled) break;
  }
  const mu = {} as MuTable;
  for (const f of FIELDS) {
    mu[f] = {};
    for (const l of m[f].keys()) mu[f][l] = [Math.min(0.999999, Math.max(1e-6, m[f].get(l)!)), Math.min(0.999999, Math.max(1e-6, u[f].get(l)!))];
  }
  return { mu, matchShare: p, iterations: i + 1, patterns: patterns.length };
}

/** Where a pair's posterior probability of being one person passes one half: log2((1 - p) / p). */
export function estimatedThreshold(matchShare: number): number {
  return Math.round(Math.log2((1 - matchShare) / matchShare) * 100) / 100;
}
