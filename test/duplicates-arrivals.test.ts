// Detection on arrival: patients written to a node are checked against the ones already there
// (subscriber/duplicates/arrivals.ts, watcher.ts), without a scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../shared/logger.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { listCandidates, orderPair } from '../subscriber/duplicates/store.ts';
import { DuplicateWatcher } from '../subscriber/duplicates/watcher.ts';
import { planPopulation } from '../tools/seed/duplicates-plan.ts';
import { writeDuplicatePopulation } from '../tools/seed/duplicates.ts';
import { freshDatabase } from './helpers/db.ts';

test('the second registrations, arriving, are matched to the first ones; logs hold counts only', { timeout: 120_000 }, async (t) => {
  const db = await freshDatabase('dup_arrivals');
  const lines: string[] = [];
  const watcher = new DuplicateWatcher(db.pool, createLogger({ level: 'debug', write: (l) => lines.push(l) }), { batchSize: 100 });
  try {
    await migrate(db.pool, 'hq', { snapshot: false });
    const o = { people: 3000, duplicateShare: 0.1, sameIdentifierShare: 0.2, seed: 'arrivals' };
    const written = await writeDuplicatePopulation(db.pool, o);
    // The duplicates are the last rows written: treat them as this batch's arrivals.
    // As the subscriber would hand them over after a batch commits (other resources ignored).
    watcher.batchCommitted([
      ...written.truth.map((p) => ({ resource: 'patient', uuid: p.b, action: 'CREATED' as const })),
      { resource: 'obs', uuid: written.truth[0].a, action: 'CREATED' as const },
    ]);
    await watcher.idle();
    const truth = new Set(written.truth.map((p) => orderPair(p.a, p.b).join(' ')));
    const found = await listCandidates(db.pool);
    const hits = found.filter((c) => truth.has(`${c.patientA} ${c.patientB}`)).length;
    const certain = found.filter((c) => c.class === 'certain');
    t.diagnostic(`${truth.size} arrivals that are duplicates: ${hits} found (recall ${(hits / truth.size).toFixed(3)}), ${found.length} pairs in all (precision ${(hits / found.length).toFixed(3)}), ${certain.length} certain`);
    assert.ok(hits / truth.size >= 0.9, 'arrivals find at least 90% of their first registrations');
    assert.ok(hits / found.length >= 0.9);
    assert.ok(certain.every((c) => truth.has(`${c.patientA} ${c.patientB}`)));
    assert.ok(lines.some((l) => l.includes('duplicate patients found on arrival')));
    const { patients } = planPopulation(o);
    const words = new Set(patients.slice(0, 200).flatMap((p) => [p.given, p.family, p.clinicId, p.nationalId ?? 'x']).filter((w) => w.length > 3));
    for (const l of lines) for (const w of words) assert.ok(!l.includes(w), 'no name or identifier is logged');
    watcher.patientsArrived(written.truth.map((p) => p.b));
    await watcher.idle();
    assert.equal((await listCandidates(db.pool)).length, found.length, 'checking the same arrivals again adds nothing');
  } finally {
    await watcher.stop();
    await db.drop();
  }
});
