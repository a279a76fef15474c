// Fellegi-Sunter weights. For each field and each level of agreement, m is the probability of
// that level when the two records are the same person and u when they are two different people;
// the level adds log2(m / u) to the pair's score (positive when it is likelier among duplicates).
// A field missing on either side adds 0. These are documented defaults, not EM estimates: set by
// reasoning about how often clinics mistype each field and how common values are, then checked on
// the generated populations of test/duplicates-accuracy.test.ts and the bench. The u values are
// for two patients picked at random (not for pairs that share a block), which is why the
// threshold grows with the register (autoProbableAt). A site overrides any of them with
// `atomsync duplicates scan --weights FILE` (JSON of the same shape) and the threshold with
// --probable-at.

export type FieldName = 'given' | 'family' | 'birthdate' | 'gender' | 'city' | 'address1' | 'phone';
export type Level = 'exact' | 'nickname' | 'close' | 'fuzzy' | 'swapped' | 'near' | 'estimated' | 'year' | 'agree' | 'disagree' | 'missing';

/** [m, u] per level, per field. */
export type MuTable = Record<FieldName, Partial<Record<Level, readonly [number, number]>>>;

export const DEFAULT_MU: MuTable = {
  // Names: exact after normalisation; a table nickname; Jaro-Winkler >= 0.92 (close) or >= 0.85 (fuzzy).
  given: { exact: [0.8, 0.01], nickname: [0.05, 0.002], close: [0.08, 0.004], fuzzy: [0.03, 0.02], disagree: [0.04, 0.964] },
  family: { exact: [0.85, 0.01], close: [0.08, 0.004], fuzzy: [0.03, 0.02], disagree: [0.04, 0.966] },
  // Birth date: exact; day and month swapped; one digit off or two adjacent digits transposed
  // (near); either estimated and within 2 years (estimated); the same year only.
  birthdate: { exact: [0.75, 0.0004], swapped: [0.04, 0.0002], near: [0.07, 0.002], estimated: [0.05, 0.01], year: [0.04, 0.03], disagree: [0.05, 0.9674] },
  gender: { agree: [0.98, 0.5], disagree: [0.02, 0.5] },
  // Address: the city or village (Jaro-Winkler >= 0.9) and address1 (at most 2 edits); people move.
  city: { agree: [0.75, 0.05], disagree: [0.25, 0.95] },
  address1: { agree: [0.5, 0.002], disagree: [0.5, 0.998] },
  // A telephone number shared is strong evidence; a different one is weak (numbers change).
  phone: { agree: [0.6, 0.0002], disagree: [0.4, 0.9998] },
};

/**
 * The default threshold for probable, in log2 units: log2 of the number of patients scanned, and
 * at least 12. The prior odds that two patients picked at random are one person fall as 1/N, so a
 * pair needs about log2(N) bits of evidence before it is likelier a duplicate than a coincidence
 * (two of 150,000 people sharing a common name and a birth year). Checked on generated
 * populations of 6,600 and 150,000 (README, Duplicate patients); `--probable-at` sets a fixed one.
 */
export function autoProbableAt(patients: number): number {
  return Math.max(MIN_AUTO_PROBABLE_AT, Math.round(Math.log2(Math.max(2, patients)) * 10) / 10);
}

export const MIN_AUTO_PROBABLE_AT = 12;

export type WeightTable = Record<FieldName, Partial<Record<Level, number>>>;

export function weightTable(mu: MuTable): WeightTable {
  const out = {} as WeightTable;
  for (const [field, levels] of Object.entries(mu) as Array<[FieldName, MuTable[FieldName]]>) {
    out[field] = {};
    for (const [level, pair] of Object.entries(levels) as Array<[Level, readonly [number, number]]>) {
      out[field][level] = Math.log2(pair[0] / pair[1]);
    }
  }
  return out;
}

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** The defaults with a site's overrides laid over them; every m and u must be in (0, 1). */
export function mergeMu(overrides: unknown): MuTable {
  const out = structuredClone(DEFAULT_MU) as MuTable;
  if (overrides === undefined || overrides === null) return out;
  if (typeof overrides !== 'object') throw new WeightsError('weights must be a JSON object {field: {level: [m, u]}}');
  for (const [field, levels] of Object.entries(overrides as Record<string, unknown>)) {
    if (!(field in out)) throw new WeightsError(`unknown field "${field}" (fields: ${Object.keys(out).join(', ')})`);
    for (const [level, pair] of Object.entries((levels ?? {}) as Record<string, unknown>)) {
      if (!(level in out[field as FieldName])) throw new WeightsError(`unknown level "${level}" for ${field} (levels: ${Object.keys(out[field as FieldName]).join(', ')})`);
      const ok = Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === 'number' && x > 0 && x < 1);
      if (!ok) throw new WeightsError(`${field}.${level} must be [m, u], two numbers between 0 and 1`);
      out[field as FieldName][level as Level] = [pair[0] as number, pair[1] as number];
    }
  }
  return out;
}
