// The matcher's accuracy at its default thresholds, on generated populations with known
// duplicates (tools/seed/duplicates.ts): typos, swapped names, nicknames, day/month swaps,
// estimated ages, missing fields, moves, different clinic numbers, and a share with the same
// national id. Targets (issue 20): precision of certain 1.0; certain + probable recall >= 0.95
// with precision >= 0.9. Two sizes, as the default threshold grows with the register.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../shared/schema/migrate.ts';
import { scanDuplicates } from '../subscriber/duplicates/scan.ts';
import { listCandidates, orderPair } from '../subscriber/duplicates/store.ts';
import { writeDuplicatePopulation } from '../tools/seed/duplicates.ts';
import { freshDatabase } from './helpers/db.ts';

async function measure(t: TestContext, people: number, seed: string): Promise<void> {
  const db = await freshDatabase('dup_accuracy');
  try {
    await migrate(db.pool, 'hq', { snapshot: false });
    const written = await writeDuplicatePopulation(db.pool, { people, duplicateShare: 0.1, sameIdentifierShare: 0.2, seed });
    const report = await scanDuplicates(db.pool);
    const truth = new Set(written.truth.map((p) => orderPair(p.a, p.b).join(' ')));
    const found = await listCandidates(db.pool, { status: 'all' });
    const isTrue = (c: { patientA: string; patientB: string }) => truth.has(`${c.patientA} ${c.patientB}`);
    const certain = found.filter((c) => c.class === 'certain');
    const certainTruth = written.truth.filter((p) => p.sameIdentifier).length;
    const certainPrecision = certain.filter(isTrue).length / Math.max(1, certain.length);
    const truePositives = found.filter(isTrue).length;
    const precision = truePositives / Math.max(1, found.length);
    const recall = truePositives / truth.size;
    t.diagnostic(`${written.patients} patients, ${truth.size} true duplicate pairs (${certainTruth} sharing an identifier); ${report.pairsCompared} pairs compared; probable from ${report.probableAt}`);
    t.diagnostic(`certain: ${certain.length} found, precision ${certainPrecision.toFixed(3)}, recall of the identifier-sharing pairs ${(certain.filter(isTrue).length / certainTruth).toFixed(3)}`);
    t.diagnostic(`certain + probable: ${found.length} found, ${truePositives} true: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`);
    assert.equal(certainPrecision, 1, 'every certain pair is a true duplicate');
    assert.ok(recall >= 0.95, `recall ${recall.toFixed(3)} >= 0.95`);
    assert.ok(precision >= 0.9, `precision ${precision.toFixed(3)} >= 0.9`);
  } finally {
    await db.drop();
  }
}

test('duplicates: precision and recall at the default thresholds, 6,600 patients', { timeout: 180_000 }, (t) => measure(t, 6000, 'accuracy-1'));

test('duplicates: precision and recall at the default thresholds, 33,000 patients', { timeout: 300_000 }, (t) => measure(t, 30_000, 'accuracy-2'));
