// A parent's bundle for a child carries only the child's catchment (issue 19, with the tree of
// issue 18): the child imports it and `verify --catchment` finds it clean, while it holds none of
// the patients outside its catchment. The peer keeps the log it was first sent: asking for the
// whole log next is refused, as its positions would not match.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { seedNode } from '../tools/seed/index.ts';
import { freshDatabase } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { run } from './helpers/processes.ts';

const KEY = { ATOMSYNC_BUNDLE_KEY: 'district-dispensary-key-42' };

describe("a parent's bundle for a child in its catchment", { timeout: 300_000 }, () => {
  let district: TestDb;
  let child: TestDb;
  const dir = mkdtempSync(join(tmpdir(), 'atomsync-catchment-bundle-'));
  const count = async (db: TestDb, sql: string) => Number((await queryRows<{ n: number }>(db.pool, sql))[0].n);

  before(async () => {
    district = await freshDatabase('bc_district');
    child = await freshDatabase('bc_child');
    await migrate(district.pool, 'district-b');
    await migrate(child.pool, 'dispensary-b');
    await seedNode(district.pool, { patients: 30, seed: 'bundle-catchment' });
  });
  after(async () => {
    await district?.drop();
    await child?.drop();
  });

  test('carries the catchment only; the child is clean against it and lacks the rest', async () => {
    const [disp] = await queryRows<{ uuid: string }>(district.pool, `SELECT uuid FROM location WHERE name LIKE '% Dispensary'`);
    const out = join(dir, 'disp.bundle');
    const e = await run(['export', '--db', district.url, '--for', 'dispensary-b', '--catchment', disp.uuid, '--out', out], 120_000, KEY);
    assert.equal(e.code, 0, e.out);
    const i = await run(['import', '--db', child.url, out], 120_000, KEY);
    assert.equal(i.code, 0, i.out);
    assert.match(i.out, /0 dead letters/);

    const scoped = await run(['verify', '--source', district.url, '--target', child.url, '--catchment', disp.uuid], 120_000);
    assert.equal(scoped.code, 0, scoped.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));
    const all = await count(district, 'SELECT COUNT(*) AS n FROM patient');
    const held = await count(child, 'SELECT COUNT(*) AS n FROM patient');
    assert.ok(held > 0 && held < all, `the child holds some patients, not all (${held} of ${all})`);
    const whole = await run(['verify', '--source', district.url, '--target', child.url], 120_000);
    assert.equal(whole.code, 1, 'unscoped, the child lacks the patients outside its catchment');

    const mixed = await run(['export', '--db', district.url, '--for', 'dispensary-b', '--out', join(dir, 'whole.bundle')], 120_000, KEY);
    assert.equal(mixed.code, 1, mixed.out);
    assert.match(mixed.out, /same --catchment as before/);
  });
});
