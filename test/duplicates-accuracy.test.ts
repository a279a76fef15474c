// The matcher's accuracy at its default thresholds, on a generated population with known
// duplicates (tools/seed/duplicates.ts): typos, swapped names, nicknames, day/month swaps,
// estimated ages, missing fields, moves, different clinic numbers, and a share with the same
// national id. Targets (issue 20): precision of certain 1.0; certain + probable recall >= 0.95
// with precision >= 0.9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../shared/schema/migrate.ts';
import { scanDuplicates } from '../subscriber/duplicates/scan.ts';
import { listCandidates, orderPair } from '../subscriber/duplicates/store.ts';
import { writeDuplicatePopulation } from '../tools/seed/duplicates.ts';
import { freshDatabase } from './helpers/db.ts';

const PEOPLE = 6000;

test('duplicates: precision and recall at the default thresholds', { timeout: 180_000 }, async (t) => {
  const db = await freshDatabase('dup_accuracy');
  try {
    await migrate(db.pool, 'hq', { snapshot: false });
    const written = await writeDuplicatePopulation(db.pool, { people: PEOPLE, duplicateShare: 0.1, sameIdentifierShare: 0.2, seed: 'accuracy-1' });
    const report = await scanDuplicates(db.pool);
    const truth = new Map(written.truth.map((p) => [orderPair(p.a, p.b).join(' '), p]));
    const found = await listCandidates(db.pool, { status: 'all' });
    const certain = found.filter((c) => c.class === 'certain');
    const isTrue = (c: { patientA: string; patientB: string }) => truth.has(`${c.patientA} ${c.patientB}`);
    const certainPrecision = certain.filter(isTrue).length / Math.max(1, certain.length);
    const truePositives = found.filter(isTrue).length;
    const precision = truePositives / Math.max(1, found.length);
    const recall = truePositives / truth.size;
    const certainTruth = written.truth.filter((p) => p.sameIdentifier).length;
    t.diagnostic(`${written.patients} patients, ${truth.size} true duplicate pairs (${certainTruth} sharing an identifier); ${report.pairsCompared} pairs compared`);
    t.diagnostic(`certain: ${certain.length} found, precision ${certainPrecision.toFixed(3)}, recall of the identifier-sharing pairs ${(certain.filter(isTrue).length / certainTruth).toFixed(3)}`);
    t.diagnostic(`certain + probable: ${found.length} found, ${truePositives} true: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`);
    const missed = written.truth.filter((p) => !found.some((c) => c.patientA === orderPair(p.a, p.b)[0] && c.patientB === orderPair(p.a, p.b)[1]));
    t.diagnostic(`missed pairs: ${missed.length}`);
    assert.equal(certainPrecision, 1, 'every certain pair is a true duplicate');
    assert.ok(recall >= 0.95, `recall ${recall.toFixed(3)} >= 0.95`);
    assert.ok(precision >= 0.9, `precision ${precision.toFixed(3)} >= 0.9`);
  } finally {
    await db.drop();
  }
});
