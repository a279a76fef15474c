// The matcher's pure parts: comparators, normalisation, field levels, the score and blocking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jaro, jaroWinkler, levenshtein, normaliseName, normalisePhone, soundex } from '../subscriber/duplicates/strings.ts';
import { areNicknames } from '../subscriber/duplicates/nicknames.ts';
import { birthdateLevel, comparePair, nameLevel } from '../subscriber/duplicates/compare.ts';
import { classify } from '../subscriber/duplicates/classify.ts';
import { toMatchRecord } from '../subscriber/duplicates/record.ts';
import type { RawPerson } from '../subscriber/duplicates/record.ts';
import { DEFAULT_MU, WeightsError, autoProbableAt, mergeMu, weightTable } from '../subscriber/duplicates/weights.ts';
import { blockKeys, buildBlocks, forEachCandidatePair } from '../subscriber/duplicates/blocking.ts';
import { dropPlaceholders, identifierCounts } from '../subscriber/duplicates/placeholders.ts';
import { estimateMu, estimatedThreshold } from '../subscriber/duplicates/em.ts';

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 0.001, `${a} != ${b}`);

test('Levenshtein counts edits', () => {
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(levenshtein('otieno', 'otieno'), 0);
  assert.equal(levenshtein('otieno', 'oteino'), 2);
});

test('Jaro and Jaro-Winkler give the published values', () => {
  near(jaro('martha', 'marhta'), 0.944);
  near(jaroWinkler('martha', 'marhta'), 0.961);
  near(jaroWinkler('dwayne', 'duane'), 0.84);
  near(jaroWinkler('dixon', 'dicksonx'), 0.813);
  assert.equal(jaroWinkler('', ''), 0);
  assert.equal(jaroWinkler('abc', 'abc'), 1);
});

test('names are normalised: case, accents, spaces and hyphens', () => {
  assert.equal(normaliseName('  Mary-Jane '), 'maryjane');
  assert.equal(normaliseName('Ngʼang’a'), 'nganga');
  assert.equal(normaliseName('Éloïse'), 'eloise');
  assert.equal(normaliseName(null), '');
  assert.equal(normalisePhone('+254 712 345 678'), normalisePhone('0712-345678'));
  assert.equal(soundex('robert'), 'R163');
  assert.equal(soundex('rupert'), 'R163');
  assert.equal(soundex('ashcraft'), 'A261');
});

test('nicknames and name levels', () => {
  assert.ok(areNicknames('liz', 'elizabeth'));
  assert.ok(areNicknames('mohammed', 'mohamed'));
  assert.ok(!areNicknames('john', 'james'));
  assert.equal(nameLevel('bob', 'robert', true), 'nickname');
  assert.equal(nameLevel('bob', 'robert', false), 'disagree');
  assert.equal(nameLevel('otieno', 'oteino', false), 'close');
  assert.equal(nameLevel('', 'x', false), 'missing');
});

test('birth dates: exact, day/month swapped, one digit off, estimated, year only', () => {
  assert.equal(birthdateLevel('1985-03-07', false, '1985-03-07', false), 'exact');
  assert.equal(birthdateLevel('1985-03-07', false, '1985-07-03', false), 'swapped');
  assert.equal(birthdateLevel('1985-03-07', false, '1985-03-01', false), 'near');
  assert.equal(birthdateLevel('1985-03-07', false, '1958-03-07', false), 'near');
  assert.equal(birthdateLevel('1985-01-01', true, '1986-06-20', false), 'estimated');
  assert.equal(birthdateLevel('1985-01-01', false, '1985-11-20', false), 'year');
  assert.equal(birthdateLevel('1985-01-01', false, '1990-11-20', false), 'disagree');
  assert.equal(birthdateLevel('', false, '1990-11-20', false), 'missing');
});

function person(over: Partial<RawPerson> & { given?: string; family?: string }): RawPerson {
  return {
    id: over.id ?? 1, uuid: over.uuid ?? 'u1', gender: over.gender ?? 'F', birthdate: over.birthdate ?? '1990-04-12', birthdateEstimated: false,
    names: over.names ?? [{ given: over.given ?? 'Grace', middle: null, family: over.family ?? 'Achieng' }],
    addresses: over.addresses ?? [{ city: 'Kisumu', address1: 'Plot 12' }],
    phones: over.phones ?? [], identifiers: over.identifiers ?? [],
  };
}

test('the score, in a register of 150,000: a duplicate with errors is probable, two people sharing a name and a birth year are not', () => {
  const t = weightTable(DEFAULT_MU);
  const s = { probableAt: autoProbableAt(150_000) };
  const a = toMatchRecord(person({}));
  const typo = toMatchRecord(person({ id: 2, uuid: 'u2', given: 'Grcae', birthdate: '1990-12-04', addresses: [] }));
  const c = comparePair(a, typo, t);
  assert.equal(c.levels.birthdate, 'swapped');
  assert.equal(classify(c, s), 'probable');
  const swapped = toMatchRecord(person({ id: 3, uuid: 'u3', given: 'Achieng', family: 'Grace' }));
  const cs = comparePair(a, swapped, t);
  assert.ok(cs.swappedNames);
  assert.equal(classify(cs, s), 'probable');
  assert.equal(comparePair(a, toMatchRecord(person({ id: 5, uuid: 'u5', gender: 'U' })), t).levels.gender, 'missing', "OpenMRS's U is unknown");
  const namesake = toMatchRecord(person({ id: 4, uuid: 'u4', birthdate: '1990-08-30', addresses: [{ city: 'Bungoma', address1: 'House 3' }] }));
  assert.equal(classify(comparePair(a, namesake, t), s), null);
});

test('certain means the same value of the same identifier type, whatever the score', () => {
  const t = weightTable(DEFAULT_MU);
  const a = toMatchRecord(person({ identifiers: [{ type: 3, value: '100-ABC' }] }));
  const b = toMatchRecord(person({ id: 2, uuid: 'u2', given: 'Peter', family: 'Kamau', gender: 'M', identifiers: [{ type: 3, value: ' 100-abc' }] }));
  const other = toMatchRecord(person({ id: 3, uuid: 'u3', identifiers: [{ type: 4, value: '100-ABC' }] }));
  assert.equal(classify(comparePair(a, b, t), { probableAt: 100 }), 'certain');
  assert.deepEqual(comparePair(a, other, t).sharedIdentifierTypes, []);
});

test('the default threshold grows with the register: log2 of the patients, at least 12', () => {
  assert.equal(autoProbableAt(5), 12);
  assert.equal(autoProbableAt(150_000), 17.2);
  assert.ok(autoProbableAt(1_000_000) > autoProbableAt(150_000));
});

test('weights are configurable and checked', () => {
  const mu = mergeMu({ phone: { agree: [0.5, 0.01] } });
  near(weightTable(mu).phone.agree!, Math.log2(50));
  assert.throws(() => mergeMu({ shoe: {} }), WeightsError);
  assert.throws(() => mergeMu({ phone: { agree: [2, 0.1] } }), WeightsError);
});

test('blocking: swapped names and nicknames share a key; each pair is visited once; oversized blocks are skipped', () => {
  const a = toMatchRecord(person({}));
  const sw = toMatchRecord(person({ id: 2, uuid: 'u2', given: 'Achieng', family: 'Grace' }));
  assert.ok(blockKeys(a).some((k) => blockKeys(sw).includes(k)));
  const liz = toMatchRecord(person({ given: 'Liz', birthdate: '1991-01-01' }));
  const eliz = toMatchRecord(person({ given: 'Elizabeth', birthdate: '1970-01-01' }));
  assert.ok(blockKeys(liz).some((k) => blockKeys(eliz).includes(k)));
  const recs = [a, sw, toMatchRecord(person({ id: 3, uuid: 'u3' })), toMatchRecord(person({ id: 4, uuid: 'u4', given: 'Zed', family: 'Quux', birthdate: '1950-01-01' }))];
  const seen: string[] = [];
  forEachCandidatePair(buildBlocks(recs, { maxBlockSize: 100 }), (i, j) => seen.push(`${i}-${j}`));
  assert.deepEqual(seen.sort(), ['0-1', '0-2', '1-2']);
  const capped = buildBlocks(recs, { maxBlockSize: 2 });
  assert.ok(capped.oversized.length > 0);
  assert.ok(capped.oversized.every((o) => !o.kind.includes(':')));
});

test('placeholder identifiers: a value held by more than the share allowed is dropped, a pair\'s shared one kept', () => {
  const recs = [1, 2, 3, 4].map((n) => toMatchRecord(person({ id: n, uuid: `u${n}`, identifiers: [{ type: 1, value: '0' }, ...(n < 3 ? [{ type: 2, value: 'N-1' }] : [])] })));
  const dropped = dropPlaceholders(recs, identifierCounts(recs), 3);
  assert.equal(dropped, 1);
  assert.deepEqual(recs.map((r) => r.identifiers), [['2:N-1'], ['2:N-1'], [], []]);
});

test('EM recovers u and the share of matches from pairs drawn with known ones (m held)', () => {
  // Two fields only (given name, birth date); the others are missing in every pattern.
  const mu = mergeMu(undefined);
  const truthP = 0.05;
  const uGiven = { exact: 0.2, nickname: 0.01, close: 0.05, fuzzy: 0.1, disagree: 0.64 };
  const uBirth = { exact: 0.01, swapped: 0.005, near: 0.02, estimated: 0.05, year: 0.3, disagree: 0.615 };
  const counts = new Map<string, number>();
  const N = 1_000_000;
  for (const [g, mg] of Object.entries(uGiven)) {
    for (const [b, mb] of Object.entries(uBirth)) {
      const m = (mu.given as Record<string, readonly [number, number]>)[g][0] * (mu.birthdate as Record<string, readonly [number, number]>)[b][0];
      const n = Math.round(N * (truthP * m / sumM(mu) + (1 - truthP) * mg * mb));
      // given, family, birthdate, gender, city, address1, phone (em.ts FIELDS)
      if (n > 0) counts.set([g, 'missing', b, 'missing', 'missing', 'missing', 'missing'].join(','), n);
    }
  }
  const e = estimateMu(counts, mu);
  assert.ok(Math.abs(e.matchShare - truthP) < 0.01, `share ${e.matchShare}`);
  assert.ok(Math.abs(e.mu.given.exact![1] - uGiven.exact) < 0.02, `u given exact ${e.mu.given.exact![1]}`);
  assert.ok(Math.abs(e.mu.birthdate.year![1] - uBirth.year) < 0.03, `u birthdate year ${e.mu.birthdate.year![1]}`);
  assert.ok(estimatedThreshold(0.05) > 4 && estimatedThreshold(0.05) < 4.3);
});

function sumM(mu: ReturnType<typeof mergeMu>): number {
  const g = Object.values(mu.given).reduce((s, p) => s + p![0], 0);
  const b = Object.values(mu.birthdate).reduce((s, p) => s + p![0], 0);
  return g * b;
}
