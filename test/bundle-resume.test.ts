// An import killed half-way (issue 19) resumes: the marker `bundle:<origin>` moved with each
// committed batch, so the same bundle imported again applies the rest, and `verify` is clean.
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
import { atomsync, eventually, killAll, run } from './helpers/processes.ts';

const KEY = { ATOMSYNC_BUNDLE_KEY: 'resume-test-key-0123456789' };

describe('an import killed half-way', { timeout: 300_000 }, () => {
  let clinic: TestDb;
  let hq: TestDb;
  const bundle = join(mkdtempSync(join(tmpdir(), 'atomsync-resume-')), 'all.bundle');
  const marker = async () =>
    Number((await queryRows<{ n: number }>(hq.pool, "SELECT COALESCE(MAX(last_position), 0) AS n FROM atomsync_marker WHERE feed_url = 'bundle:clinic-r'"))[0].n);

  before(async () => {
    clinic = await freshDatabase('resume_clinic');
    hq = await freshDatabase('resume_hq');
    await migrate(clinic.pool, 'clinic-r');
    await migrate(hq.pool, 'hq-r');
    await seedNode(clinic.pool, { patients: 60, seed: 'resume-clinic' });
  });
  after(async () => {
    killAll();
    await clinic?.drop();
    await hq?.drop();
  });

  test('resumes from the last batch it committed, and ends clean', async (t) => {
    const e = await run(['export', '--db', clinic.url, '--for', 'hq-r', '--out', bundle], 120_000, KEY);
    assert.equal(e.code, 0, e.out);
    const total = Number(/changes 1 to (\d+)/.exec(e.out)![1]);
    const p = atomsync(['import', '--db', hq.url, '--log-level', 'warn', bundle], KEY);
    await eventually(async () => (await marker()) > 0 || p.child.exitCode !== null, 60_000, 'the first batch to commit');
    p.child.kill('SIGKILL');
    await p.exited;
    const at = await marker();
    t.diagnostic(`killed at position ${at} of ${total}`);
    assert.ok(at > 0 && at < total, `killed half-way (at ${at} of ${total}); the import had ${p.child.exitCode === null ? 'not ' : ''}ended`);
    const again = await run(['import', '--db', hq.url, '--ack-out', `${bundle}.ack`, bundle], 120_000, KEY);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, new RegExp(`changes ${at + 1} to ${total} imported`));
    assert.equal(await marker(), total);
    const v = await run(['verify', '--source', clinic.url, '--target', hq.url], 120_000);
    assert.equal(v.code, 0, v.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));
  });
});
