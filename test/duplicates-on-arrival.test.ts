// Detection on arrival in the running pipeline (issue 20: "when a patient arrives or changes"):
// HQ catches up from a clinic through a real publisher with `subscribe --once --detect-duplicates on`,
// and finds the clinic's duplicate registrations without any scan; with it off (the default) none.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../shared/schema/migrate.ts';
import { listCandidates, orderPair } from '../subscriber/duplicates/store.ts';
import { writeDuplicatePopulation } from '../tools/seed/duplicates.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';

describe('duplicate patients found on arrival at HQ', { timeout: 300_000 }, () => {
  let clinic: TestDb;
  let hq: TestDb;
  let quiet: TestDb;
  let truth: Set<string>;

  before(async () => {
    [clinic, hq, quiet] = await Promise.all([freshDatabase('arr_clinic'), freshDatabase('arr_hq'), freshDatabase('arr_quiet')]);
    await migrate(clinic.pool, 'clinic-dup');
    await migrate(hq.pool, 'hq-dup');
    await migrate(quiet.pool, 'hq-quiet');
    const written = await writeDuplicatePopulation(clinic.pool, { people: 400, duplicateShare: 0.1, sameIdentifierShare: 0.3, seed: 'on-arrival' });
    truth = new Set(written.truth.map((p) => orderPair(p.a, p.b).join(' ')));
  });
  after(async () => {
    killAll();
    await Promise.all([clinic, hq, quiet].map((d) => d?.drop()));
  });

  test('subscribe --once records the pairs, most of them true; off, it records none', async (t) => {
    const pub = await startPublisher(clinic.url, { users: 'hq:hq-secret' });
    const feed = `http://hq:hq-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
    const r = await run(['subscribe', '--once', '--db', hq.url, '--node-id', 'hq-dup', '--detect-duplicates', 'on', '--feed', feed], 180_000);
    assert.equal(r.code, 0, r.out);
    const found = await listCandidates(hq.pool);
    const hits = found.filter((c) => truth.has(`${c.patientA} ${c.patientB}`)).length;
    t.diagnostic(`${truth.size} true pairs; ${found.length} recorded on arrival, ${hits} of them true`);
    assert.ok(hits >= 0.8 * truth.size, `found ${hits} of ${truth.size}`);
    assert.ok(hits >= 0.9 * found.length, `${hits} of ${found.length} recorded pairs are true`);

    const off = await run(['subscribe', '--once', '--db', quiet.url, '--node-id', 'hq-quiet', '--detect-duplicates', 'off', '--feed', feed], 180_000);
    assert.equal(off.code, 0, off.out);
    assert.equal((await listCandidates(quiet.pool)).length, 0);
  });
});
