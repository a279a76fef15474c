// Sync by file on a real OpenMRS database (issue 19): the Reference Application schema, never
// made by `migrate`, as a clinic and as HQ. The clinic's changes go by bundle, HQ acknowledges, and
// `verify` is clean: the bundle carries what the states need (CIEL concepts, metadata the
// Reference Application holds) whatever this schema lacks or adds.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../shared/schema/migrate.ts';
import { fixtureSkipReason, loadFixture } from '../tools/bench/openmrs-fixture.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { run } from './helpers/processes.ts';

const KEY = { ATOMSYNC_BUNDLE_KEY: 'refapp-clinic-and-hq-key' };

describe('sync by file on the Reference Application schema', { skip: fixtureSkipReason(), timeout: 300_000 }, () => {
  let clinic: TestDb;
  let hq: TestDb;
  const dir = mkdtempSync(join(tmpdir(), 'atomsync-bundle-refapp-'));

  before(async () => {
    [clinic, hq] = await Promise.all([freshDatabase('bo_clinic'), freshDatabase('bo_hq')]);
    await Promise.all([loadFixture(clinic.url), loadFixture(hq.url)]);
    await migrate(clinic.pool, 'refapp-clinic', { snapshot: false });
    await migrate(hq.pool, 'refapp-hq', { snapshot: false });
    await seedNode(clinic.pool, { patients: 10, seed: 'bundle-refapp' });
  });
  after(async () => {
    await Promise.all([clinic, hq].map((d) => d?.drop()));
  });

  test('export, import with an acknowledgement, verify clean; nothing left to send', async () => {
    const out = join(dir, 'clinic.bundle');
    const e = await run(['export', '--db', clinic.url, '--for', 'refapp-hq', '--out', out], 120_000, KEY);
    assert.equal(e.code, 0, e.out);
    const i = await run(['import', '--db', hq.url, '--ack-out', `${out}.ack`, out], 120_000, KEY);
    assert.equal(i.code, 0, i.out);
    assert.match(i.out, /0 dead letters/);
    assert.equal((await run(['import', '--db', clinic.url, `${out}.ack`], 60_000, KEY)).code, 0);
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url], 120_000);
    assert.equal(v.code, 0, v.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));
    const again = await run(['export', '--db', clinic.url, '--for', 'refapp-hq', '--out', join(dir, 'again.bundle')], 60_000, KEY);
    assert.match(again.out, /nothing to send/);
  });
});
