// `atomsync clone` (issue 19): a new node made from its parent's bundle in one command, then
// reading the parent's feed over HTTP from the position the copy was taken at, not from the
// start. It refuses a database that has tables and a bundle exported for another node.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryRows } from '../shared/db.ts';
import { migrate } from '../shared/schema/migrate.ts';
import { openLiveContext, seedNode } from '../tools/seed/index.ts';
import { freshDatabase, DB_SERVER } from './helpers/db.ts';
import type { TestDb } from './helpers/db.ts';
import { startLiveWrites } from './helpers/live-writes.ts';
import { killAll, run, startPublisher } from './helpers/processes.ts';
import { dropDatabase } from '../shared/db.ts';

const KEY = { ATOMSYNC_BUNDLE_KEY: 'parent-and-clone-key-000' };

describe('atomsync clone', { timeout: 300_000 }, () => {
  let parent: TestDb;
  const childUrl = `${DB_SERVER}/as_clone_child_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'atomsync-clone-'));
  const count = async (db: TestDb, sql: string) => Number((await queryRows<{ n: number }>(db.pool, sql))[0].n);

  before(async () => {
    parent = await freshDatabase('clone_parent');
    await migrate(parent.pool, 'parent-c');
    await seedNode(parent.pool, { patients: 20, seed: 'clone-parent' });
    await dropDatabase(childUrl);
  });
  after(async () => {
    killAll();
    await parent?.drop();
    await dropDatabase(childUrl);
  });

  test('loads the copy, refuses what it must, then reads on over HTTP from the copy', async (t) => {
    const pub = await startPublisher(parent.url, { users: 'child:child-secret' });
    const feed = `http://child:child-secret@127.0.0.1:${pub.port}/openmrs/ws/atomfeed/all/recent`;
    const copy = join(dir, 'copy.bundle');
    const e = await run(['export', '--db', parent.url, '--for', 'child-c', '--out', copy], 120_000, KEY);
    assert.equal(e.code, 0, e.out);
    const copied = Number(/changes 1 to (\d+)/.exec(e.out)![1]);

    const wrongId = await run(['clone', '--from', copy, '--db', childUrl, '--node-id', 'child-d'], 60_000, KEY);
    assert.equal(wrongId.code, 1, wrongId.out);
    assert.match(wrongId.out, /exported for node child-c, not child-d/);

    const c = await run(['clone', '--from', copy, '--db', childUrl, '--node-id', 'child-c', '--feed', feed], 180_000, KEY);
    assert.equal(c.code, 0, c.out);
    t.diagnostic(c.out.split('\n').filter((l) => /cloned in|imported/.test(l)).join(' | '));
    const again = await run(['clone', '--from', copy, '--db', childUrl, '--node-id', 'child-c'], 60_000, KEY);
    assert.equal(again.code, 1, again.out);
    assert.match(again.out, /already has \d+ tables/);
    const v1 = await run(['verify', '--source', parent.url, '--target', childUrl], 120_000);
    assert.equal(v1.code, 0, v1.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));

    // The parent goes on writing; the clone reads only what came after its copy.
    const w = startLiveWrites(parent.pool, await openLiveContext(parent.pool, { seed: 'clone-live', stream: 'after-copy' }), 100);
    await new Promise((r) => setTimeout(r, 2500));
    await w.stop();
    const s = await run(['subscribe', '--once', '--db', childUrl, '--node-id', 'child-c', '--feed', feed], 180_000);
    assert.equal(s.code, 0, s.out);
    // Entries the reader took from the feed: its marker counts them.
    const child = { pool: (await import('../shared/db.ts')).openPool(childUrl, { connectionLimit: 1 }) } as TestDb;
    const taken = await count(child, "SELECT COALESCE(SUM(events_seen), 0) AS n FROM atomsync_marker WHERE feed_url LIKE 'http%'");
    await child.pool.end();
    const after = await count(parent, `SELECT COUNT(*) AS n FROM atomsync_event WHERE seq > ${copied}`);
    t.diagnostic(`${copied} events in the copy; ${after} after it; the clone's reader took ${taken} entries`);
    assert.ok(after > 0 && taken === after, `read on from the copy: took ${taken} entries, ${after} events since the copy`);
    assert.doesNotMatch(s.out, /gone from its page/);
    const v2 = await run(['verify', '--source', parent.url, '--target', childUrl], 120_000);
    assert.equal(v2.code, 0, v2.out.split('\n').filter((l) => !l.startsWith('checked ')).join('\n'));
  });
});
